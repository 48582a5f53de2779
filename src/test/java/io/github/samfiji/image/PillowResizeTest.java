package io.github.samfiji.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.samfiji.testing.NeedsSharedData;
import java.util.List;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.Npy;

class PillowResizeTest {

    @Test
    @NeedsSharedData
    void samTinyAndMobileSamTinyShareTheirImage() {
        Npy sam = Fixtures.npy("sam_tiny", "image");
        Npy mobile = Fixtures.npy("mobile_sam_tiny", "image");
        assertArrayEquals(sam.intShape(), mobile.intShape());
        assertArrayEquals(sam.bytes(), mobile.bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sam_tiny", "mobile_sam_tiny"})
    @NeedsSharedData
    void reproducesFixtureResizeBitExactly(String set) {
        Npy image = Fixtures.npy(set, "image");
        Npy expected = Fixtures.npy(set, "image_resized");
        int[] in = image.intShape();
        int[] out = expected.intShape();
        assertArrayEquals(new int[] {150, 97, 3}, in);
        assertArrayEquals(new int[] {256, 166, 3}, out);
        assertArrayEquals(new int[] {256, 166}, ResizeLongestSide.targetSize(in[0], in[1], 256));

        Rgb8Image resized = ResizeLongestSide.apply(new Rgb8Image(in[1], in[0], image.bytes()), 256);
        assertEquals(166, resized.width());
        assertEquals(256, resized.height());
        assertBytesEqual(expected.bytes(), resized.toBytes(), 166, 3);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "down_40x30_to_23x17", "down_97x61_to_7x5", "up_13x9_to_37x29", "mixed_50x20_to_31x45",
        "width_unchanged_30x20_to_30x11", "height_unchanged_30x20_to_17x20", "column_1x7_to_5x20",
        "row_9x1_to_4x1", "row_9x1_to_9x3", "pixel_1x1_to_3x2"})
    void matchesPillowOnRgb(String name) {
        Npy in = ResizeReferences.npy(name + "__in");
        Npy out = ResizeReferences.npy(name + "__out");
        int[] s = in.intShape();
        int[] t = out.intShape();
        Rgb8Image resized = PillowResize.resize(new Rgb8Image(s[1], s[0], in.bytes()), t[1], t[0]);
        assertEquals(t[1], resized.width());
        assertEquals(t[0], resized.height());
        assertBytesEqual(out.bytes(), resized.toBytes(), t[1], 3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"grey_37x23_to_16x50", "grey_gradient_64x48_to_45x33"})
    void matchesPillowOnGrey(String name) {
        Npy in = ResizeReferences.npy(name + "__in");
        Npy out = ResizeReferences.npy(name + "__out");
        int[] s = in.intShape();
        int[] t = out.intShape();
        assertEquals(2, s.length);
        byte[] resized = PillowResize.resizeGrey(in.bytes(), s[1], s[0], t[1], t[0]);
        assertBytesEqual(out.bytes(), resized, t[1], 1);
    }

    /** Longest side 1024 (and 256) from ultrasound-sized and larger synthetic images, checked by per-row CRC-32. */
    @ParameterizedTest
    @ValueSource(strings = {
        "ultrasound_600x500_to_1024", "portrait_500x600_to_1024", "ultrasound_600x500_to_256",
        "large_1300x1100_to_1024"})
    void matchesPillowOnLargeImages(String name) {
        List<String> lines = ResizeReferences.lines("big_" + name + ".txt");
        String[] header = lines.get(0).trim().split(" ");
        int h = Integer.parseInt(header[0]);
        int w = Integer.parseInt(header[1]);
        int longest = Integer.parseInt(header[2]);
        int outH = Integer.parseInt(header[3]);
        int outW = Integer.parseInt(header[4]);
        assertArrayEquals(new int[] {outH, outW}, ResizeLongestSide.targetSize(h, w, longest));
        assertEquals(outH + 1, lines.size());

        Rgb8Image resized = ResizeLongestSide.apply(ResizeReferences.synthetic(h, w), longest);
        assertEquals(outW, resized.width());
        assertEquals(outH, resized.height());
        byte[] data = resized.toBytes();
        CRC32 crc = new CRC32();
        for (int y = 0; y < outH; y++) {
            crc.reset();
            crc.update(data, y * outW * 3, outW * 3);
            assertEquals(lines.get(y + 1).trim(), String.format("%08x", crc.getValue()), "row " + y + " of " + name);
        }
    }

    @Test
    void greyAndRgbUseTheSameWeights() {
        Rgb8Image image = ResizeReferences.synthetic(41, 67);
        Rgb8Image resized = PillowResize.resize(image, 29, 88);
        for (int c = 0; c < 3; c++) {
            byte[] channel = PillowResize.resizeGrey(image.channelBytes(c), 67, 41, 29, 88);
            assertArrayEquals(resized.channelBytes(c), channel, "channel " + c);
        }
    }

    @Test
    void constantImageStaysConstant() {
        byte[] grey = new byte[13 * 7];
        java.util.Arrays.fill(grey, (byte) 200);
        for (int[] size : new int[][] {{5, 3}, {40, 19}, {13, 30}, {1, 1}}) {
            byte[] out = PillowResize.resizeGrey(grey, 13, 7, size[0], size[1]);
            for (byte b : out) {
                assertEquals(200, b & 0xFF);
            }
        }
    }

    @Test
    void unchangedSizeCopies() {
        Rgb8Image image = ResizeReferences.synthetic(5, 4);
        Rgb8Image same = PillowResize.resize(image, 4, 5);
        assertEquals(image, same);
        assertNotSame(image.toBytes(), same.toBytes());
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> PillowResize.resizeGrey(new byte[6], 3, 2, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> PillowResize.resizeGrey(new byte[5], 3, 2, 2, 4));
    }

    private static void assertBytesEqual(byte[] expected, byte[] actual, int width, int channels) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                int pixel = i / channels;
                throw new AssertionError("first difference at x=" + pixel % width + " y=" + pixel / width + " c="
                        + i % channels + ": expected " + (expected[i] & 0xFF) + ", got " + (actual[i] & 0xFF));
            }
        }
    }
}
