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
final class LogitUpscaler {

    /** One output index: its weights over the adjacent low-resolution indices {@code first, first + 1, ...}. */
    private record Tap(int first, float[] weights) {
    }

    private final int lowSize;
    private final int width;
    private final int height;
    private final Tap[] rows;
    private final Tap[] columns;

    /**
     * @param lowSize side of the square low-resolution logits
     * @param size    side of the padded encoder input
     * @param inputW  width of the resized image inside the padded input (the rest is padding)
     * @param inputH  height of the resized image
     * @param width   original image width
     * @param height  original image height
     */
    LogitUpscaler(int lowSize, int size, int inputW, int inputH, int width, int height) {
        this.lowSize = lowSize;
        this.width = width;
        this.height = height;
        rows = compose(lowSize, size, inputH, height);
        columns = compose(lowSize, size, inputW, width);
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
    float[] upscale(float[] lowRes) {
        return upscaleRows(lowRes, 0, height);
    }

    /** Rows [y0, y1) of the full-size logits, row-major with {@code width} columns. */
    float[] upscaleRows(float[] lowRes, int y0, int y1) {
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
}
