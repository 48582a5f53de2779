package io.github.samfiji.inference;

/**
 * Candidate masks for one prompt: logits at the original image size (threshold 0 gives the mask), the
 * low-resolution logits (usable as the mask prompt of a next call), and the predicted IoU of each candidate.
 */
public record Prediction(int width, int height, int lowResSize, float[] iou, float[][] logits, float[][] lowRes,
                         double decodeMillis) {

    public static final float MASK_THRESHOLD = 0f;

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
        float[] l = logits[i];
        boolean[] m = new boolean[l.length];
        for (int k = 0; k < l.length; k++) {
            m[k] = l[k] > MASK_THRESHOLD;
        }
        return m;
    }
}
