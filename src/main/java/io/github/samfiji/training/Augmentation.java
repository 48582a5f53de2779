package io.github.samfiji.training;

import io.github.samfiji.image.Rgb8Image;
import java.util.Random;

/**
 * Seeded augmentation of the published recipe: histogram equalization (with probability 0.1), colour jitter
 * (brightness, contrast and saturation factors drawn from [1 − j, 1 + j], j = 0.3) and random horizontal and
 * vertical flips applied to image and mask together. Works on the resized image before padding.
 * For interactive training it can also shrink the picture (factor 0.5 to 1, with probability 0.5) and place it at a
 * random spot of a black canvas of the same size, so that objects are not always where the training images have
 * them (a model that finds "the central blob" without reading its prompt is what this guards against).
 */
public final class Augmentation {

    public static final double EQUALIZE_PROBABILITY = 0.1;
    public static final double JITTER = 0.3;

    public static final double SHIFT_PROBABILITY = 0.5;
    public static final double SMALLEST_SCALE = 0.5;

    private final boolean flips;
    private final boolean shrinkAndShift;

    public Augmentation(boolean flips) {
        this(flips, false);
    }

    public Augmentation(boolean flips, boolean shrinkAndShift) {
        this.flips = flips;
        this.shrinkAndShift = shrinkAndShift;
    }

    /** An augmented pair; {@code mask} is w·h bytes. The random choices come from {@code random} only. */
    public Pair apply(Rgb8Image image, byte[] mask, Random random) {
        int w = image.width();
        int h = image.height();
        byte[] rgb = image.toBytes().clone();
        if (random.nextDouble() < EQUALIZE_PROBABILITY) {
            equalize(rgb);
        }
        jitter(rgb, 1 + (random.nextDouble() * 2 - 1) * JITTER, 1 + (random.nextDouble() * 2 - 1) * JITTER,
                1 + (random.nextDouble() * 2 - 1) * JITTER);
        byte[] m = mask.clone();
        if (flips) {
            if (random.nextBoolean()) {
                rgb = flip(rgb, w, h, 3, true);
                m = flip(m, w, h, 1, true);
            }
            if (random.nextBoolean()) {
                rgb = flip(rgb, w, h, 3, false);
                m = flip(m, w, h, 1, false);
            }
        }
        if (shrinkAndShift && random.nextDouble() < SHIFT_PROBABILITY) {
            return shrinkAndShift(new Rgb8Image(w, h, rgb), m, random);
        }
        return new Pair(new Rgb8Image(w, h, rgb), m);
    }

    /** The pair scaled by a random factor in [0.5, 1) and pasted at a random place of a black canvas of its size. */
    static Pair shrinkAndShift(Rgb8Image image, byte[] mask, Random random) {
        int w = image.width();
        int h = image.height();
        double scale = SMALLEST_SCALE + random.nextDouble() * (1 - SMALLEST_SCALE);
        int sw = Math.max(1, (int) Math.round(w * scale));
        int sh = Math.max(1, (int) Math.round(h * scale));
        int ox = random.nextInt(w - sw + 1);
        int oy = random.nextInt(h - sh + 1);
        byte[] small = io.github.samfiji.image.PillowResize.resize(image, sw, sh).toBytes();
        byte[] rgb = new byte[w * h * 3];
        byte[] m = new byte[w * h];
        for (int y = 0; y < sh; y++) {
            System.arraycopy(small, y * sw * 3, rgb, ((oy + y) * w + ox) * 3, sw * 3);
            int sy = Math.min(h - 1, (int) ((y + 0.5) * h / sh));
            for (int x = 0; x < sw; x++) {
                int sx = Math.min(w - 1, (int) ((x + 0.5) * w / sw));
                m[(oy + y) * w + ox + x] = mask[sy * w + sx];
            }
        }
        return new Pair(new Rgb8Image(w, h, rgb), m);
    }

    public record Pair(Rgb8Image image, byte[] mask) {
    }

    /** Per-channel histogram equalization (PIL's ImageOps.equalize, as torchvision's RandomEqualize uses). */
    static void equalize(byte[] rgb) {
        int n = rgb.length / 3;
        for (int c = 0; c < 3; c++) {
            int[] hist = new int[256];
            for (int i = 0; i < n; i++) {
                hist[rgb[i * 3 + c] & 0xff]++;
            }
            int last = 255;
            while (last > 0 && hist[last] == 0) {
                last--;
            }
            int step = (n - hist[last]) / 255;
            if (step == 0) {
                continue;
            }
            int[] lut = new int[256];
            int acc = step / 2;
            for (int v = 0; v < 256; v++) {
                lut[v] = Math.min(255, acc / step);
                acc += hist[v];
            }
            for (int i = 0; i < n; i++) {
                rgb[i * 3 + c] = (byte) lut[rgb[i * 3 + c] & 0xff];
            }
        }
    }

    /** Brightness (scale), contrast (blend with the mean grey) and saturation (blend with the pixel's grey). */
    static void jitter(byte[] rgb, double brightness, double contrast, double saturation) {
        int n = rgb.length / 3;
        double meanGrey = 0;
        for (int i = 0; i < n; i++) {
            meanGrey += grey(rgb, i) * brightness;
        }
        meanGrey /= Math.max(1, n);
        for (int i = 0; i < n; i++) {
            double g = Math.min(255, grey(rgb, i) * brightness);
            for (int c = 0; c < 3; c++) {
                double v = Math.min(255, (rgb[i * 3 + c] & 0xff) * brightness);
                v = contrast * v + (1 - contrast) * meanGrey;
                double gc = contrast * g + (1 - contrast) * meanGrey;
                v = saturation * v + (1 - saturation) * gc;
                rgb[i * 3 + c] = (byte) Math.max(0, Math.min(255, Math.round(v)));
            }
        }
    }

    private static double grey(byte[] rgb, int i) {
        return 0.299 * (rgb[i * 3] & 0xff) + 0.587 * (rgb[i * 3 + 1] & 0xff) + 0.114 * (rgb[i * 3 + 2] & 0xff);
    }

    static byte[] flip(byte[] data, int w, int h, int channels, boolean horizontal) {
        byte[] out = new byte[data.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int sx = horizontal ? w - 1 - x : x;
                int sy = horizontal ? y : h - 1 - y;
                System.arraycopy(data, (sy * w + sx) * channels, out, (y * w + x) * channels, channels);
            }
        }
        return out;
    }
}
