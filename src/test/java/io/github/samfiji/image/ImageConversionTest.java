package io.github.samfiji.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImg;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.basictypeaccess.array.FloatArray;
import net.imglib2.type.numeric.ARGBType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.type.numeric.integer.UnsignedShortType;
import net.imglib2.type.numeric.real.FloatType;
import net.imglib2.view.Views;

class ImageConversionTest {

    @Test
    void unsignedBytesAreKeptAndReplicated() {
        byte[] grey = new byte[4 * 3];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = (byte) (i * 23);
        }
        Rgb8Image rgb = ImageConversion.toRgb8(ArrayImgs.unsignedBytes(grey, 4, 3));
        assertEquals(4, rgb.width());
        assertEquals(3, rgb.height());
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                int v = grey[y * 4 + x] & 0xFF;
                assertEquals(v, rgb.r(x, y));
                assertEquals(v, rgb.g(x, y));
                assertEquals(v, rgb.b(x, y));
            }
        }
        // an 8-bit image with a small range is not stretched by default, but is on request
        byte[] dim = {10, 20, 30, 40};
        assertArrayEquals(new byte[] {10, 20, 30, 40}, ImageConversion.toRgb8(ArrayImgs.unsignedBytes(dim, 2, 2))
                .channelBytes(1));
        assertArrayEquals(new byte[] {0, 85, (byte) 170, (byte) 255},
                ImageConversion.toRgb8(ArrayImgs.unsignedBytes(dim, 2, 2), IntensityMapping.minMax()).channelBytes(1));
    }

    @Test
    void sixteenBitMinMaxTypeRangeAndFixed() {
        short[] data = {100, 600, 1100, 350, (short) 60000, 100};
        ArrayImg<UnsignedShortType, ?> img = ArrayImgs.unsignedShorts(data, 3, 2);
        // min..max = 100..60000
        Rgb8Image minMax = ImageConversion.toRgb8(img, IntensityMapping.minMax());
        assertArrayEquals(new int[] {0, 2, 4, 1, 255, 0}, channel(minMax, 0));

        // 0..65535: 600 -> 2.33 -> 2, 1100 -> 4.28 -> 4, 60000 -> 233.46 -> 233
        Rgb8Image type = ImageConversion.toRgb8(img, IntensityMapping.typeRange());
        assertArrayEquals(new int[] {0, 2, 4, 1, 233, 0}, channel(type, 0));

        // 100..1100: 600 -> 127.5 -> 128 (halves round up), 350 -> 63.75 -> 64
        Rgb8Image fixed = ImageConversion.toRgb8(img, IntensityMapping.fixed(100, 1100));
        assertArrayEquals(new int[] {0, 128, 255, 64, 255, 0}, channel(fixed, 0));
        assertArrayEquals(channel(fixed, 0), channel(fixed, 2));
    }

    @Test
    void signedTypeRange() {
        short[] data = {Short.MIN_VALUE, -1, 0, Short.MAX_VALUE};
        Rgb8Image rgb = ImageConversion.toRgb8(ArrayImgs.shorts(data, 4, 1), IntensityMapping.typeRange());
        // (v + 32768) / 65535 * 255: 0, 127.496 -> 127, 127.5019 -> 128, 255
        assertArrayEquals(new int[] {0, 127, 128, 255}, channel(rgb, 0));
        IntensityMapping.Range range = IntensityMapping.typeRange().range(ArrayImgs.shorts(data, 4, 1));
        assertEquals(-32768, range.lo());
        assertEquals(32767, range.hi());
    }

    @Test
    void floatTypeRangeIsZeroToOne() {
        float[] data = {-0.5f, 0f, 0.5f, 0.25f, 1f, 7f};
        Rgb8Image rgb = ImageConversion.toRgb8(ArrayImgs.floats(data, 6, 1), IntensityMapping.typeRange());
        assertArrayEquals(new int[] {0, 0, 128, 64, 255, 255}, channel(rgb, 0));
    }

    @Test
    void percentilesIgnoreOutliers() {
        // 1000 values 0..996 plus three outliers of 1e9; n - 1 = 999
        float[] data = new float[1000];
        for (int i = 0; i < 997; i++) {
            data[i] = i;
        }
        data[997] = 1e9f;
        data[998] = 1e9f;
        data[999] = 1e9f;
        ArrayImg<FloatType, FloatArray> img = ArrayImgs.floats(data, 40, 25);
        // 0.5th percentile at sorted index 0.005 * 999 = 4.995 -> 4.995; 99.5th at 994.005 -> 994.005
        IntensityMapping.Range range = IntensityMapping.percentile().range(img);
        assertEquals(4.995, range.lo(), 1e-9);
        assertEquals(994.005, range.hi(), 1e-9);
        // the default mapping for float data is the percentile mapping
        assertEquals(range, IntensityMapping.automatic().range(img));

        Rgb8Image rgb = ImageConversion.toRgb8(img);
        // v -> round((v - 4.995) / 989.01 * 255)
        assertEquals(0, rgb.r(0, 0)); // 0
        assertEquals(0, rgb.r(4, 0)); // 4 < lo
        assertEquals(1, rgb.r(7, 0)); // 7 -> 0.517 -> 1
        assertEquals(128, rgb.r(500 % 40, 500 / 40)); // 500 -> 127.63 -> 128
        assertEquals(255, rgb.r(995 % 40, 995 / 40)); // above hi
        assertEquals(255, rgb.r(999 % 40, 999 / 40)); // outlier

        // other percentiles: 10th at 99.9, 90th at 899.1
        IntensityMapping.Range r2 = IntensityMapping.percentile(10, 90).range(img);
        assertEquals(99.9, r2.lo(), 1e-9);
        assertEquals(899.1, r2.hi(), 1e-9);
    }

    @Test
    void percentileOfTwoHundredIntegers() {
        // 1..200, shuffled; index 0.995 -> 1.995, index 198.005 -> 199.005
        short[] data = new short[200];
        for (int i = 0; i < 200; i++) {
            data[i] = (short) ((i * 37) % 200 + 1);
        }
        IntensityMapping.Range range = IntensityMapping.automatic().range(ArrayImgs.unsignedShorts(data, 20, 10));
        assertEquals(1.995, range.lo(), 1e-12);
        assertEquals(199.005, range.hi(), 1e-12);
        assertEquals(127, range.map(100)); // (100 - 1.995) / 197.01 * 255 = 126.85
        assertEquals(0, range.map(1));
        assertEquals(255, range.map(200));
    }

    @Test
    void histogramAndSortedPercentilesAgree() {
        Random random = new Random(42);
        short[] shorts = new short[257 * 131];
        float[] floats = new float[shorts.length];
        for (int i = 0; i < shorts.length; i++) {
            int v = (int) Math.min(65535, Math.abs(random.nextGaussian() * 9000 + 20000));
            shorts[i] = (short) v;
            floats[i] = v;
        }
        for (double[] p : new double[][] {{0.5, 99.5}, {0, 100}, {1, 99}, {33.3, 66.7}}) {
            IntensityMapping m = IntensityMapping.percentile(p[0], p[1]);
            IntensityMapping.Range fromHistogram = m.range(ArrayImgs.unsignedShorts(shorts, 257, 131));
            IntensityMapping.Range fromSort = m.range(ArrayImgs.floats(floats, 257, 131));
            assertEquals(fromSort, fromHistogram);
        }
        IntensityMapping.Range all = IntensityMapping.percentile(0, 100).range(ArrayImgs.floats(floats, 257, 131));
        assertEquals(IntensityMapping.minMax().range(ArrayImgs.floats(floats, 257, 131)), all);
    }

    @Test
    void degeneratePercentilesFallBackToMinMax() {
        short[] data = new short[1000];
        data[10] = 1000;
        data[20] = 500;
        IntensityMapping.Range range = IntensityMapping.percentile().range(ArrayImgs.unsignedShorts(data, 100, 10));
        assertEquals(0, range.lo());
        assertEquals(1000, range.hi());
        Rgb8Image rgb = ImageConversion.toRgb8(ArrayImgs.unsignedShorts(data, 100, 10));
        assertEquals(255, rgb.g(10, 0));
        assertEquals(128, rgb.g(20, 0));
        assertEquals(0, rgb.g(0, 0));
    }

    @Test
    void constantImagesMapToZero() {
        short[] data = new short[6];
        java.util.Arrays.fill(data, (short) 1234);
        for (IntensityMapping m : new IntensityMapping[] {IntensityMapping.automatic(), IntensityMapping.minMax(),
            IntensityMapping.percentile()}) {
            Rgb8Image rgb = ImageConversion.toRgb8(ArrayImgs.unsignedShorts(data, 3, 2), m);
            assertArrayEquals(new byte[18], rgb.toBytes(), m.toString());
        }
        assertTrue(IntensityMapping.minMax().range(ArrayImgs.unsignedShorts(data, 3, 2)).isEmpty());
        // under a fixed range a constant image is mapped like any other
        assertEquals(255, ImageConversion.toRgb8(ArrayImgs.unsignedShorts(data, 3, 2), IntensityMapping.fixed(0, 1000))
                .r(2, 1));
    }

    @Test
    void nonFiniteValues() {
        float[] data = {Float.NaN, 10f, 20f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 15f};
        // the range ignores NaN and infinities: 10..20
        assertEquals(new IntensityMapping.Range(10, 20), IntensityMapping.minMax().range(ArrayImgs.floats(data, 3, 2)));
        Rgb8Image rgb = ImageConversion.toRgb8(ArrayImgs.floats(data, 3, 2), IntensityMapping.minMax());
        assertArrayEquals(new int[] {0, 0, 255, 255, 0, 128}, channel(rgb, 0));
        // all NaN or infinite: nothing to segment, said so rather than segmenting a black picture
        float[] nan = {Float.NaN, Float.POSITIVE_INFINITY};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageConversion.toRgb8(ArrayImgs.floats(nan, 2, 1)));
        assertTrue(e.getMessage().contains("no finite pixel value"), e.getMessage());
        // with a fixed (a volume's) range such a plane is black, as NaN pixels are
        assertArrayEquals(new byte[] {0, 0, 0, -1, -1, -1},
                ImageConversion.toRgb8(ArrayImgs.floats(nan, 2, 1), IntensityMapping.fixed(0, 1)).toBytes());
    }

    @Test
    void argbChannels() {
        int[] pixels = {0xFF102030, 0x00FF8001, 0x7F000000, 0x12345678};
        ArrayImg<ARGBType, ?> img = ArrayImgs.argbs(pixels, 2, 2);
        Rgb8Image rgb = ImageConversion.toRgb8(img);
        for (int i = 0; i < 4; i++) {
            assertEquals(pixels[i] & 0xFFFFFF, rgb.rgb(i % 2, i / 2), "pixel " + i);
        }
        // a stretching mode applies to the channel values jointly: min 0, max 255 here -> unchanged
        assertEquals(rgb, ImageConversion.toRgb8(img, IntensityMapping.minMax()));
        // joint range of 0x10..0x30 over all channels
        int[] narrow = {0x00101010, 0x00203020};
        Rgb8Image stretched = ImageConversion.toRgb8(ArrayImgs.argbs(narrow, 2, 1), IntensityMapping.minMax());
        assertEquals(0x000000, stretched.rgb(0, 0));
        assertEquals(0x80FF80, stretched.rgb(1, 0));
    }

    @Test
    void threeChannelImages() {
        // x, y, c = 2 x 2 x 3, float values: channel c holds 100 * c + x + 2y
        float[] data = new float[12];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 2; x++) {
                    data[c * 4 + y * 2 + x] = 100 * c + x + 2 * y;
                }
            }
        }
        ArrayImg<FloatType, ?> img = ArrayImgs.floats(data, 2, 2, 3);
        // joint min..max = 0..203
        Rgb8Image rgb = ImageConversion.toRgb8(img, IntensityMapping.minMax());
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                for (int c = 0; c < 3; c++) {
                    int expected = (int) Math.floor((100 * c + x + 2 * y) / 203.0 * 255 + 0.5);
                    assertEquals(expected, rgb.channel(x, y, c), x + "," + y + "," + c);
                }
            }
        }
        assertEquals(252, rgb.b(1, 0)); // 201 / 203 * 255 = 252.49
        assertEquals(126, rgb.g(0, 0)); // 100 / 203 * 255 = 125.62
    }

    @Test
    void threeChannelUnsignedBytesAreKept() {
        byte[] data = new byte[2 * 1 * 3];
        data[0] = 5; // c0 x0
        data[1] = 6; // c0 x1
        data[2] = 7; // c1 x0
        data[3] = 8;
        data[4] = (byte) 200; // c2 x0
        data[5] = (byte) 201;
        Rgb8Image rgb = ImageConversion.toRgb8(ArrayImgs.unsignedBytes(data, 2, 1, 3));
        assertEquals(0x0507C8, rgb.rgb(0, 0));
        assertEquals(0x0608C9, rgb.rgb(1, 0));
        // a single channel along the last dimension is grey
        Rgb8Image grey = ImageConversion.toRgb8(ArrayImgs.unsignedBytes(new byte[] {9, 10}, 2, 1, 1));
        assertEquals(0x090909, grey.rgb(0, 0));
        assertEquals(0x0A0A0A, grey.rgb(1, 0));
    }

    @Test
    void offsetIntervalsStartAtTheirMin() {
        short[] data = new short[10 * 8];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 10; x++) {
                data[y * 10 + x] = (short) (1000 + 10 * y + x);
            }
        }
        ArrayImg<UnsignedShortType, ?> img = ArrayImgs.unsignedShorts(data, 10, 8);
        // x 3..6, y 2..4: values 1023..1026, ..., 1043..1046; the range covers only the sub-interval
        RandomAccessibleInterval<UnsignedShortType> crop = Views.interval(img, new long[] {3, 2}, new long[] {6, 4});
        Rgb8Image rgb = ImageConversion.toRgb8(crop, IntensityMapping.minMax());
        assertEquals(4, rgb.width());
        assertEquals(3, rgb.height());
        assertEquals(0, rgb.r(0, 0));
        assertEquals(255, rgb.r(3, 2));
        assertEquals((int) Math.floor((1034 - 1023) / 23.0 * 255 + 0.5), rgb.r(1, 1));

        // translated images (negative and positive mins) read the same pixels
        Rgb8Image whole = ImageConversion.toRgb8(img, IntensityMapping.minMax());
        assertEquals(whole, ImageConversion.toRgb8(Views.translate(img, -7, 13), IntensityMapping.minMax()));

        // ARGB and 3-channel views with offsets in every dimension
        int[] argb = new int[10 * 8];
        for (int i = 0; i < argb.length; i++) {
            argb[i] = i * 0x010203;
        }
        ArrayImg<ARGBType, ?> colour = ArrayImgs.argbs(argb, 10, 8);
        Rgb8Image sub = ImageConversion.toRgb8(Views.interval(colour, new long[] {3, 2}, new long[] {6, 4}));
        assertEquals((2 * 10 + 3) * 0x010203, sub.rgb(0, 0));
        assertEquals((4 * 10 + 6) * 0x010203, sub.rgb(3, 2));

        byte[] planes = new byte[4 * 3 * 5];
        for (int i = 0; i < planes.length; i++) {
            planes[i] = (byte) i;
        }
        // x 4, y 3, c 5: channels 1..3 of a 5-channel image, translated
        RandomAccessibleInterval<UnsignedByteType> five = Views.translate(ArrayImgs.unsignedBytes(planes, 4, 3, 5), 2, -1, 10);
        RandomAccessibleInterval<UnsignedByteType> three = Views.interval(five, new long[] {3, -1, 11}, new long[] {5, 1, 13});
        Rgb8Image fromThree = ImageConversion.toRgb8(three);
        assertEquals(3, fromThree.width());
        // pixel (0, 0) is source x 1, y 0; channel k is source plane k + 1
        assertEquals(12 + 1, fromThree.r(0, 0));
        assertEquals(24 + 1, fromThree.g(0, 0));
        assertEquals(36 + 1, fromThree.b(0, 0));
        assertEquals(12 + 2 * 4 + 3, fromThree.r(2, 2));
    }

    @Test
    void rejectsUnsupportedShapesAndTypes() {
        assertThrows(IllegalArgumentException.class, () -> ImageConversion.toRgb8(ArrayImgs.floats(2, 2, 4)));
        assertThrows(IllegalArgumentException.class, () -> ImageConversion.toRgb8(ArrayImgs.floats(2, 2, 3, 2)));
        assertThrows(IllegalArgumentException.class, () -> ImageConversion.toRgb8(ArrayImgs.floats(5)));
        assertThrows(IllegalArgumentException.class, () -> ImageConversion.toRgb8(ArrayImgs.argbs(2, 2, 1)));
        assertThrows(IllegalArgumentException.class, () -> ImageConversion.toRgb8(ArrayImgs.complexFloats(2, 2)));
        assertThrows(IllegalArgumentException.class, () -> IntensityMapping.fixed(3, 3));
        assertThrows(IllegalArgumentException.class, () -> IntensityMapping.fixed(0, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> IntensityMapping.percentile(50, 50));
        assertThrows(IllegalArgumentException.class, () -> IntensityMapping.percentile(-1, 50));
    }

    @Test
    void mapRule() {
        assertEquals(0, IntensityMapping.map(Double.NaN, 0, 1));
        assertEquals(0, IntensityMapping.map(5, 3, 3));
        assertEquals(128, IntensityMapping.map(0.5, 0, 1)); // 127.5 rounds up
        assertEquals(127, IntensityMapping.map(0.498, 0, 1));
        for (int v = 0; v < 256; v++) {
            assertEquals(v, IntensityMapping.map(v, 0, 255));
        }
        assertEquals(new IntensityMapping.Range(0, 255),
                IntensityMapping.automatic().range(ArrayImgs.unsignedBytes(new byte[] {3, 4}, 2, 1)));
        // signed 16-bit data uses the percentile mapping by default
        assertEquals(IntensityMapping.percentile().range(ArrayImgs.shorts(new short[] {-5, 0, 7, 9}, 2, 2)),
                IntensityMapping.automatic().range(ArrayImgs.shorts(new short[] {-5, 0, 7, 9}, 2, 2)));
    }

    private static int[] channel(Rgb8Image image, int c) {
        byte[] bytes = image.channelBytes(c);
        int[] out = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[i] & 0xFF;
        }
        return out;
    }
}
