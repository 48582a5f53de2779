package io.github.samfiji.image;

/**
 * Bit-exact re-implementation of Pillow's (9.4) 8-bit {@code Image.resize(size, Image.BILINEAR)}, the resampler that
 * SAM's {@code ResizeLongestSide.apply_image} reaches through torchvision's {@code resize} on a PIL image.
 *
 * <p>The algorithm, per axis (input size {@code in}, output size {@code out}):
 * <ul>
 *   <li>{@code scale = in / out}; {@code filterscale = max(scale, 1)} (so downscaling is antialiased) and the support
 *       of the triangle filter is {@code filterscale} input pixels;</li>
 *   <li>output pixel {@code i} is centred at {@code (i + 0.5) * scale}; it reads the input pixels
 *       {@code xmin = max((int) (center - support + 0.5), 0)} up to (exclusive)
 *       {@code min((int) (center + support + 0.5), in)}, with weights
 *       {@code triangle((x - center + 0.5) / filterscale)} divided by their sum;</li>
 *   <li>the normalized weights become 22-bit fixed point, rounded half away from zero; the accumulator starts at
 *       {@code 1 << 21} and the result is {@code clamp(acc >> 22, 0, 255)}.</li>
 * </ul>
 * The horizontal pass runs first and is stored as 8-bit, then the vertical pass; an axis whose size does not change
 * is not resampled at all (an unchanged image is copied).
 */
public final class PillowResize {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PillowResize() {
    }

    /** Resizes an RGB image to {@code outWidth × outHeight}. */
    public static Rgb8Image resize(Rgb8Image in, int outWidth, int outHeight) {
        byte[] out = resize(in.data(), in.width(), in.height(), 3, outWidth, outHeight);
        return new Rgb8Image(outWidth, outHeight, out);
    }

    /** Resizes a single-channel (Pillow mode {@code "L"}) row-major image; returns {@code outWidth * outHeight} bytes. */
    public static byte[] resizeGrey(byte[] grey, int width, int height, int outWidth, int outHeight) {
        return resize(grey, width, height, 1, outWidth, outHeight);
    }

    /**
     * Resizes an interleaved 8-bit image with {@code channels} samples per pixel ({@code data[(y*width+x)*channels+c]}).
     * Every channel is resampled independently with the same weights.
     */
    public static byte[] resize(byte[] data, int width, int height, int channels, int outWidth, int outHeight) {
        if (width < 1 || height < 1 || outWidth < 1 || outHeight < 1 || channels < 1) {
            throw new IllegalArgumentException("sizes must be positive: " + width + "x" + height + " -> " + outWidth
                    + "x" + outHeight + ", channels " + channels);
        }
        if ((long) width * height * channels != data.length) {
            throw new IllegalArgumentException("expected " + ((long) width * height * channels) + " bytes, got "
                    + data.length);
        }
        byte[] current = data;
        if (outWidth != width) {
            current = horizontal(current, width, height, channels, outWidth, Coefficients.of(width, outWidth));
        }
        if (outHeight != height) {
            current = vertical(current, outWidth, height, channels, outHeight, Coefficients.of(height, outHeight));
        }
        return current == data ? data.clone() : current;
    }

    private static byte[] horizontal(byte[] in, int width, int height, int channels, int outWidth, Coefficients co) {
        byte[] out = new byte[outWidth * height * channels];
        int[] acc = new int[channels];
        for (int y = 0; y < height; y++) {
            int rowIn = y * width * channels;
            int o = y * outWidth * channels;
            for (int xx = 0; xx < outWidth; xx++) {
                java.util.Arrays.fill(acc, HALF);
                int first = co.first[xx];
                int n = co.count[xx];
                int kBase = xx * co.ksize;
                for (int t = 0; t < n; t++) {
                    int k = co.weights[kBase + t];
                    int p = rowIn + (first + t) * channels;
                    for (int c = 0; c < channels; c++) {
                        acc[c] += (in[p + c] & 0xFF) * k;
                    }
                }
                for (int c = 0; c < channels; c++) {
                    out[o++] = clip8(acc[c]);
                }
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int width, int height, int channels, int outHeight, Coefficients co) {
        int rowLength = width * channels;
        byte[] out = new byte[rowLength * outHeight];
        int[] acc = new int[rowLength];
        for (int yy = 0; yy < outHeight; yy++) {
            java.util.Arrays.fill(acc, HALF);
            int first = co.first[yy];
            int n = co.count[yy];
            int kBase = yy * co.ksize;
            for (int t = 0; t < n; t++) {
                int k = co.weights[kBase + t];
                int rowIn = (first + t) * rowLength;
                for (int i = 0; i < rowLength; i++) {
                    acc[i] += (in[rowIn + i] & 0xFF) * k;
                }
            }
            int o = yy * rowLength;
            for (int i = 0; i < rowLength; i++) {
                out[o + i] = clip8(acc[i]);
            }
        }
        return out;
    }

    private static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** Triangle (bilinear) filter with support 1. */
    private static double triangle(double x) {
        double a = x < 0.0 ? -x : x;
        return a < 1.0 ? 1.0 - a : 0.0;
    }

    /** Fixed-point resampling weights for one axis. */
    static final class Coefficients {
        final int ksize;
        final int[] first;
        final int[] count;
        /** {@code weights[i * ksize + t]}: weight of input pixel {@code first[i] + t} for output pixel {@code i}. */
        final int[] weights;

        private Coefficients(int ksize, int[] first, int[] count, int[] weights) {
            this.ksize = ksize;
            this.first = first;
            this.count = count;
            this.weights = weights;
        }

        static Coefficients of(int inSize, int outSize) {
            // Pillow takes the box edges as C floats; integer sizes below 2^24 are exact, so this is in / out in double.
            double scale = (double) inSize / outSize;
            double filterscale = Math.max(scale, 1.0);
            double support = 1.0 * filterscale; // BILINEAR support is 1
            int ksize = (int) Math.ceil(support) * 2 + 1;
            double ss = 1.0 / filterscale;
            int[] first = new int[outSize];
            int[] count = new int[outSize];
            int[] weights = new int[outSize * ksize];
            double[] w = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = 0.0 + (xx + 0.5) * scale;
                // C's (int) cast truncates toward zero, as Java's does
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                if (xmax > ksize) {
                    throw new IllegalStateException("filter window " + xmax + " exceeds " + ksize);
                }
                double sum = 0.0;
                for (int x = 0; x < xmax; x++) {
                    // same association as Pillow: ((x + xmin) - center + 0.5) * ss
                    double v = triangle(((double) (x + xmin) - center + 0.5) * ss);
                    w[x] = v;
                    sum += v;
                }
                for (int x = 0; x < xmax; x++) {
                    double k = sum != 0.0 ? w[x] / sum : w[x];
                    double scaled = k * (1 << PRECISION_BITS);
                    weights[xx * ksize + x] = k < 0 ? (int) (-0.5 + scaled) : (int) (0.5 + scaled);
                }
                first[xx] = xmin;
                count[xx] = xmax;
            }
            return new Coefficients(ksize, first, count, weights);
        }
    }
}
