package io.github.samfiji.image;

/**
 * SAM's {@code segment_anything.utils.transforms.ResizeLongestSide}: the image is resized so that its longest side
 * becomes the model's input size (1024 for the released models), and prompt coordinates are scaled to match.
 *
 * <p>Target size, as the reference computes it in double precision:
 * {@code scale = longest * 1.0 / max(h, w)}, then {@code newH = (int) (h * scale + 0.5)} and
 * {@code newW = (int) (w * scale + 0.5)}. The image is resampled with {@link PillowResize} (bit-exact with
 * the reference's PIL bilinear resize). Coordinates are scaled per axis: {@code x * (newW / w)} and
 * {@code y * (newH / h)} in double precision, then rounded to float, as the reference converts its float64 NumPy
 * result to a float32 tensor.
 */
public final class ResizeLongestSide {

    private ResizeLongestSide() {
    }

    /** {@code {newHeight, newWidth}} for an {@code h × w} image (the reference's {@code get_preprocess_shape}). */
    public static int[] targetSize(int h, int w, int longest) {
        if (h < 1 || w < 1 || longest < 1) {
            throw new IllegalArgumentException("sizes must be positive: " + h + "x" + w + ", longest " + longest);
        }
        double scale = longest * 1.0 / Math.max(h, w);
        int newH = (int) (h * scale + 0.5);
        int newW = (int) (w * scale + 0.5);
        return new int[] {newH, newW};
    }

    /** Resizes {@code image} so its longest side is {@code longest} ({@code apply_image}). */
    public static Rgb8Image apply(Rgb8Image image, int longest) {
        int[] size = targetSize(image.height(), image.width(), longest);
        return PillowResize.resize(image, size[1], size[0]);
    }

    /**
     * Scales points given as {@code x0, y0, x1, y1, ...} in original-image pixel coordinates to the resized image
     * ({@code apply_coords}).
     */
    public static float[] applyCoords(double[] xy, int origH, int origW, int longest) {
        if (xy.length % 2 != 0) {
            throw new IllegalArgumentException("coordinates come in (x, y) pairs; got " + xy.length + " values");
        }
        int[] size = targetSize(origH, origW, longest);
        double sx = (double) size[1] / origW;
        double sy = (double) size[0] / origH;
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = (float) (xy[i] * sx);
            out[i + 1] = (float) (xy[i + 1] * sy);
        }
        return out;
    }

    /** Scales a box {@code (x0, y0, x1, y1)} like two points ({@code apply_boxes}); returns {@code {x0, y0, x1, y1}}. */
    public static float[] applyBox(double x0, double y0, double x1, double y1, int origH, int origW, int longest) {
        return applyCoords(new double[] {x0, y0, x1, y1}, origH, origW, longest);
    }
}
