package io.github.samfiji.inference;

import io.github.samfiji.model.Ops;

/**
 * SAM's post-processing of low-resolution logits in plain Java: bilinear to the padded encoder input, crop to the
 * resized image, bilinear to the original size (PyTorch's {@code align_corners=False} semantics both ways).
 * <p>
 * Both resizes are linear and separable, so together they are one (rows x low) matrix on the left and one
 * (low x columns) matrix on the right, each with a few adjacent non-zeros per row. Applying them directly costs about
 * four multiply-adds per output pixel (a dense matMul at 1024 px costs some 200), needs no native memory, and lets a
 * caller upscale only the candidate it shows, or only the rows of a region.
 */
public final class LogitUpscaler {

    /** One output index: its weights over the adjacent low-resolution indices {@code first, first + 1, ...}. */
    private record Tap(int first, float[] weights) {
    }

    private final int lowSize;
    private final int width;
    private final int height;
    private final Tap[] rows;
    private final Tap[] columns;
    /** Output rows and columns grouped by the low-resolution span they read (see {@link #summarize}). */
    private final int[][] rowGroups;
    private final int[][] columnGroups;
    /**
     * MedSAM's post-processing: the sigmoid of the low-resolution logits is resized (one bilinear step to the image
     * size) and thresholded at 0.5; the "logits" returned are the logit of that probability, so a mask is still
     * logit &gt; 0 and a probability map still sigmoid(logit).
     */
    private final boolean probabilities;

    /**
     * @param lowSize side of the square low-resolution logits
     * @param size    side of the padded encoder input
     * @param inputW  width of the resized image inside the padded input (the rest is padding)
     * @param inputH  height of the resized image
     * @param width   original image width
     * @param height  original image height
     */
    public LogitUpscaler(int lowSize, int size, int inputW, int inputH, int width, int height) {
        this(lowSize, compose(lowSize, size, inputH, height), compose(lowSize, size, inputW, width), width, height,
                false);
    }

    private LogitUpscaler(int lowSize, Tap[] rows, Tap[] columns, int width, int height, boolean probabilities) {
        this.lowSize = lowSize;
        this.width = width;
        this.height = height;
        this.rows = rows;
        this.columns = columns;
        this.probabilities = probabilities;
        rowGroups = groups(rows);
        columnGroups = groups(columns);
    }

    /**
     * SAM 2.1's post-processing: one bilinear resize of the low-resolution logits straight to the image (its input is
     * the squashed image, without padding). Resizing to the same size first is the identity.
     */
    public static LogitUpscaler direct(int lowSize, int width, int height) {
        return new LogitUpscaler(lowSize, lowSize, lowSize, lowSize, width, height);
    }

    /** MedSAM's post-processing: sigmoid, one bilinear resize from the low resolution to the image size. */
    static LogitUpscaler medSam(int lowSize, int width, int height) {
        return new LogitUpscaler(lowSize, compose(lowSize, lowSize, lowSize, height),
                compose(lowSize, lowSize, lowSize, width), width, height, true);
    }

    /** The low-resolution values this upscaler interpolates: the logits, or (MedSAM) their sigmoid. */
    private float[] interpolated(float[] lowRes) {
        if (!probabilities) {
            return lowRes;
        }
        float[] p = new float[lowRes.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = sigmoid(lowRes[i]);
        }
        return p;
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
    }

    /** The logit of an interpolated probability, kept finite (a probability of exactly 0 or 1 gives -/+ 100). */
    private static float logit(float p) {
        double v = Math.log((double) p / (1.0 - (double) p));
        return (float) Math.max(-100, Math.min(100, v));
    }

    int width() {
        return width;
    }

    int height() {
        return height;
    }

    /**
     * The taps of resizing {@code low} to {@code size}, keeping the first {@code kept}, then resizing those to
     * {@code out}. PyTorch's float weights are composed in double, so the composition adds no rounding of its own.
     */
    private static Tap[] compose(int low, int size, int kept, int out) {
        float[] first = Ops.linearResizeMatrix(low, size);
        float[] second = Ops.linearResizeMatrix(kept, out);
        Tap[] taps = new Tap[out];
        double[] acc = new double[low];
        for (int o = 0; o < out; o++) {
            java.util.Arrays.fill(acc, 0);
            for (int k = 0; k < kept; k++) {
                float w2 = second[o * kept + k];
                if (w2 == 0) {
                    continue;
                }
                for (int i = 0; i < low; i++) {
                    float w1 = first[k * low + i];
                    if (w1 != 0) {
                        acc[i] += (double) w2 * w1;
                    }
                }
            }
            int lo = 0;
            while (lo < low - 1 && acc[lo] == 0) {
                lo++;
            }
            int hi = low - 1;
            while (hi > lo && acc[hi] == 0) {
                hi--;
            }
            float[] w = new float[hi - lo + 1];
            for (int i = lo; i <= hi; i++) {
                w[i - lo] = (float) acc[i];
            }
            taps[o] = new Tap(lo, w);
        }
        return taps;
    }

    /** Full-size logits (row-major, width x height) of one low-resolution map (lowSize x lowSize, row-major). */
    public float[] upscale(float[] lowRes) {
        return upscaleRows(lowRes, 0, height);
    }

    /** Rows [y0, y1) of the full-size logits, row-major with {@code width} columns. */
    float[] upscaleRows(float[] lowRes, int y0, int y1) {
        float[] values = interpolated(lowRes);
        float[] result = interpolateRows(values, y0, y1);
        if (probabilities) {
            for (int i = 0; i < result.length; i++) {
                result[i] = logit(result[i]);
            }
        }
        return result;
    }

    private float[] interpolateRows(float[] lowRes, int y0, int y1) {
        // Only the low-resolution rows these output rows read are resized horizontally.
        int lowFirst = rows[y0].first();
        int lowLast = rows[y1 - 1].first() + rows[y1 - 1].weights().length - 1;
        for (int y = y0; y < y1; y++) {
            lowFirst = Math.min(lowFirst, rows[y].first());
            lowLast = Math.max(lowLast, rows[y].first() + rows[y].weights().length - 1);
        }
        float[] wide = new float[(lowLast - lowFirst + 1) * width];
        for (int i = lowFirst; i <= lowLast; i++) {
            int in = i * lowSize;
            int out = (i - lowFirst) * width;
            for (int x = 0; x < width; x++) {
                Tap t = columns[x];
                float[] w = t.weights();
                float v = 0;
                for (int j = 0; j < w.length; j++) {
                    v += w[j] * lowRes[in + t.first() + j];
                }
                wide[out + x] = v;
            }
        }
        float[] result = new float[(y1 - y0) * width];
        for (int y = y0; y < y1; y++) {
            Tap t = rows[y];
            float[] w = t.weights();
            int out = (y - y0) * width;
            for (int j = 0; j < w.length; j++) {
                float wj = w[j];
                int in = (t.first() + j - lowFirst) * width;
                for (int x = 0; x < width; x++) {
                    result[out + x] += wj * wide[in + x];
                }
            }
        }
        return result;
    }

    /**
     * Pixel counts of one candidate's full-size logits (exactly those of {@link #upscale}) and the bounding box of
     * its mask. Box coordinates are inclusive; {@code area == 0} means an empty mask (box undefined).
     */
    record Summary(long area, long aboveHigh, long aboveLow, int x0, int y0, int x1, int y1) {
    }

    /**
     * Counts the full-size pixels above {@code threshold}, above {@code threshold + offset} and above
     * {@code threshold - offset}, and bounds the mask, without computing most pixels: every output pixel is a
     * weighted mean (non-negative weights summing to 1) of a few low-resolution logits, so where all of them lie
     * clearly on one side of a threshold so does the pixel. Output pixels are grouped into rectangles that read the
     * same low-resolution cells; only rectangles whose cells straddle a threshold are computed, in the same order of
     * operations as {@link #upscale}, so counts and box are exactly those of the full-size logits.
     */
    Summary summarize(float[] logits, float threshold, float offset) {
        float[] thresholds = {threshold, threshold + offset, threshold - offset};
        float[] lowRes = interpolated(logits);
        if (probabilities) {
            // The probabilities are a weighted mean like the logits: compare them with the thresholds' sigmoids.
            for (int t = 0; t < thresholds.length; t++) {
                thresholds[t] = sigmoid(thresholds[t]);
            }
            threshold = thresholds[0];
        }
        long[] counts = new long[3];
        int x0 = Integer.MAX_VALUE;
        int y0 = Integer.MAX_VALUE;
        int x1 = -1;
        int y1 = -1;
        boolean[] straddles = new boolean[3];
        for (int[] rg : rowGroups) {
            for (int[] cg : columnGroups) {
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                float magnitude = 0;
                for (int i = rg[2]; i <= rg[3]; i++) {
                    for (int j = cg[2]; j <= cg[3]; j++) {
                        float v = lowRes[i * lowSize + j];
                        min = Math.min(min, v);
                        max = Math.max(max, v);
                        magnitude = Math.max(magnitude, Math.abs(v));
                    }
                }
                // Rounding of the weighted mean stays far below this margin.
                float margin = 1e-5f * (1 + magnitude);
                long pixels = (long) (rg[1] - rg[0]) * (cg[1] - cg[0]);
                boolean anyStraddles = false;
                for (int t = 0; t < 3; t++) {
                    straddles[t] = false;
                    if (min > thresholds[t] + margin) {
                        counts[t] += pixels;
                    } else if (!(max < thresholds[t] - margin)) {
                        straddles[t] = true;
                        anyStraddles = true;
                    }
                }
                if (min > threshold + margin) {
                    x0 = Math.min(x0, cg[0]);
                    y0 = Math.min(y0, rg[0]);
                    x1 = Math.max(x1, cg[1] - 1);
                    y1 = Math.max(y1, rg[1] - 1);
                }
                if (!anyStraddles) {
                    continue;
                }
                for (int y = rg[0]; y < rg[1]; y++) {
                    for (int x = cg[0]; x < cg[1]; x++) {
                        float v = pixel(lowRes, x, y);
                        for (int t = 0; t < 3; t++) {
                            if (straddles[t] && v > thresholds[t]) {
                                counts[t]++;
                            }
                        }
                        if (straddles[0] && v > threshold) {
                            x0 = Math.min(x0, x);
                            y0 = Math.min(y0, y);
                            x1 = Math.max(x1, x);
                            y1 = Math.max(y1, y);
                        }
                    }
                }
            }
        }
        return counts[0] == 0 ? new Summary(0, counts[1], counts[2], 0, 0, -1, -1)
                : new Summary(counts[0], counts[1], counts[2], x0, y0, x1, y1);
    }

    /** The mask (logit above {@code threshold}) inside the inclusive box, row-major. */
    boolean[] maskInBox(float[] lowRes, float threshold, int x0, int y0, int x1, int y1) {
        float[] band = upscaleRows(lowRes, y0, y1 + 1);
        int w = x1 - x0 + 1;
        boolean[] bits = new boolean[w * (y1 - y0 + 1)];
        for (int y = y0; y <= y1; y++) {
            int from = (y - y0) * width + x0;
            for (int x = 0; x < w; x++) {
                bits[(y - y0) * w + x] = band[from + x] > threshold;
            }
        }
        return bits;
    }

    /** One full-size logit, with the operations of {@link #upscaleRows} in the same order. */
    private float pixel(float[] lowRes, int x, int y) {
        Tap r = rows[y];
        Tap c = columns[x];
        float v = 0;
        for (int i = 0; i < r.weights().length; i++) {
            int in = (r.first() + i) * lowSize + c.first();
            float wide = 0;
            for (int j = 0; j < c.weights().length; j++) {
                wide += c.weights()[j] * lowRes[in + j];
            }
            v += r.weights()[i] * wide;
        }
        return v;
    }

    /** Runs of consecutive outputs that read the same low-resolution span: {from, to (exclusive), first, last}. */
    private static int[][] groups(Tap[] taps) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        int start = 0;
        for (int o = 1; o <= taps.length; o++) {
            if (o == taps.length || taps[o].first() != taps[start].first()
                    || taps[o].weights().length != taps[start].weights().length) {
                Tap t = taps[start];
                out.add(new int[] {start, o, t.first(), t.first() + t.weights().length - 1});
                start = o;
            }
        }
        return out.toArray(new int[0][]);
    }
}
