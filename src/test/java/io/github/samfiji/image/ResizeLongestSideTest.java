package io.github.samfiji.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.samfiji.testing.NeedsSharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.Npy;

class ResizeLongestSideTest {

    @Test
    void targetSizesMatchTheReferenceFormula() {
        int checked = 0;
        for (String line : ResizeReferences.lines("target_sizes.txt")) {
            String[] f = line.trim().split(" ");
            int h = Integer.parseInt(f[0]);
            int w = Integer.parseInt(f[1]);
            int longest = Integer.parseInt(f[2]);
            int[] expected = {Integer.parseInt(f[3]), Integer.parseInt(f[4])};
            assertArrayEquals(expected, ResizeLongestSide.targetSize(h, w, longest), line);
            checked++;
        }
        assertEquals(81, checked);
    }

    @Test
    void targetSizeExamples() {
        assertArrayEquals(new int[] {256, 166}, ResizeLongestSide.targetSize(150, 97, 256));
        assertArrayEquals(new int[] {853, 1024}, ResizeLongestSide.targetSize(500, 600, 1024));
        assertArrayEquals(new int[] {1024, 1024}, ResizeLongestSide.targetSize(7, 7, 1024));
        assertArrayEquals(new int[] {1, 1024}, ResizeLongestSide.targetSize(1, 1000, 1024));
        // scale first, then multiply: 19 * (1000 / 304.0) rounds to 62 although 19 * 1000 / 304 = 62.5
        assertArrayEquals(new int[] {62, 1000}, ResizeLongestSide.targetSize(19, 304, 1000));
        assertThrows(IllegalArgumentException.class, () -> ResizeLongestSide.targetSize(0, 5, 1024));
    }

    @ParameterizedTest
    @ValueSource(strings = {"point1", "points3", "box_point"})
    @NeedsSharedData
    void pointCoordsMatchFixtures(String promptCase) {
        for (String set : new String[] {"sam_tiny", "mobile_sam_tiny"}) {
            if (!set.equals("sam_tiny") && !promptCase.equals("point1")) {
                continue;
            }
            float[] coords = Fixtures.npy(set, promptCase + "__point_coords").floats();
            float[] expected = Fixtures.npy(set, promptCase + "__point_coords_transformed").floats();
            float[] actual = ResizeLongestSide.applyCoords(toDouble(coords), 150, 97, 256);
            assertArrayEquals(expected, actual, 1e-6f, set + " " + promptCase);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"box", "box_point", "box_mask"})
    @NeedsSharedData
    void boxesMatchFixtures(String promptCase) {
        for (String set : new String[] {"sam_tiny", "mobile_sam_tiny"}) {
            if (!set.equals("sam_tiny") && !promptCase.equals("box")) {
                continue;
            }
            Npy box = Fixtures.npy(set, promptCase + "__box");
            float[] b = box.floats();
            float[] expected = Fixtures.npy(set, promptCase + "__box_transformed").floats();
            assertEquals(4, b.length);
            float[] actual = ResizeLongestSide.applyBox(b[0], b[1], b[2], b[3], 150, 97, 256);
            assertArrayEquals(expected, actual, 1e-6f, set + " " + promptCase);
        }
    }

    @Test
    void coordinatesScalePerAxis() {
        // 150 x 97 -> 256 x 166: x scales by 166/97, y by 256/150, each computed in double then rounded to float
        float[] out = ResizeLongestSide.applyCoords(new double[] {97, 150, 0, 0, 53, 52}, 150, 97, 256);
        assertArrayEquals(new float[] {166f, 256f, 0f, 0f, (float) (53 * (166.0 / 97)), (float) (52 * (256.0 / 150))},
                out, 0f);
        assertEquals(90.70103454589844f, out[4], 0f);
        assertThrows(IllegalArgumentException.class, () -> ResizeLongestSide.applyCoords(new double[3], 10, 10, 16));
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
