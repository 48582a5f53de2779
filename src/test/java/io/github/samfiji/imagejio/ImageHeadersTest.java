package io.github.samfiji.imagejio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that claim more pixels than memory holds are refused from their header, fast and in one line. */
class ImageHeadersTest {

    @TempDir
    Path temp;

    /** A PNG signature and an IHDR chunk declaring the size (no image data follows). */
    private Path png(int width, int height, int colourType) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(33).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        b.putInt(13).put(new byte[] {'I', 'H', 'D', 'R'}).putInt(width).putInt(height).put((byte) 8)
                .put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0);
        return Files.write(temp.resolve("huge.png"), b.array());
    }

    /** A little-endian TIFF whose one directory declares width x height 8-bit grey pixels in one strip. */
    private Path tiff(int width, int height) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + 2 + 8 * 12 + 4 + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'I', 'I', 42, 0}).putInt(8);
        short[][] tags = {{256, 4}, {257, 4}, {258, 3}, {262, 3}, {273, 4}, {277, 3}, {278, 4}, {279, 4}};
        long[] values = {width, height, 8, 1, 8 + 2 + 8 * 12 + 4, 1, height, (long) width * height};
        b.putShort((short) tags.length);
        for (int i = 0; i < tags.length; i++) {
            b.putShort(tags[i][0]).putShort(tags[i][1]).putInt(1);
            if (tags[i][1] == 3) {
                b.putShort((short) values[i]).putShort((short) 0);
            } else {
                b.putInt((int) values[i]);
            }
        }
        b.putInt(0);
        return Files.write(temp.resolve("huge.tif"), b.array());
    }

    @Test
    void pngAndTiffHeadersGiveTheirSizeWithoutDecoding() throws IOException {
        ImageHeaders.Declared p = ImageHeaders.declared(png(100000, 100000, 2));
        assertEquals(100000, p.width());
        assertEquals(100000, p.height());
        ImageHeaders.Declared t = ImageHeaders.declared(tiff(60000, 60000));
        assertEquals(60000, t.width());
        assertEquals(60000, t.height());
        assertEquals(1, t.bytesPerPixel());
    }

    @Test
    void hugeDeclaredImagesAreRefusedQuicklyWithAdvice() throws IOException {
        for (Path file : new Path[] {png(100000, 100000, 2), tiff(60000, 60000)}) {
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> ImageFiles.open(file));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(e.getMessage().contains("pixels") && e.getMessage().contains("GB"), e.getMessage());
            assertTrue(e.getMessage().contains("more memory"), e.getMessage());
            assertTrue(seconds < 2, seconds + " s");
        }
    }

    @Test
    void aBrokenPngGivesOneLineWithoutImageJsTrace() throws IOException {
        Path file = png(64, 64, 0); // a header and nothing else
        IOException e = assertThrows(IOException.class, () -> ImageFiles.open(file));
        assertTrue(e.getMessage().startsWith("cannot read"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
