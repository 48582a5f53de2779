package io.github.samfiji.image;

/**
 * MedSAM's image and prompt preprocessing ({@code MedSAM_Inference.py}, Ma et al. 2024): the image is squashed to the
 * square encoder input without keeping its aspect ratio (skimage's bicubic resize with anti-aliasing, cast to 8 bits),
 * min-max scaled to [0, 1] over all channels, with no mean/std normalisation and no padding; prompt coordinates are
 * scaled per axis as {@code x / width * size}.
 */
public final class MedSamPreprocessing {

    /** MedSAM's floor for the min-max denominator (a constant image becomes all zeros). */
    private static final double MIN_RANGE = 1e-8;

    private MedSamPreprocessing() {
    }

    /** The image resized to {@code size x size} as MedSAM does (before scaling to [0, 1]). */
    public static Rgb8Image resize(Rgb8Image image, int size) {
        return SkimageResize.resizeToBytes(image, size, size);
    }

    /** The encoder input (3 x size x size planes, float32) of an image already resized to the square input. */
    public static float[] normalize(Rgb8Image resized) {
        int w = resized.width();
        int h = resized.height();
        byte[] rgb = resized.toBytes();
        int min = 255;
        int max = 0;
        for (byte b : rgb) {
            min = Math.min(min, b & 0xff);
            max = Math.max(max, b & 0xff);
        }
        double range = Math.max(max - min, MIN_RANGE);
        float[] out = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < w * h; i++) {
                out[c * w * h + i] = (float) (((rgb[i * 3 + c] & 0xff) - min) / range);
            }
        }
        return out;
    }

    /** The encoder input of an image of any size: {@link #resize} then {@link #normalize}. */
    public static float[] input(Rgb8Image image, int size) {
        return normalize(resize(image, size));
    }

    /**
     * Scales points given as {@code x0, y0, x1, y1, ...} in original-image pixels to the square input, per axis and in
     * double precision before the cast to float, as MedSAM scales its boxes ({@code box / [W, H, W, H] * 1024}).
     */
    public static float[] applyCoords(double[] xy, int origH, int origW, int size) {
        if (xy.length % 2 != 0) {
            throw new IllegalArgumentException("coordinates come in (x, y) pairs; got " + xy.length + " values");
        }
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = (float) (xy[i] / origW * size);
            out[i + 1] = (float) (xy[i + 1] / origH * size);
        }
        return out;
    }
}
