package io.github.samfiji.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.MaskGeometry;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.FixtureImages;
import io.github.samfiji.testing.FixtureModels;
import io.github.samfiji.testing.NeedsSharedData;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InteractiveEvaluationTest {

    private static boolean[] disc(int w, int h, int cx, int cy, int r) {
        boolean[] m = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                m[y * w + x] = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
            }
        }
        return m;
    }

    @Test
    void deepestPixelLargestRegionBoxAndDice() {
        boolean[] square = new boolean[9 * 9];
        for (int y = 2; y <= 6; y++) {
            for (int x = 2; x <= 6; x++) {
                square[y * 9 + x] = true;
            }
        }
        assertEquals(4 * 9 + 4, MaskGeometry.deepest(square, 9, 9, new SplittableRandom(1)));
        // The image border counts as edge: a region touching it is shallow there.
        boolean[] full = new boolean[5 * 5];
        java.util.Arrays.fill(full, true);
        assertEquals(12, MaskGeometry.deepest(full, 5, 5, new SplittableRandom(1)));
        boolean[] two = new boolean[10];
        two[0] = true;
        two[3] = two[4] = two[5] = true;
        boolean[] largest = MaskGeometry.largestComponent(two, 10, 1);
        assertArrayEquals(new boolean[] {false, false, false, true, true, true, false, false, false, false}, largest);
        assertEquals(null, MaskGeometry.largestComponent(new boolean[4], 2, 2));
        assertArrayEquals(new int[] {2, 2, 6, 6}, MaskGeometry.bounds(square, 9));
        assertEquals(1.0, MaskGeometry.dice(square, square));
        assertEquals(2.0 * 25 / (25 + 81), MaskGeometry.dice(square, fullOf(81)), 1e-12);
    }

    private static boolean[] fullOf(int n) {
        boolean[] b = new boolean[n];
        java.util.Arrays.fill(b, true);
        return b;
    }

    @Test
    @NeedsSharedData
    void correctionsClickWhereTheMaskIsWrongAndAreDeterministic() {
        try (SamModel model = FixtureModels.fromNpy("sam_tiny")) {
            SamPredictor predictor = new SamPredictor(model);
            try (ImageEmbedding e = predictor.encode(FixtureImages.image("sam_tiny"))) {
                int w = 97;
                int h = 150;
                boolean[] truth = disc(w, h, 53, 52, 20);
                InteractiveEvaluation.Curve a = InteractiveEvaluation.run(predictor, e, truth,
                        InteractiveEvaluation.Start.POINT, 7, 5);
                InteractiveEvaluation.Curve b = InteractiveEvaluation.run(predictor, e, truth,
                        InteractiveEvaluation.Start.POINT, 7, 5);
                assertArrayEquals(a.dice(), b.dice(), "same seed, same curve");
                assertEquals(a.points(), b.points());
                assertEquals(8, a.dice().length);
                assertEquals(new Prompt.Point(53, 52, 1), a.points().get(0), "starts at the disc's centre");
                for (double d : a.dice()) {
                    assertTrue(d >= 0 && d <= 1);
                }
                // Replay round by round: each new object point lies in a missed pixel, each background point in a
                // wrongly included one, of the mask before it.
                List<Prompt.Point> points = new ArrayList<>(a.points().subList(0, 1));
                Prediction p = predictor.predict(e, new Prompt(points, null, null), true);
                int chosen = p.best();
                assertEquals(a.dice()[0], MaskGeometry.dice(p.mask(chosen), truth), 1e-12);
                int next = 1;
                for (int round = 1; round <= 7 && next < a.points().size(); round++) {
                    boolean[] mask = p.mask(chosen);
                    int added = 0;
                    while (next < a.points().size() && added < 2) {
                        Prompt.Point q = a.points().get(next);
                        int i = (int) q.y() * w + (int) q.x();
                        if (q.label() == 1) {
                            assertTrue(truth[i] && !mask[i], "object point in a missed pixel, round " + round);
                        } else {
                            assertTrue(mask[i] && !truth[i], "background point in a wrong pixel, round " + round);
                        }
                        points.add(q);
                        next++;
                        added++;
                        if (q.label() == 0) {
                            break;
                        }
                    }
                    p = predictor.predict(e, new Prompt(points, null, p.lowRes()[chosen]), false);
                    chosen = 0;
                    assertEquals(a.dice()[round], MaskGeometry.dice(p.mask(0), truth), 1e-12, "round " + round);
                }
                InteractiveEvaluation.Curve boxed = InteractiveEvaluation.run(predictor, e, truth,
                        InteractiveEvaluation.Start.BOX, 2, 5);
                assertEquals(3, boxed.dice().length);
                assertThrows(EvaluationException.class, () -> InteractiveEvaluation.run(predictor, e, new boolean[w * h],
                        InteractiveEvaluation.Start.POINT, 3, 1));
            }
        }
    }
}
