package io.github.samfiji.image;

/**
 * Bit-exact re-implementation of Pillow's 8-bit BILINEAR resize, which SAM's reference preprocessing uses
 * (torchvision resizes PIL images through {@code Image.resize}). Separable: the horizontal pass runs first into
 * 8-bit, then the vertical pass; an axis whose size does not change is skipped. When downscaling, the triangle
 * filter is stretched by the scale (antialiasing). Weights are normalized, then turned into fixed point with
 * 22 fractional bits, and each output is the rounded, clipped sum.
 */
public final class PillowResize {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PillowResize() {
    }

    /** Fixed-point filter coefficients of one axis: for each output index, the first input index and weights. */
    record Coefficients(int[] start, int[] count, int[][] weights) {
    }

    static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale; // the triangle filter's support is 1
        int[] start = new int[outSize];
        int[] count = new int[outSize];
        int[][] weights = new int[outSize][];
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            double inverse = 1.0 / filterScale;
            int min = Math.max((int) (center - support + 0.5), 0);
            int max = Math.min((int) (center + support + 0.5), inSize) - min;
            double[] w = new double[Math.max(max, 0)];
            double total = 0;
            for (int i = 0; i < w.length; i++) {
                w[i] = triangle((i + min - center + 0.5) * inverse);
                total += w[i];
            }
            int[] fixed = new int[w.length];
            for (int i = 0; i < w.length; i++) {
                double normalized = total != 0 ? w[i] / total : w[i];
                fixed[i] = normalized < 0 ? (int) (-0.5 + normalized * (1 << PRECISION_BITS))
                        : (int) (0.5 + normalized * (1 << PRECISION_BITS));
            }
            start[o] = min;
            count[o] = w.length;
            weights[o] = fixed;
        }
        return new Coefficients(start, count, weights);
    }

    private static double triangle(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static int clip8(long accumulator) {
        if (accumulator >= (1L << PRECISION_BITS << 8)) {
            return 255;
        }
        if (accumulator <= 0) {
            return 0;
        }
        return (int) (accumulator >> PRECISION_BITS);
    }

    /** Resizes interleaved 8-bit pixels with {@code channels} bytes per pixel. */
    public static byte[] resize(byte[] in, int width, int height, int channels, int outWidth, int outHeight) {
        if (outWidth < 1 || outHeight < 1) {
            throw new IllegalArgumentException("cannot resize to " + outWidth + " x " + outHeight);
        }
        byte[] current = in;
        int w = width;
        if (outWidth != width) {
            Coefficients c = coefficients(width, outWidth);
            byte[] out = new byte[outWidth * height * channels];
            for (int y = 0; y < height; y++) {
                int row = y * width * channels;
                for (int x = 0; x < outWidth; x++) {
                    int[] k = c.weights()[x];
                    int first = c.start()[x];
                    for (int ch = 0; ch < channels; ch++) {
                        long acc = HALF;
                        for (int i = 0; i < k.length; i++) {
                            acc += (long) (current[row + (first + i) * channels + ch] & 0xff) * k[i];
                        }
                        out[(y * outWidth + x) * channels + ch] = (byte) clip8(acc);
                    }
                }
            }
            current = out;
            w = outWidth;
        }
        if (outHeight != height) {
            Coefficients c = coefficients(height, outHeight);
            byte[] out = new byte[w * outHeight * channels];
            int stride = w * channels;
            for (int y = 0; y < outHeight; y++) {
                int[] k = c.weights()[y];
                int first = c.start()[y];
                for (int x = 0; x < stride; x++) {
                    long acc = HALF;
                    for (int i = 0; i < k.length; i++) {
                        acc += (long) (current[(first + i) * stride + x] & 0xff) * k[i];
                    }
                    out[y * stride + x] = (byte) clip8(acc);
                }
            }
            current = out;
        }
        return current == in ? in.clone() : current;
    }

    public static Rgb8Image resize(Rgb8Image image, int outWidth, int outHeight) {
        return new Rgb8Image(outWidth, outHeight,
                resize(image.rgb(), image.width(), image.height(), 3, outWidth, outHeight));
    }
}
