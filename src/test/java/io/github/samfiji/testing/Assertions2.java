package io.github.samfiji.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;

/** Numeric comparisons that report where and by how much arrays differ. */
public final class Assertions2 {

    private Assertions2() {
    }

    public static void assertClose(String what, Npy expected, NDArray actual, double tolerance) {
        assertArrayEquals(expected.shape, actual.getShape().getShape(), what + ": shape");
        assertClose(what, expected.floats(), actual.toFloatArray(), tolerance);
    }

    public static void assertClose(String what, float[] expected, float[] actual, double tolerance) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + " != expected " + expected.length);
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        if (!(worst <= tolerance)) {
            fail(String.format("%s: max |diff| %.3g at index %d (expected %g, got %g) exceeds %.1g", what, worst, at,
                    expected[at], actual[at], tolerance));
        }
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs((double) a[i] - b[i]));
        }
        return worst;
    }
}
