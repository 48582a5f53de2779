package io.github.samfiji.image;

/**
 * SAM's input geometry: the image is resized so that its longest side equals the encoder input size, keeping the
 * aspect ratio, and prompt coordinates are scaled by the same factors (x and y separately), as the reference does.
 */
public final class ResizeLongestSide {

    private ResizeLongestSide() {
    }

    /** {newHeight, newWidth}, rounded as the reference: int(side * (longest / max) + 0.5). */
    public static int[] targetSize(int height, int width, int longest) {
        double scale = longest * 1.0 / Math.max(height, width);
        return new int[] {(int) (height * scale + 0.5), (int) (width * scale + 0.5)};
    }

    public static Rgb8Image apply(Rgb8Image image, int longest) {
        int[] t = targetSize(image.height(), image.width(), longest);
        return PillowResize.resize(image, t[1], t[0]);
    }

    /**
     * A point of the original image in the resized frame, {x, y} as float32 (the reference scales in float64 and
     * hands float32 tensors to the model).
     */
    public static float[] applyCoords(double x, double y, int originalHeight, int originalWidth, int longest) {
        int[] t = targetSize(originalHeight, originalWidth, longest);
        return new float[] {(float) (x * ((double) t[1] / originalWidth)), (float) (y * ((double) t[0] / originalHeight))};
    }
}
