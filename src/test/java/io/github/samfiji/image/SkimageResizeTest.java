package io.github.samfiji.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.testing.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Each piece of {@link SkimageResize} against the SciPy/skimage call it reproduces, on random float64 data written by
 * {@code src/test/resources/medsam/make_medsam_reference.py} (SciPy 1.10.1, skimage 0.19.3, NumPy 1.24.2).
 */
class SkimageResizeTest {

    /** Double precision throughout: only rounding differences (a few ulps of values up to 255) may remain. */
    private static final double TOLERANCE = 1e-10;

    static Npy npy(String name) {
        try {
            return Npy.read(Path.of(SkimageResizeTest.class.getResource("/medsam/" + name + ".npy").toURI()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double maxDiff(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, "length");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }

    @Test
    void gaussianAntiAliasingMatchesNdimageGaussianFilterWithMirrorBorders() {
        Npy in = npy("piece_gauss__in");
        int[] shape = in.intShape();
        double[] data = in.doubles();
        data = SkimageResize.alongAxis(data, shape, 0, SkimageResize.gaussianLine(SkimageResize.gaussianKernel(1.3)));
        data = SkimageResize.alongAxis(data, shape, 1, SkimageResize.gaussianLine(SkimageResize.gaussianKernel(2.7)));
        double diff = maxDiff(npy("piece_gauss__out").doubles(), data);
        assertTrue(diff < TOLERANCE, "gaussian_filter differs by " + diff);
    }

    @Test
    void splinePrefilterMatchesNdimageSplineFilterOnEveryAxis() {
        Npy in = npy("piece_spline__in");
        int[] shape = in.intShape();
        double[] data = in.doubles();
        for (int axis = 0; axis < 3; axis++) {
            data = SkimageResize.alongAxis(data, shape, axis, SkimageResize::splineFilterLine);
        }
        double diff = maxDiff(npy("piece_spline__out").doubles(), data);
        assertTrue(diff < TOLERANCE, "spline_filter differs by " + diff);
    }

    @Test
    void resizeMatchesSkimageUpDownMixedAndSingleChannel() {
        for (String name : new String[] {"up", "down", "mixed", "grey"}) {
            Npy in = npy("piece_resize_" + name + "__in");
            Npy out = npy("piece_resize_" + name + "__out");
            int[] s = in.intShape();
            float[] bytes = in.floats();
            double[] values = new double[bytes.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = bytes[i];
            }
            int[] o = out.intShape();
            double[] actual = SkimageResize.resize(values, s[0], s[1], s[2], o[0], o[1]);
            double diff = maxDiff(out.doubles(), actual);
            assertTrue(diff < TOLERANCE, name + ": resize differs by " + diff);
        }
    }

    /**
     * MedSAM's full-size resize (to 1024) of two formula images larger than 1024 on one side: flat regions (where a
     * value one rounding below an integer would truncate a grey level down) and a ramp. Every output row matches
     * skimage's 8-bit result exactly (CRC-32 per row): no value flipped by the truncation.
     */
    @Test
    void fullSizeResizeOfFlatRegionsAndARampIsBitExact() throws Exception {
        Rgb8Image flat = formula(1300, 700, (y, x, c) -> x < 50 ? 255 : y >= 300 && y < 900 && x >= 200 && x < 500 ? 37 : 100);
        Rgb8Image ramp = formula(1100, 1200, (y, x, c) -> (x * x + 3 * y + 50 * c) % 256);
        for (Object[] c : new Object[][] {{"flat_1300x700", flat}, {"ramp_1100x1200", ramp}}) {
            java.util.List<String> expected = java.nio.file.Files.readAllLines(Path.of(SkimageResizeTest.class
                    .getResource("/medsam/big_" + c[0] + "_to_1024.txt").toURI()));
            byte[] out = MedSamPreprocessing.resize((Rgb8Image) c[1], 1024).toBytes();
            assertEquals(1024, expected.size());
            for (int y = 0; y < 1024; y++) {
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(out, y * 1024 * 3, 1024 * 3);
                assertEquals(expected.get(y), String.format("%08x", crc.getValue()), c[0] + ", row " + y);
            }
        }
    }

    interface Formula {
        int value(int y, int x, int c);
    }

    private static Rgb8Image formula(int h, int w, Formula f) {
        byte[] rgb = new byte[h * w * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * w + x) * 3 + c] = (byte) f.value(y, x, c);
                }
            }
        }
        return new Rgb8Image(w, h, rgb);
    }

    @Test
    void numpyCastToUint8TruncatesAndWrapsOutsideTheRange() {
        assertEquals(254, SkimageResize.toUint8(254.9999999));
        assertEquals(0, SkimageResize.toUint8(0.999));
        assertEquals(0, SkimageResize.toUint8(-0.5));
        assertEquals(1, SkimageResize.toUint8(257.2));
        assertEquals(255, SkimageResize.toUint8(-1.5));
    }

    @Test
    void mirrorIndexingFollowsScipy() {
        // d c b | a b c d | c b a
        int[] expected = {3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1};
        for (int i = -3; i <= 7; i++) {
            assertEquals(expected[i + 3], SkimageResize.mirror(i, 4), "index " + i);
        }
    }

    @Test
    void badSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SkimageResize.resize(new double[6], 1, 2, 3, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> SkimageResize.resize(new double[5], 1, 2, 3, 2, 4));
    }
}
