package io.github.samfiji.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.TorchRuntime;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Java post-processing equals the tensor one, and its shortcut counts equal counting the full-size logits. */
class LogitUpscalerTest {

    /** (padded input, resized image w x h, original w x h): upsampling, downsampling, and both at once. */
    private static final int[][] CASES = {{256, 256, 166, 97, 150}, {64, 64, 40, 300, 200}, {256, 200, 256, 150, 190}};

    @Test
    void equalsTheTensorPostprocessing() {
        Random random = new Random(5);
        try (NDManager m = TorchRuntime.newManager()) {
            for (int[] c : CASES) {
                int low = 64;
                float[] lowRes = randomLogits(random, low);
                LogitUpscaler upscaler = new LogitUpscaler(low, c[0], c[1], c[2], c[3], c[4]);
                NDArray expected = SamPredictor.postprocess(Ops.constant(m, lowRes, new Shape(1, 1, low, low)), c[2], c[1],
                        c[4], c[3], c[0]);
                float[] e = expected.toFloatArray();
                float[] a = upscaler.upscale(lowRes);
                assertEquals(e.length, a.length);
                for (int i = 0; i < e.length; i++) {
                    assertEquals(e[i], a[i], 1e-4, "pixel " + i);
                }
            }
        }
    }

    @Test
    void summaryEqualsCountingEveryPixel() {
        Random random = new Random(6);
        for (int[] c : CASES) {
            for (int trial = 0; trial < 20; trial++) {
                int low = 64;
                float[] lowRes = randomLogits(random, low);
                if (trial % 2 == 0) {
                    // Many cells exactly at the thresholds, where the shortcut must not guess.
                    for (int i = 0; i < lowRes.length; i++) {
                        lowRes[i] = Math.round(lowRes[i] / 4) * 1f;
                    }
                }
                LogitUpscaler upscaler = new LogitUpscaler(low, c[0], c[1], c[2], c[3], c[4]);
                float[] full = upscaler.upscale(lowRes);
                long area = 0;
                long high = 0;
                long lowCount = 0;
                int x0 = Integer.MAX_VALUE;
                int y0 = Integer.MAX_VALUE;
                int x1 = -1;
                int y1 = -1;
                for (int y = 0; y < c[4]; y++) {
                    for (int x = 0; x < c[3]; x++) {
                        float v = full[y * c[3] + x];
                        high += v > 1 ? 1 : 0;
                        lowCount += v > -1 ? 1 : 0;
                        if (v > 0) {
                            area++;
                            x0 = Math.min(x0, x);
                            y0 = Math.min(y0, y);
                            x1 = Math.max(x1, x);
                            y1 = Math.max(y1, y);
                        }
                    }
                }
                LogitUpscaler.Summary s = upscaler.summarize(lowRes, 0, 1);
                assertEquals(area, s.area());
                assertEquals(high, s.aboveHigh());
                assertEquals(lowCount, s.aboveLow());
                if (area > 0) {
                    assertArrayEquals(new int[] {x0, y0, x1, y1}, new int[] {s.x0(), s.y0(), s.x1(), s.y1()});
                    boolean[] bits = upscaler.maskInBox(lowRes, 0, x0, y0, x1, y1);
                    for (int y = y0; y <= y1; y++) {
                        for (int x = x0; x <= x1; x++) {
                            assertEquals(full[y * c[3] + x] > 0, bits[(y - y0) * (x1 - x0 + 1) + x - x0]);
                        }
                    }
                }
            }
        }
    }

    /** Smooth blobs of logits between about -8 and 8, like a decoder's. */
    private static float[] randomLogits(Random random, int low) {
        float[] out = new float[low * low];
        double cx = random.nextDouble() * low;
        double cy = random.nextDouble() * low;
        double r = 5 + random.nextDouble() * low / 3;
        for (int y = 0; y < low; y++) {
            for (int x = 0; x < low; x++) {
                double d = Math.hypot(x - cx, y - cy);
                out[y * low + x] = (float) (8 * (r - d) / r + random.nextGaussian() * 0.5);
            }
        }
        return out;
    }
}
