package io.github.samfiji.imagejio;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * The pixel count an image file declares, read from its header without decoding any pixel, so that a file claiming
 * 100000 x 100000 pixels is refused in milliseconds instead of ending in an OutOfMemoryError after a minute.
 */
final class ImageHeaders {

    /** What a header declares: width, height, planes, bytes per pixel as ImageJ will hold them. */
    record Declared(long width, long height, long planes, int bytesPerPixel) {

        long bytes() {
            return width * height * planes * bytesPerPixel;
        }
    }

    private ImageHeaders() {
    }

    /**
     * Refuses an image whose pixels would need more than {@code budget} bytes of memory (or, when that looks short,
     * than {@code afterCollection} gives after a garbage collection), with a message that says what to do. Files whose header is not understood here are left to ImageJ's opener.
     */
    static void checkFits(Path file, long budget, java.util.function.LongSupplier afterCollection) throws IOException {
        Declared d = declared(file);
        if (d == null) {
            return;
        }
        if (d.width() <= 0 || d.height() <= 0 || d.planes() <= 0) {
            throw new IOException(String.format(Locale.ROOT, "cannot read %s as an image: its header declares %d x %d "
                    + "pixels", file.getFileName(), d.width(), d.height()));
        }
        // ImageJ holds the pixels; the model input and the outputs need about as much again.
        long needed = 2 * d.bytes();
        if (needed > budget) {
            budget = afterCollection.getAsLong(); // what looked used may be garbage not yet collected
        }
        if (needed > budget || d.width() * d.height() > Integer.MAX_VALUE) {
            throw new IOException(String.format(Locale.ROOT, "%s declares %d x %d pixels%s, which needs about %.1f GB "
                    + "of memory; %.1f GB are available to Java. Crop or scale it down first, or give Java more memory "
                    + "(SAMFIJI_JAVA_OPTS=-Xmx..., or Edit > Options > Memory in Fiji)", file.getFileName(), d.width(),
                    d.height(), d.planes() > 1 ? " x " + d.planes() + " planes" : "", needed / 1e9, budget / 1e9));
        }
    }

    /** The declared size of a PNG, TIFF, JPEG, GIF or BMP file; null for other formats or unreadable headers. */
    static Declared declared(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(32);
        }
        if (head.length >= 26 && (head[0] & 0xff) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
            return png(head);
        }
        if (head.length >= 4 && ((head[0] == 'I' && head[1] == 'I') || (head[0] == 'M' && head[1] == 'M'))) {
            return tiff(file);
        }
        return imageIo(file);
    }

    /** IHDR: width and height (big-endian), bit depth, colour type. */
    private static Declared png(byte[] head) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(head, 16, 10));
        long width = in.readInt() & 0xffffffffL;
        long height = in.readInt() & 0xffffffffL;
        int depth = in.readUnsignedByte();
        int colour = in.readUnsignedByte();
        // ImageJ opens colour PNGs as RGB (4 bytes a pixel) and grey ones as 8 or 16 bit.
        int bytes = colour == 0 ? (depth > 8 ? 2 : 1) : 4;
        return new Declared(width, height, 1, bytes);
    }

    /** The image file directories as ImageJ's TIFF decoder reads them (no pixel data). */
    private static Declared tiff(Path file) {
        try {
            ij.io.FileInfo[] info = new ij.io.TiffDecoder(file.getParent() == null ? "" : file.getParent() + "/",
                    file.getFileName().toString()).getTiffInfo();
            if (info == null || info.length == 0) {
                return null;
            }
            ij.io.FileInfo first = info[0];
            long planes = info.length == 1 ? Math.max(1, first.nImages) : info.length;
            return new Declared(first.width, first.height, planes, Math.max(1, first.getBytesPerPixel()));
        } catch (IOException | RuntimeException e) {
            return null; // ImageJ's opener reports it
        }
    }

    /** JPEG, GIF, BMP: the size from the reader's header parsing. */
    private static Declared imageIo(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                return null;
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new Declared(reader.getWidth(0), reader.getHeight(0), 1, 4);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
