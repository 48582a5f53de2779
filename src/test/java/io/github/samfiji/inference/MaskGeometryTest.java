package io.github.samfiji.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MaskGeometryTest {

    /** Parses rows of '#' (true) and '.' (false). */
    static boolean[] mask(String... rows) {
        int w = rows[0].length();
        boolean[] m = new boolean[w * rows.length];
        for (int y = 0; y < rows.length; y++) {
            for (int x = 0; x < w; x++) {
                m[y * w + x] = rows[y].charAt(x) == '#';
            }
        }
        return m;
    }

    @Test
    void diagonalNeighboursJoinOnlyWithEightConnectivity() {
        boolean[] m = mask(
                "#...",
                ".#..",
                "...#",
                "...#");
        MaskGeometry.Components four = MaskGeometry.components(m, 4, 4, false);
        MaskGeometry.Components eight = MaskGeometry.components(m, 4, 4, true);
        assertEquals(3, four.count());
        assertEquals(2, eight.count());
        assertArrayEquals(new int[] {0, 2, 2}, eight.sizes());
        assertEquals(1, eight.labels()[0]);
        assertEquals(1, eight.labels()[5]);
        assertEquals(2, eight.labels()[15]);
    }

    @Test
    void smallHolesAreFilledAndSmallIslandsRemoved() {
        boolean[] m = mask(
                "#####...",
                "#.###...",
                "#####..#",
                "........");
        MaskGeometry.Cleaned filled = MaskGeometry.removeSmallRegions(m, 8, 4, 2, true);
        assertTrue(filled.changed());
        assertTrue(filled.mask()[8 + 1], "the one-pixel hole is filled");
        // The background (one large region) is not a hole.
        assertFalse(filled.mask()[8 + 6]);
        MaskGeometry.Cleaned cleaned = MaskGeometry.removeSmallRegions(filled.mask(), 8, 4, 2, false);
        assertTrue(cleaned.changed());
        assertFalse(cleaned.mask()[2 * 8 + 7], "the one-pixel island is removed");
        assertEquals(15, MaskGeometry.area(cleaned.mask()));
        MaskGeometry.Cleaned untouched = MaskGeometry.removeSmallRegions(cleaned.mask(), 8, 4, 2, false);
        assertFalse(untouched.changed());
    }

    @Test
    void whenEveryIslandIsSmallTheLargestStays() {
        boolean[] m = mask(
                "##..#",
                ".....",
                "#....");
        MaskGeometry.Cleaned c = MaskGeometry.removeSmallRegions(m, 5, 3, 10, false);
        assertArrayEquals(mask("##...", ".....", "....."), c.mask());
    }

    @Test
    void boundsDepthAndOverlap() {
        boolean[] m = mask(
                ".....",
                ".###.",
                ".###.",
                ".###.",
                ".....");
        assertArrayEquals(new int[] {1, 1, 3, 3}, MaskGeometry.bounds(m, 5));
        assertNull(MaskGeometry.bounds(new boolean[6], 3));
        assertEquals(2 * 5 + 2, MaskGeometry.deepest(m, 5, 5, null));
        assertEquals(-1, MaskGeometry.deepest(new boolean[4], 2, 2, null));
        double[] depth = MaskGeometry.depth(m, 5, 5);
        assertEquals(4.0, depth[2 * 5 + 2]);
        assertEquals(1.0, depth[5 + 1]);
        assertEquals(0.0, depth[0]);
        boolean[] corner = mask(
                ".....",
                ".##..",
                ".##..",
                ".....",
                ".....");
        assertEquals(4.0 / 9.0, MaskGeometry.iou(m, corner), 1e-12);
        assertEquals(2.0 * 4 / 13, MaskGeometry.dice(m, corner), 1e-12);
        assertEquals(1.0, MaskGeometry.iou(new boolean[3], new boolean[3]));
    }
}
