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
