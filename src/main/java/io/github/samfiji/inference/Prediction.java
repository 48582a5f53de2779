package io.github.samfiji.inference;

import java.util.function.Function;

/**
 * Candidate masks for one prompt: logits at the original image size (threshold 0 gives the mask), the
 * low-resolution logits (usable as the mask prompt of a next call), and the predicted IoU of each candidate.
 * <p>
 * The full-size logits of a candidate are computed when first asked for: a click usually shows one candidate, and
 * its upscaling costs more than the decoder.
 */
public final class Prediction {

    public static final float MASK_THRESHOLD = 0f;

    private final int width;
    private final int height;
    private final int lowResSize;
    private final float[] iou;
    private final float[][] lowRes;
    private final float[][] logits;
    private final Function<float[], float[]> upscale;
    private final double decodeMillis;

    /** A prediction whose full-size logits are all given. */
    public Prediction(int width, int height, int lowResSize, float[] iou, float[][] logits, float[][] lowRes,
                      double decodeMillis) {
        this(width, height, lowResSize, iou, logits.clone(), lowRes, null, decodeMillis);
    }

    /** A prediction that computes each candidate's full-size logits from its low-resolution ones when needed. */
    Prediction(int width, int height, int lowResSize, float[] iou, float[][] lowRes, Function<float[], float[]> upscale,
               double decodeMillis) {
        this(width, height, lowResSize, iou, new float[lowRes.length][], lowRes, upscale, decodeMillis);
    }

    private Prediction(int width, int height, int lowResSize, float[] iou, float[][] logits, float[][] lowRes,
                       Function<float[], float[]> upscale, double decodeMillis) {
        this.width = width;
        this.height = height;
        this.lowResSize = lowResSize;
        this.iou = iou;
        this.logits = logits;
        this.lowRes = lowRes;
        this.upscale = upscale;
        this.decodeMillis = decodeMillis;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int lowResSize() {
        return lowResSize;
    }

    public float[] iou() {
        return iou;
    }

    /** Low-resolution logits of each candidate. */
    public float[][] lowRes() {
        return lowRes;
    }

    /** Full-size logits of every candidate (computes those not yet computed). */
    public float[][] logits() {
        for (int i = 0; i < logits.length; i++) {
            logits(i);
        }
        return logits;
    }

    /** Full-size logits of candidate i, row-major. */
    public synchronized float[] logits(int i) {
        if (logits[i] == null) {
            logits[i] = upscale.apply(lowRes[i]);
        }
        return logits[i];
    }

    /** Milliseconds from the prompt to the low-resolution result (full-size logits are computed on demand). */
    public double decodeMillis() {
        return decodeMillis;
    }

    public int count() {
        return iou.length;
    }

    /** Index of the candidate with the highest predicted IoU (the first on ties). */
    public int best() {
        int best = 0;
        for (int i = 1; i < iou.length; i++) {
            if (iou[i] > iou[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The binary mask of candidate i, row-major, true = object. */
    public boolean[] mask(int i) {
        float[] l = logits(i);
        boolean[] m = new boolean[l.length];
        for (int k = 0; k < l.length; k++) {
            m[k] = l[k] > MASK_THRESHOLD;
        }
        return m;
    }
}
