package io.github.samfiji.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.imglib2.img.array.ArrayImgs;
import org.junit.jupiter.api.Test;

/** Metrics on constructed masks whose answers are worked out by hand in the comments. */
class SegmentationMetricsTest {

    private static final double EPS = 1e-12;

    // P = 2x2 square at the top left, G = the same square shifted right by one pixel, in a 4x4 image.
    private static final int[] SQUARE = {
        1, 1, 0, 0,
        1, 1, 0, 0,
        0, 0, 0, 0,
        0, 0, 0, 0};
    private static final int[] SHIFTED = {
        0, 1, 1, 0,
        0, 1, 1, 0,
        0, 0, 0, 0,
        0, 0, 0, 0};

    @Test
    void overlapMetricsOfShiftedSquares() {
        LabelMetrics m = single(new SegmentationMetrics().evaluate(TestImages.labels2d(4, 4, SQUARE),
                TestImages.labels2d(4, 4, SHIFTED)));
        // TP 2, FP 2, FN 2, TN 10.
        assertEquals(2, m.truePositives());
        assertEquals(2, m.falsePositives());
        assertEquals(2, m.falseNegatives());
        assertEquals(10, m.trueNegatives());
        assertEquals(0.5, m.dice(), EPS);
        assertEquals(1.0 / 3, m.iou(), EPS);
        assertEquals(0.5, m.sensitivity(), EPS);
        assertEquals(10.0 / 12, m.specificity(), EPS);
        assertEquals(0.5, m.precision(), EPS);
        assertEquals(0.5, m.f1(), EPS);
        assertEquals(EmptyCase.NONE, m.emptyCase());
        assertTrue(Double.isNaN(m.auc()));
    }

    @Test
    void surfaceDistancesOfShiftedSquaresWithUnitAndAnisotropicSpacing() {
        // Every voxel of both squares is surface. Distances P->G: (0,0) 1, (1,0) 0, (0,1) 1, (1,1) 0; G->P the
        // mirror. Pooled: four 0s and four 1s; position 7 * 0.95 = 6.65 lies between two 1s: HD95 = 1.
        // ASSD = (0.5 + 0.5) / 2. With pixels 2 wide the shift is 2 units long.
        LabelMetrics unit = single(new SegmentationMetrics().evaluate(TestImages.labels2d(4, 4, SQUARE),
                TestImages.labels2d(4, 4, SHIFTED)));
        assertEquals(1, unit.hd95(), EPS);
        assertEquals(0.5, unit.assd(), EPS);
        LabelMetrics wide = single(new SegmentationMetrics().withSpacing(2, 1).evaluate(
                TestImages.labels2d(4, 4, SQUARE), TestImages.labels2d(4, 4, SHIFTED)));
        assertEquals(2, wide.hd95(), EPS);
        assertEquals(1, wide.assd(), EPS);
    }

    @Test
    void hd95InterpolatesBetweenPooledDistances() {
        // 4x1 image, spacing 2 along x. P = {x=0}; G = {x=0, x=3}. P->G: [0]; G->P: [0, 6].
        // Pooled sorted [0, 0, 6]: position 2 * 0.95 = 1.9, so 0 + 0.9 * 6 = 5.4. ASSD = (0 + 3) / 2 = 1.5.
        LabelMetrics m = single(new SegmentationMetrics().withSpacing(2, 5).evaluate(
                TestImages.labels2d(4, 1, 1, 0, 0, 0), TestImages.labels2d(4, 1, 1, 0, 0, 1)));
        assertEquals(5.4, m.hd95(), EPS);
        assertEquals(1.5, m.assd(), EPS);
    }

    @Test
    void anisotropicSpacingChangesTheNearestSurfaceVoxel() {
        // 5x5 image. P = {(0,0)}; G = {(3,0), (0,2)}.
        int[] p = new int[25];
        p[0] = 1;
        int[] g = new int[25];
        g[3] = 1;
        g[2 * 5] = 1;
        // Spacing (1, 2): G voxels lie 3 and 4 away, P's nearest is 3. Pooled [3, 3, 4]: 3 + 0.9 * 1 = 3.9.
        // ASSD = (3 + (3 + 4) / 2) / 2 = 3.25.
        LabelMetrics tall = single(new SegmentationMetrics().withSpacing(1, 2).evaluate(
                TestImages.labels2d(5, 5, p), TestImages.labels2d(5, 5, g)));
        assertEquals(3.9, tall.hd95(), EPS);
        assertEquals(3.25, tall.assd(), EPS);
        // Spacing (2, 1): now 6 and 2 away, P's nearest is 2. Pooled [2, 2, 6]: 2 + 0.9 * 4 = 5.6.
        // ASSD = (2 + (6 + 2) / 2) / 2 = 3.
        LabelMetrics wide = single(new SegmentationMetrics().withSpacing(2, 1).evaluate(
                TestImages.labels2d(5, 5, p), TestImages.labels2d(5, 5, g)));
        assertEquals(5.6, wide.hd95(), EPS);
        assertEquals(3, wide.assd(), EPS);
    }

    @Test
    void diagonalDistanceIn3dUsesAllThreeSpacings() {
        int[] p = new int[8];
        int[] g = new int[8];
        p[0] = 1;
        g[7] = 1; // (1, 1, 1)
        LabelMetrics m = single(new SegmentationMetrics().withSpacing(0.5, 1, 2).evaluate(
                TestImages.labels(new long[] {2, 2, 2}, p), TestImages.labels(new long[] {2, 2, 2}, g)));
        assertEquals(Math.sqrt(0.25 + 1 + 4), m.hd95(), EPS);
        assertEquals(Math.sqrt(0.25 + 1 + 4), m.assd(), EPS);
    }

    // A 3x3x2 volume with labels 1, 2 and (prediction only) 3.
    private static final int[] TRUTH_3D = {
        1, 1, 0,
        1, 1, 0,
        0, 0, 2,

        0, 0, 0,
        0, 2, 2,
        0, 2, 2};
    private static final int[] PREDICTION_3D = {
        1, 1, 0,
        1, 0, 0,
        0, 0, 2,

        0, 0, 0,
        0, 2, 2,
        0, 0, 3};
    private static final long[] DIMS_3D = {3, 3, 2};

    @Test
    void multiLabel3dCountsAndConventions() {
        List<LabelMetrics> all = new SegmentationMetrics().withSpacing(0.5, 1, 3).evaluate(
                TestImages.labels(DIMS_3D, PREDICTION_3D), TestImages.labels(DIMS_3D, TRUTH_3D));
        assertEquals(3, all.size());
        // Label 1: G 4 voxels, P 3 of them. TP 3, FP 0, FN 1, TN 14.
        LabelMetrics one = all.get(0);
        assertEquals(1, one.label());
        assertEquals(3, one.truePositives());
        assertEquals(0, one.falsePositives());
        assertEquals(1, one.falseNegatives());
        assertEquals(14, one.trueNegatives());
        assertEquals(6.0 / 7, one.dice(), EPS);
        assertEquals(0.75, one.iou(), EPS);
        assertEquals(0.75, one.sensitivity(), EPS);
        assertEquals(1, one.specificity(), EPS);
        assertEquals(1, one.precision(), EPS);
        // Surfaces: all voxels. P->G all 0. G->P: (1,1,0) is 0.5 from (0,1,0) (x spacing 0.5) and 1 from (1,0,0).
        // Pooled [0 x6, 0.5]: position 6 * 0.95 = 5.7: 0.7 * 0.5 = 0.35. ASSD = (0 + 0.5 / 4) / 2 = 0.0625.
        assertEquals(0.35, one.hd95(), EPS);
        assertEquals(0.0625, one.assd(), EPS);
        // Label 2: G 5 voxels, P 3 of them. Dice 6 / 8, IoU 3 / 5.
        LabelMetrics two = all.get(1);
        assertEquals(3, two.truePositives());
        assertEquals(2, two.falseNegatives());
        assertEquals(13, two.trueNegatives());
        assertEquals(0.75, two.dice(), EPS);
        assertEquals(0.6, two.iou(), EPS);
        // Label 3: prediction only, one voxel.
        LabelMetrics three = all.get(2);
        assertEquals(EmptyCase.TRUTH_EMPTY, three.emptyCase());
        assertEquals(0, three.dice(), EPS);
        assertEquals(0, three.iou(), EPS);
        assertEquals(0, three.precision(), EPS);
        assertTrue(Double.isNaN(three.sensitivity()));
        assertEquals(17.0 / 18, three.specificity(), EPS);
        assertTrue(Double.isNaN(three.hd95()));
        assertTrue(Double.isNaN(three.assd()));
    }

    @Test
    void requestedLabelsAreReportedEvenWhenAbsent() {
        List<LabelMetrics> chosen = new SegmentationMetrics().withLabels(2, 4).evaluate(
                TestImages.labels(DIMS_3D, PREDICTION_3D), TestImages.labels(DIMS_3D, TRUTH_3D));
        assertEquals(2, chosen.size());
        assertEquals(2, chosen.get(0).label());
        LabelMetrics four = chosen.get(1);
        assertEquals(4, four.label());
        assertEquals(EmptyCase.BOTH_EMPTY, four.emptyCase());
        assertEquals(1, four.dice(), EPS);
        assertEquals(1, four.iou(), EPS);
        assertEquals(1, four.f1(), EPS);
        assertEquals(1, four.specificity(), EPS);
        assertTrue(Double.isNaN(four.sensitivity()));
        assertTrue(Double.isNaN(four.precision()));
        assertTrue(Double.isNaN(four.hd95()));
        assertTrue(Double.isNaN(four.assd()));
    }

    @Test
    void emptyPredictionGivesZeroDiceAndNoDistances() {
        LabelMetrics m = single(new SegmentationMetrics().evaluate(TestImages.labels2d(4, 4, new int[16]),
                TestImages.labels2d(4, 4, SQUARE)));
        assertEquals(EmptyCase.PREDICTION_EMPTY, m.emptyCase());
        assertEquals(0, m.dice(), EPS);
        assertEquals(0, m.iou(), EPS);
        assertEquals(0, m.sensitivity(), EPS);
        assertEquals(1, m.specificity(), EPS);
        assertTrue(Double.isNaN(m.precision()));
        assertEquals(0, m.f1(), EPS);
        assertTrue(Double.isNaN(m.hd95()));
    }

    @Test
    void bothEmptyImagesReportNothingByDefault() {
        assertTrue(new SegmentationMetrics().evaluate(TestImages.labels2d(2, 2, 0, 0, 0, 0),
                TestImages.labels2d(2, 2, 0, 0, 0, 0)).isEmpty());
        LabelMetrics m = single(new SegmentationMetrics().withLabels(1).evaluate(TestImages.labels2d(2, 2, 0, 0, 0, 0),
                TestImages.labels2d(2, 2, 0, 0, 0, 0)));
        assertEquals(EmptyCase.BOTH_EMPTY, m.emptyCase());
        assertEquals(1, m.dice(), EPS);
    }

    @Test
    void binaryModeTreatsAnyNonZeroAsForeground() {
        int[] mask255 = {255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        List<LabelMetrics> asLabels = new SegmentationMetrics().evaluate(TestImages.labels2d(4, 4, mask255),
                TestImages.labels2d(4, 4, SHIFTED));
        assertEquals(2, asLabels.size()); // 1 (truth only) and 255 (prediction only)
        LabelMetrics binary = single(new SegmentationMetrics().withBinary(true).evaluate(
                TestImages.labels2d(4, 4, mask255), TestImages.labels2d(4, 4, SHIFTED)));
        assertEquals(1, binary.label());
        assertEquals(0.5, binary.dice(), EPS);
    }

    @Test
    void aucCountsTiesAsOneHalf() {
        // Positives score 0.9, 0.6, 0.4; negatives 0.5, 0.4, 0.1. Ordered pairs: 3 + 3 + (0 + 0.5 + 1) = 7.5 of 9.
        long[] dims = {3, 2};
        LabelMetrics m = single(new SegmentationMetrics().evaluate(TestImages.labels(dims, 1, 1, 1, 0, 0, 0),
                TestImages.labels(dims, 1, 1, 1, 0, 0, 0), TestImages.scores(dims, 0.9, 0.6, 0.4, 0.5, 0.4, 0.1)));
        assertEquals(7.5 / 9, m.auc(), EPS);
        assertEquals(7.5 / 9, Roc.auc(new double[] {0.9, 0.6, 0.4}, new double[] {0.5, 0.4, 0.1}), EPS);
    }

    @Test
    void probabilityMapAloneIsThresholded() {
        long[] dims = {3, 2};
        LabelMetrics m = single(new SegmentationMetrics().evaluate(null, TestImages.labels(dims, 1, 1, 1, 0, 0, 0),
                TestImages.scores(dims, 0.9, 0.6, 0.4, 0.5, 0.4, 0.1)));
        // Prediction = score >= 0.5: {0.9, 0.6, 0.5}: TP 2, FP 1, FN 1.
        assertEquals(2, m.truePositives());
        assertEquals(1, m.falsePositives());
        assertEquals(1, m.falseNegatives());
        assertEquals(7.5 / 9, m.auc(), EPS);
        LabelMetrics strict = single(new SegmentationMetrics().withThreshold(0.55).evaluate(null,
                TestImages.labels(dims, 1, 1, 1, 0, 0, 0), TestImages.scores(dims, 0.9, 0.6, 0.4, 0.5, 0.4, 0.1)));
        assertEquals(0, strict.falsePositives());
    }

    @Test
    void aucIsUndefinedWhenTheTruthHasOneClass() {
        long[] dims = {2, 1};
        LabelMetrics m = single(new SegmentationMetrics().withLabels(1).evaluate(TestImages.labels(dims, 0, 0),
                TestImages.labels(dims, 0, 0), TestImages.scores(dims, 0.2, 0.7)));
        assertTrue(Double.isNaN(m.auc()));
    }

    @Test
    void surfaceOfAFullImageIsItsBorder() {
        boolean[] full = new boolean[9];
        java.util.Arrays.fill(full, true);
        boolean[] surface = SurfaceDistances.surface(full, new int[] {3, 3});
        for (int i = 0; i < 9; i++) {
            assertEquals(i != 4, surface[i], "voxel " + i);
        }
    }

    @Test
    void sizeMismatchesAreClearErrors() {
        EvaluationException size = assertThrows(EvaluationException.class, () -> new SegmentationMetrics().evaluate(
                TestImages.labels2d(4, 4, SQUARE), TestImages.labels2d(2, 8, SQUARE)));
        assertEquals("prediction is 4x4 pixels but truth is 2x8 pixels: the images must have the same size",
                size.getMessage());
        EvaluationException slices = assertThrows(EvaluationException.class, () -> new SegmentationMetrics().evaluate(
                TestImages.labels(new long[] {3, 3, 2}, PREDICTION_3D), TestImages.labels(new long[] {3, 2, 3},
                        TRUTH_3D)));
        assertEquals("prediction has 2 slices but truth has 3: the stacks must have the same number of slices",
                slices.getMessage());
        EvaluationException dims = assertThrows(EvaluationException.class, () -> new SegmentationMetrics().evaluate(
                TestImages.labels(DIMS_3D, PREDICTION_3D), TestImages.labels2d(3, 6, TRUTH_3D)));
        assertTrue(dims.getMessage().contains("both must be 2D images or both 3D stacks"), dims.getMessage());
        EvaluationException probability = assertThrows(EvaluationException.class,
                () -> new SegmentationMetrics().evaluate(TestImages.labels2d(4, 4, SQUARE),
                        TestImages.labels2d(4, 4, SQUARE), TestImages.scores(new long[] {4, 3}, new double[12])));
        assertTrue(probability.getMessage().startsWith("probability map is 4x3 pixels"), probability.getMessage());
    }

    @Test
    void nonIntegerLabelsAreRefusedWithTheirPosition() {
        long[] dims = {2, 2};
        EvaluationException e = assertThrows(EvaluationException.class, () -> new SegmentationMetrics().evaluate(
                TestImages.scores(dims, 0, 1, 0.5, 0), TestImages.labels(dims, 0, 1, 1, 0)));
        assertTrue(e.getMessage().startsWith("prediction holds the value 0.5 at (x=0, y=1)"), e.getMessage());
        EvaluationException negative = assertThrows(EvaluationException.class, () -> new SegmentationMetrics()
                .evaluate(TestImages.labels(dims, 0, 1, 1, 0), TestImages.labels(dims, 0, -3, 1, 0)));
        assertTrue(negative.getMessage().startsWith("truth holds the value -3 at (x=1, y=0)"), negative.getMessage());
        // A float image of integers is a valid label image.
        assertEquals(1, new SegmentationMetrics().evaluate(TestImages.scores(dims, 0, 1, 1, 0),
                TestImages.labels(dims, 0, 1, 1, 0)).size());
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(EvaluationException.class, () -> new SegmentationMetrics().withLabels(0));
        assertThrows(EvaluationException.class, () -> new SegmentationMetrics().withLabels(1, 1));
        assertThrows(EvaluationException.class, () -> new SegmentationMetrics().withSpacing(1, 0));
        assertThrows(EvaluationException.class, () -> new SegmentationMetrics().withSpacing(1).evaluate(
                TestImages.labels2d(4, 4, SQUARE), TestImages.labels2d(4, 4, SQUARE)));
        assertThrows(EvaluationException.class, () -> new SegmentationMetrics().withBinary(true).withLabels(2)
                .evaluate(TestImages.labels2d(4, 4, SQUARE), TestImages.labels2d(4, 4, SQUARE)));
        long[] dims = {2, 1};
        EvaluationException nan = assertThrows(EvaluationException.class, () -> new SegmentationMetrics().evaluate(
                TestImages.labels(dims, 1, 0), TestImages.labels(dims, 1, 0), TestImages.scores(dims, Double.NaN, 0)));
        assertTrue(nan.getMessage().contains("NaN"));
    }

    @Test
    void viewsWithOffsetsAreEvaluatedLikeTheirPixels() {
        var truth = net.imglib2.view.Views.translate(TestImages.labels2d(4, 4, SHIFTED), 10, -3);
        var prediction = net.imglib2.view.Views.translate(TestImages.labels2d(4, 4, SQUARE), -7, 2);
        LabelMetrics m = single(new SegmentationMetrics().evaluate(prediction, truth));
        assertEquals(0.5, m.dice(), EPS);
        assertEquals(1, m.hd95(), EPS);
        // An 8-bit image with wrapped pixels works too.
        LabelMetrics bytes = single(new SegmentationMetrics().evaluate(ArrayImgs.unsignedBytes(new byte[] {1, 1, 0, 0},
                2, 2), ArrayImgs.unsignedBytes(new byte[] {1, 0, 1, 0}, 2, 2)));
        assertEquals(0.5, bytes.dice(), EPS);
    }

    private static LabelMetrics single(List<LabelMetrics> metrics) {
        assertEquals(1, metrics.size(), metrics.toString());
        return metrics.get(0);
    }
}
