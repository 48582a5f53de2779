package io.github.samfiji.model.sam2;

import io.github.samfiji.image.Rgb8Image;

/**
 * SAM 2's image transform: RGB scaled to [0, 1], resized to the square encoder input without keeping the aspect
 * ratio (antialiased bilinear, as current torchvision), then normalized with the ImageNet mean and deviation. Every
 * step is float32 as in the reference, so the result is bit-identical to it.
 */
public final class Sam2Preprocessing {

    private Sam2Preprocessing() {
    }

    /** The encoder input (3, size, size), channel planes in row-major order. */
    public static float[] preprocess(Rgb8Image image, int size) {
        int w = image.width();
        int h = image.height();
        byte[] rgb = image.toBytes();
        float[] planes = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < h * w; i++) {
                planes[c * h * w + i] = (float) (rgb[i * 3 + c] & 0xff) / 255f;
            }
        }
        float[] out = Interpolation.resizeAntialiased(planes, 3, h, w, size, size);
        int area = size * size;
        for (int c = 0; c < 3; c++) {
            float mean = Sam2Config.PIXEL_MEAN[c];
            float std = Sam2Config.PIXEL_STD[c];
            for (int i = c * area; i < (c + 1) * area; i++) {
                out[i] = (out[i] - mean) / std;
            }
        }
        return out;
    }
}
