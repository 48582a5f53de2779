package io.github.samfiji.imagejio;

import ij.ImagePlus;
import ij.process.ImageProcessor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImgs;

/**
 * Presents ImageJ 1 pixels to the core as imglib2 images by wrapping the pixel arrays (no copy), one plane at a
 * time: 8-bit, 16-bit, 32-bit grey and RGB. Indexed-colour (LUT) images are converted to RGB first.
 */
public final class ImageWrapping {

    private ImageWrapping() {
    }

    /** The plane at a 1-based stack index (as ImageJ counts). */
    public static RandomAccessibleInterval<?> wrapPlane(ImagePlus image, int stackIndex) {
        if (stackIndex < 1 || stackIndex > image.getStackSize()) {
            throw new IllegalArgumentException("slice " + stackIndex + " is outside the stack of " + image.getStackSize()
                    + " slices of " + image.getTitle());
        }
        if (image.getType() == ImagePlus.COLOR_RGB && image.getNChannels() > 1) {
            throw new IllegalArgumentException(image.getTitle() + " is an RGB image with " + image.getNChannels()
                    + " channels, which is ambiguous: split the channels (Image > Color > Split Channels) or make it a "
                    + "composite first");
        }
        ImageProcessor ip = image.getStack().getProcessor(stackIndex);
        long w = ip.getWidth();
        long h = ip.getHeight();
        if (image.getType() == ImagePlus.COLOR_256) {
            return ArrayImgs.argbs((int[]) ip.convertToRGB().getPixels(), w, h);
        }
        Object pixels = ip.getPixels();
        if (pixels instanceof byte[] b) {
            return ArrayImgs.unsignedBytes(b, w, h);
        }
        if (pixels instanceof short[] s) {
            return ArrayImgs.unsignedShorts(s, w, h);
        }
        if (pixels instanceof float[] f) {
            return ArrayImgs.floats(f, w, h);
        }
        if (pixels instanceof int[] rgb) {
            return ArrayImgs.argbs(rgb, w, h);
        }
        throw new IllegalArgumentException("unsupported pixel type in " + image.getTitle());
    }
}
