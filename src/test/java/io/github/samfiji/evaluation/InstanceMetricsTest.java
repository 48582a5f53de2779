package io.github.samfiji.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class InstanceMetricsTest {

    private static final double EPS = 1e-12;

    @Test
    void handWorkedMatching() {
        // 10x1 image. Truth: A = x 0..3 (4 px), B = x 5..9 (5 px).
        // Prediction: 1 = x 0..2 (IoU with A 3/4), 2 = x 5..6 (IoU with B 2/5), 3 = x 4 (no overlap).
        int[] truth = {1, 1, 1, 1, 0, 2, 2, 2, 2, 2};
        int[] prediction = {1, 1, 1, 0, 3, 2, 2, 0, 0, 0};
        InstanceMetrics.Result r = InstanceMetrics.evaluate(TestImages.labels2d(10, 1, prediction),
                TestImages.labels2d(10, 1, truth));
        assertEquals(2, r.truthCount());
        assertEquals(3, r.predictionCount());
        // One match up to t = 0.75 (six thresholds), none above: SA 1/4 six times, then 0 / (0 + 3 + 2) = 0.
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, r.truePositives());
        assertEquals(0.25, r.accuracyAt(0.5), EPS);
        assertEquals(0.25, r.accuracyAt(0.75), EPS);
        assertEquals(0, r.accuracyAt(0.8), EPS);
        assertEquals(0.15, r.meanAccuracy(), EPS);
        assertEquals(1.0 / 3, r.precision(), EPS);
        assertEquals(0.5, r.recall(), EPS);
        assertEquals(0.4, r.f1(), EPS);
        assertEquals(0.75, r.meanMatchedIou(), EPS);
        double[] row = r.values();
        assertEquals(InstanceMetrics.COLUMNS.size(), row.length);
        assertArrayEquals(new double[] {2, 3, 1, 2, 1, 1.0 / 3, 0.5, 0.4, 0.25, 0.25, 0.15, 0.75}, row, EPS);
    }

    @Test
    void emptyImages() {
        InstanceMetrics.Result both = InstanceMetrics.evaluate(TestImages.labels2d(2, 1, 0, 0),
                TestImages.labels2d(2, 1, 0, 0));
        assertEquals(1, both.meanAccuracy(), EPS);
        assertEquals(1, both.f1(), EPS);
        assertTrue(Double.isNaN(both.precision()));
        assertTrue(Double.isNaN(both.recall()));
        assertTrue(Double.isNaN(both.meanMatchedIou()));
        InstanceMetrics.Result missed = InstanceMetrics.evaluate(TestImages.labels2d(2, 1, 0, 0),
                TestImages.labels2d(2, 1, 4, 0));
        assertEquals(0, missed.meanAccuracy(), EPS);
        assertEquals(0, missed.recall(), EPS);
        assertTrue(Double.isNaN(missed.precision()));
    }

    @Test
    void exactHalfTieGivesOneMatch() {
        // Predicted object = union of two equal true halves: IoU 0.5 with each; only one can match.
        InstanceMetrics.Result r = InstanceMetrics.evaluate(TestImages.labels2d(4, 1, 7, 7, 7, 7),
                TestImages.labels2d(4, 1, 1, 1, 2, 2));
        assertEquals(1, r.tp(0));
        assertEquals(1, r.fn(0));
        assertEquals(0, r.fp(0));
        assertEquals(0.5, r.accuracyAt(0.5), EPS);
    }

    @Test
    void greedyTakesTheBestPairFirst() {
        List<InstanceMetrics.Overlap> overlaps = List.of(new InstanceMetrics.Overlap(1, 1, 0.6),
                new InstanceMetrics.Overlap(2, 2, 0.9), new InstanceMetrics.Overlap(3, 3, 0.52));
        InstanceMetrics.Result r = InstanceMetrics.match(3, 4, overlaps, new double[] {0.5, 0.7});
        assertArrayEquals(new int[] {3, 1}, r.truePositives());
        assertEquals((0.6 + 0.9 + 0.52) / 3, r.meanMatchedIou(), EPS);
        assertThrows(EvaluationException.class, () -> InstanceMetrics.match(1, 1, overlaps, new double[] {0.3}));
    }

    @Test
    void thresholdsAreTheNearestDoubles() {
        assertEquals(10, InstanceMetrics.THRESHOLDS.length);
        assertEquals(0.5, InstanceMetrics.THRESHOLDS[0]);
        assertEquals(0.55, InstanceMetrics.THRESHOLDS[1]);
        assertEquals(0.95, InstanceMetrics.THRESHOLDS[9]);
        // IoU 11/20 equals the threshold 0.55 exactly.
        assertEquals(11.0 / 20, InstanceMetrics.THRESHOLDS[1]);
    }
}
