package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The prompts the interactive objective draws: one object per connected part, background boxes off the mask. */
class InteractiveObjectiveTest {

    private static final int LOW = 16;

    private static boolean[] squares(int[]... corners) {
        boolean[] mask = new boolean[LOW * LOW];
        for (int[] c : corners) {
            for (int y = c[1]; y < c[1] + c[2]; y++) {
                for (int x = c[0]; x < c[0] + c[2]; x++) {
                    mask[y * LOW + x] = true;
                }
            }
        }
        return mask;
    }

    @Test
    void eachConnectedPartIsItsOwnObjectAndSpecksAreLeftOut() {
        boolean[] mask = squares(new int[] {1, 1, 3}, new int[] {10, 10, 4}, new int[] {14, 1, 1});
        List<boolean[]> objects = InteractiveObjective.objects(mask, LOW, new Random(1));
        assertEquals(2, objects.size(), "two parts of 9 and 16 cells; the 1-cell speck is not prompted alone");
        long[] sizes = objects.stream().mapToLong(o -> {
            long n = 0;
            for (boolean b : o) {
                n += b ? 1 : 0;
            }
            return n;
        }).sorted().toArray();
        assertEquals("[9, 16]", Arrays.toString(sizes));
        // Only a speck: it is still an object, rather than nothing to train on.
        assertEquals(1, InteractiveObjective.objects(squares(new int[] {5, 5, 1}), LOW, new Random(1)).size());
    }

    @Test
    void backgroundBoxesNeverTouchTheMaskOrItsNeighbours() {
        boolean[] mask = squares(new int[] {0, 0, 5}, new int[] {12, 12, 4});
        float cell = 4;
        Random random = new Random(2);
        for (int k = 0; k < 200; k++) {
            float[] box = InteractiveObjective.backgroundBox(mask, LOW, cell, random);
            assertTrue(box != null);
            int x0 = (int) (box[0] / cell);
            int y0 = (int) (box[1] / cell);
            int x1 = (int) (box[2] / cell);
            int y1 = (int) (box[3] / cell);
            assertTrue(x1 - x0 >= 4 && y1 - y0 >= 4, Arrays.toString(box));
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    boolean nearMask = (x <= 5 && y <= 5) || (x >= 11 && y >= 11);
                    assertTrue(!nearMask, "box " + Arrays.toString(box) + " reaches cell " + x + "," + y);
                }
            }
        }
        // A mask that fills the image leaves no room for a background box.
        boolean[] full = new boolean[LOW * LOW];
        Arrays.fill(full, true);
        assertNull(InteractiveObjective.backgroundBox(full, LOW, cell, random));
    }

    @Test
    void validationBackgroundBoxesOnAnImageOfAnyShapeHoldNoObjectPixel() {
        // A 300 x 170 image with a blob right of centre: validation asks for a box elsewhere, the same each time.
        int w = 300;
        int h = 170;
        boolean[] mask = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                mask[y * w + x] = (x - 190) * (x - 190) + (y - 80) * (y - 80) < 40 * 40;
            }
        }
        for (int seed = 0; seed < 50; seed++) {
            float[] box = InteractiveObjective.backgroundBox(mask, w, h, new Random(seed));
            assertTrue(box != null, "a box fits beside the blob");
            assertTrue(box[0] >= 0 && box[1] >= 0 && box[2] <= w && box[3] <= h && box[2] > box[0] && box[3] > box[1],
                    Arrays.toString(box));
            for (int y = (int) box[1]; y < (int) Math.ceil(box[3]); y++) {
                for (int x = (int) box[0]; x < (int) Math.ceil(box[2]); x++) {
                    assertTrue(!mask[y * w + x], "object pixel " + x + "," + y + " in " + Arrays.toString(box));
                }
            }
            assertTrue(Arrays.equals(box, InteractiveObjective.backgroundBox(mask, w, h, new Random(seed))));
        }
        boolean[] full = new boolean[w * h];
        Arrays.fill(full, true);
        assertNull(InteractiveObjective.backgroundBox(full, w, h, new Random(1)));
    }
}
