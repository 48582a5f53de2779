package io.github.samfiji.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * An 8-bit RGB image in the layout SAM's Python reference works on: a {@code height × width × 3} array, row-major,
 * channels interleaved ({@code data[(y * width + x) * 3 + c]}, c = 0 red, 1 green, 2 blue). This is the layout of
 * the fixture {@code image.npy} and of a NumPy {@code uint8} image with shape {@code (H, W, 3)}.
 *
 * <p>Immutable by convention: the constructor takes ownership of the array without copying it, and the caller must
 * not modify it afterwards; {@link #toBytes()} returns a copy. Channel values are read as unsigned (0..255).
 */
public final class Rgb8Image {

    private final int width;
    private final int height;
    private final byte[] data;

    /**
     * @param width  width in pixels (at least 1)
     * @param height height in pixels (at least 1)
     * @param rgb    interleaved RGB bytes, length {@code width * height * 3}; kept, not copied
     */
    public Rgb8Image(int width, int height, byte[] rgb) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        Objects.requireNonNull(rgb, "rgb");
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("expected " + ((long) width * height * 3) + " bytes for " + width + "x"
                    + height + " RGB, got " + rgb.length);
        }
        this.width = width;
        this.height = height;
        this.data = rgb;
    }

    /** A grey image replicated into R = G = B; {@code grey} is row-major, {@code width * height} bytes. */
    public static Rgb8Image fromGrey(int width, int height, byte[] grey) {
        if ((long) width * height != grey.length) {
            throw new IllegalArgumentException("expected " + ((long) width * height) + " grey bytes, got " + grey.length);
        }
        byte[] rgb = new byte[grey.length * 3];
        for (int i = 0, j = 0; i < grey.length; i++, j += 3) {
            rgb[j] = grey[i];
            rgb[j + 1] = grey[i];
            rgb[j + 2] = grey[i];
        }
        return new Rgb8Image(width, height, rgb);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Channel {@code c} (0 red, 1 green, 2 blue) at (x, y), 0..255. */
    public int channel(int x, int y, int c) {
        checkBounds(x, y);
        if (c < 0 || c > 2) {
            throw new IndexOutOfBoundsException("channel " + c);
        }
        return data[(y * width + x) * 3 + c] & 0xFF;
    }

    public int r(int x, int y) {
        return channel(x, y, 0);
    }

    public int g(int x, int y) {
        return channel(x, y, 1);
    }

    public int b(int x, int y) {
        return channel(x, y, 2);
    }

    /** The pixel packed as {@code 0xRRGGBB}. */
    public int rgb(int x, int y) {
        checkBounds(x, y);
        int i = (y * width + x) * 3;
        return (data[i] & 0xFF) << 16 | (data[i + 1] & 0xFF) << 8 | (data[i + 2] & 0xFF);
    }

    /** A copy of the interleaved {@code H × W × 3} bytes. */
    public byte[] toBytes() {
        return data.clone();
    }

    /** One channel as a row-major {@code H × W} byte array (a copy). */
    public byte[] channelBytes(int c) {
        if (c < 0 || c > 2) {
            throw new IndexOutOfBoundsException("channel " + c);
        }
        byte[] out = new byte[width * height];
        for (int i = 0, j = c; i < out.length; i++, j += 3) {
            out[i] = data[j];
        }
        return out;
    }

    /** Direct access to the backing array for this package's resamplers; never modified through it. */
    byte[] data() {
        return data;
    }

    private void checkBounds(int x, int y) {
        if (x < 0 || y < 0 || x >= width || y >= height) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ") outside " + width + "x" + height);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rgb8Image other && other.width == width && other.height == height
                && Arrays.equals(other.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Rgb8Image[" + width + "x" + height + "]";
    }
}
