package io.github.samfiji.model.sam2;

import io.github.samfiji.checkpoint.Sam2Loader;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Ops;
import io.github.samfiji.testing.Assertions2;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** The sam2_tiny fixture set: its model, its arrays, and comparisons that remember the worst error seen. */
public final class Sam2Fixture {

    public static final String SET = "sam2_tiny";

    /** Largest |reference - mine| per compared array, for the report printed after each test class. */
    public static final Map<String, Double> WORST = new TreeMap<>();

    private Sam2Fixture() {
    }

    public static Sam2Model loadModel() {
        Path set = Fixtures.set(SET);
        try {
            return Sam2Loader.load(set.resolve("sam2_tiny.pt"), set.resolve("config.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fixture image as the predictor receives it (H x W x 3 uint8). */
    public static io.github.samfiji.image.Rgb8Image image() {
        Npy image = npy("image");
        return new io.github.samfiji.image.Rgb8Image((int) image.shape[1], (int) image.shape[0], image.bytes());
    }

    public static Npy npy(String name) {
        return Fixtures.npy(SET, name);
    }

    public static boolean has(String name) {
        return Files.exists(Fixtures.set(SET).resolve(name + ".npy"));
    }

    /** The reference array as a float32 array of {@code manager} (a copy). */
    public static NDArray nd(NDManager manager, String name) {
        Npy n = npy(name);
        return Ops.constant(manager, n.floats(), new Shape(n.shape));
    }

    public static void assertClose(String name, NDArray actual, double tolerance) {
        Npy expected = npy(name);
        assertArrayEquals(expected.shape, actual.getShape().getShape(), name + ": shape");
        assertClose(name, expected.floats(), actual.toFloatArray(), tolerance);
    }

    /** {@link Assertions2#assertClose} that also records the worst difference for the parity report. */
    public static void assertClose(String name, float[] expected, float[] actual, double tolerance) {
        if (expected.length == actual.length) {
            double worst = Assertions2.maxAbsDiff(expected, actual);
            synchronized (WORST) {
                WORST.merge(name, worst, Math::max);
            }
        }
        Assertions2.assertClose(name, expected, actual, tolerance);
    }

    /** The arrays one after another (candidates' outputs as one array to compare). */
    public static float[] concat(float[][] parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Prints the worst errors seen so far (the parity report). */
    public static void report(String title) {
        StringBuilder sb = new StringBuilder(title).append(": max |reference - java|\n");
        synchronized (WORST) {
            if (WORST.isEmpty()) {
                return;
            }
            WORST.forEach((k, v) -> sb.append(String.format("  %-45s %.3g%n", k, v)));
            WORST.clear();
        }
        System.out.print(sb);
    }
}
