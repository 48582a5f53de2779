package io.github.samfiji.image;

/**
 * An 8-bit RGB image as SAM takes it: width x height pixels, interleaved R, G, B bytes, row-major
 * (the layout of a NumPy H x W x 3 uint8 array).
 */
public record Rgb8Image(int width, int height, byte[] rgb) {

    public Rgb8Image {
        if (width < 0 || height < 0) {
            throw new IllegalArgumentException("negative image size " + width + " x " + height);
        }
        if (rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("RGB buffer of " + rgb.length + " bytes does not hold " + width + " x "
                    + height + " pixels");
        }
    }

    /** Channel value 0..255 of pixel (x, y); channel 0 = red, 1 = green, 2 = blue. */
    public int get(int x, int y, int channel) {
        return rgb[(y * width + x) * 3 + channel] & 0xff;
    }
}
