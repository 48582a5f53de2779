package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Shrink-and-shift (interactive training) moves image and mask together and keeps the picture's size. */
class AugmentationTest {

    @Test
    void shrinkAndShiftKeepsTheMaskOnTheObjectAndMovesIt() {
        TrainingSample disc = TinyModels.discs(1, 96, 80, 3).get(0);
        int w = disc.width();
        int h = disc.height();
        long before = count(disc.mask());
        boolean moved = false;
        for (int seed = 0; seed < 10; seed++) {
            Augmentation.Pair p = Augmentation.shrinkAndShift(disc.image(), disc.mask(), new Random(seed));
            assertEquals(w, p.image().width());
            assertEquals(h, p.image().height());
            byte[] grey = p.image().channelBytes(0);
            long inside = 0;
            long bright = 0;
            for (int i = 0; i < grey.length; i++) {
                if (p.mask()[i] != 0) {
                    inside++;
                    bright += (grey[i] & 0xff) > 120 ? 1 : 0;
                }
            }
            // The mask still covers the (bright) disc, shrunk by a factor in [0.5, 1) per side.
            assertTrue(bright >= 0.9 * inside, "mask pixels on the object: " + bright + " of " + inside);
            assertTrue(inside >= 0.2 * before && inside <= 1.05 * before, inside + " vs " + before);
            moved |= centroid(p.mask(), w)[0] != centroid(disc.mask(), w)[0];
        }
        assertTrue(moved, "the object moves");
    }

    private static long count(byte[] mask) {
        long n = 0;
        for (byte b : mask) {
            n += b != 0 ? 1 : 0;
        }
        return n;
    }

    private static double[] centroid(byte[] mask, int w) {
        double sx = 0;
        double sy = 0;
        long n = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] != 0) {
                sx += i % w;
                sy += i / w;
                n++;
            }
        }
        return new double[] {sx / n, sy / n};
    }
}
