package io.github.samfiji.training;

import io.github.samfiji.image.Rgb8Image;

/**
 * One 2D training pair: an image and its binary mask (1 = object), row-major, same size. {@code group} names the
 * image or volume the slice comes from, so that the split never puts slices of one volume into two parts.
 */
public record TrainingSample(String name, String group, Rgb8Image image, byte[] mask) {

    public TrainingSample {
        if (mask.length != image.width() * image.height()) {
            throw new IllegalArgumentException(name + ": the mask has " + mask.length + " pixels but the image is "
                    + image.width() + " x " + image.height());
        }
    }

    public int width() {
        return image.width();
    }

    public int height() {
        return image.height();
    }

    public boolean hasForeground() {
        for (byte b : mask) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }
}
