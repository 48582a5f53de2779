package io.github.samfiji.inference.sam2;

import static io.github.samfiji.model.sam2.Sam2Fixture.assertClose;
import static io.github.samfiji.model.sam2.Sam2Fixture.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.AmgSettings;
import io.github.samfiji.inference.AutomaticMaskGenerator;
import io.github.samfiji.inference.Embedding;
import io.github.samfiji.inference.InstanceMask;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.PromptPredictor;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.io.Progress;
import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.testing.NeedsSharedData;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SAM 2.1 through the shared {@link PromptPredictor}: the prompt-free and single-point outputs equal the reference
 * image predictor's fixtures, and automatic mask generation on the fixture image keeps its invariants (every mask
 * above the IoU and stability thresholds, no two boxes overlapping above the NMS threshold, each mask what a click on
 * its point gives on its own).
 */
@NeedsSharedData
class Sam2AutomaticMaskGeneratorTest {

    private static final double TOL = 1e-4;
    private static Sam2Model model;
    private static PromptPredictor predictor;
    private static Rgb8Image image;

    @BeforeAll
    static void load() {
        model = Sam2Fixture.loadModel();
        predictor = new Sam2PromptPredictor(new Sam2ImagePredictor(model));
        image = Sam2Fixture.image();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        Sam2Fixture.report("SAM 2.1 through the shared predictor interface");
    }

    @Test
    void promptFreeAndSinglePointOutputsAreTheReferences() {
        try (Embedding e = predictor.encode(image, Progress.NONE)) {
            for (boolean multi : new boolean[] {true, false}) {
                String tag = "noprompt__" + (multi ? "mmT" : "mmF") + "__";
                Prediction p = predictor.predictWithoutPrompt(e, multi);
                assertClose(tag + "logits_orig (interface)", npy(tag + "logits_orig").floats(),
                        Sam2Fixture.concat(p.logits()), TOL);
                assertClose(tag + "iou_predictions (interface)", npy(tag + "iou_predictions").floats(), p.iou(), TOL);
            }
            // One grid point at the fixture's click (41, 50): the three unclamped candidates and their IoU.
            SamPredictor.PointBatch batch = predictor.decodeSinglePoints(e, new double[] {41, 50}, true, 0);
            assertEquals(3, batch.masksPerPoint());
            assertClose("point1__mmT__iou_predictions (grid point)", npy("point1__mmT__iou_predictions").floats(),
                    batch.iou(), TOL);
            float[] clamped = batch.lowRes().clone();
            for (int i = 0; i < clamped.length; i++) {
                clamped[i] = Math.max(-32f, Math.min(32f, clamped[i]));
            }
            assertClose("point1__mmT__low_res_masks (grid point, clamped)", npy("point1__mmT__low_res_masks").floats(),
                    clamped, TOL);
            // Upscaled by the generator's own taps: the reference's full-size logits.
            float[] ref = npy("point1__mmT__logits_orig").floats();
            int area = image.width() * image.height();
            int low = batch.lowResSize() * batch.lowResSize();
            for (int k = 0; k < 3; k++) {
                float[] up = predictor.logitUpscaler(e).upscale(java.util.Arrays.copyOfRange(batch.lowRes(), k * low,
                        (k + 1) * low));
                assertClose("point1__mmT__logits_orig (generator taps) " + k,
                        java.util.Arrays.copyOfRange(ref, k * area, (k + 1) * area), up, TOL);
            }
            assertThrows(IllegalArgumentException.class, () -> predictor.predict(e, new Prompt(null, null, null), true));
        }
    }

    @Test
    void theReferenceGeneratorsDefaults() {
        AmgSettings d = predictor.amgDefaults();
        assertEquals(32, d.pointsPerSide());
        assertEquals(0.8, d.predIouThresh());
        assertEquals(0.95, d.stabilityScoreThresh());
        assertEquals(1.0, d.stabilityScoreOffset());
        assertEquals(0.7, d.boxNmsThresh());
        assertEquals(0, d.cropNLayers());
        assertEquals(0, d.minMaskRegionArea());
    }

    @Test
    void automaticMasksKeepTheGeneratorsInvariants() {
        // The tiny random model predicts IoU 0.5-0.75: thresholds low enough to keep some masks, high enough to drop some.
        double iouThresh = 0.45;
        double stabilityThresh = 0.5;
        // Its masks are scattered over the whole image, so their boxes nearly coincide and NMS keeps few of them; the
        // per-mask invariants are checked on the masks that pass the filters without NMS.
        double nms = 0.7;
        AmgSettings settings = predictor.amgDefaults().pointsPerSide(8).predIouThresh(iouThresh)
                .stabilityScoreThresh(stabilityThresh).boxNmsThresh(nms);
        AutomaticMaskGenerator.Result r = new AutomaticMaskGenerator(predictor, settings).generate(image, Progress.NONE);
        List<InstanceMask> masks = r.masks();
        AutomaticMaskGenerator.Result all = new AutomaticMaskGenerator(predictor, predictor.amgDefaults()
                .pointsPerSide(8).predIouThresh(0).stabilityScoreThresh(0).boxNmsThresh(1)).generate(image,
                Progress.NONE);
        AutomaticMaskGenerator.Result filteredOnly = new AutomaticMaskGenerator(predictor, predictor.amgDefaults()
                .pointsPerSide(8).predIouThresh(iouThresh).stabilityScoreThresh(stabilityThresh).boxNmsThresh(1))
                .generate(image, Progress.NONE);
        System.out.printf("SAM 2.1 AMG on the fixture (64 points): %d candidate masks, %d pass the filters, %d after "
                + "NMS%n", all.masks().size(), filteredOnly.masks().size(), masks.size());
        assertTrue(filteredOnly.masks().size() < all.masks().size(), "the filters drop some masks");
        assertTrue(!masks.isEmpty() && masks.size() < filteredOnly.masks().size(), "NMS drops some of the rest");
        for (int i = 0; i < masks.size(); i++) {
            for (int j = 0; j < i; j++) {
                assertTrue(InstanceMask.boxIou(masks.get(i), masks.get(j)) <= nms, "masks " + j + " and " + i + " overlap");
            }
        }
        for (InstanceMask kept : masks) {
            assertTrue(filteredOnly.masks().stream().anyMatch(m -> m.pointX() == kept.pointX()
                    && m.pointY() == kept.pointY() && m.predictedIou() == kept.predictedIou()
                    && java.util.Arrays.equals(m.bits(), kept.bits())), "NMS only removes masks");
        }
        int w = image.width();
        int h = image.height();
        List<InstanceMask> checked = filteredOnly.masks();
        try (Embedding e = predictor.encode(image, Progress.NONE)) {
            for (int i = 0; i < checked.size(); i++) {
                InstanceMask m = checked.get(i);
                assertTrue(m.predictedIou() > iouThresh, "mask " + i + " predicted IoU " + m.predictedIou());
                assertTrue(m.stabilityScore() >= stabilityThresh, "mask " + i + " stability " + m.stabilityScore());
                // Decoded on its own, a click on the mask's point gives a candidate with its IoU and (up to pixels
                // whose logit is within rounding of 0) its mask and stability.
                Prediction p = predictor.predict(e, new Prompt(List.of(new Prompt.Point(m.pointX(), m.pointY(), 1)),
                        null, null), true);
                int match = -1;
                for (int k = 0; k < p.count(); k++) {
                    match = Math.abs(p.iou()[k] - m.predictedIou()) < 1e-6 ? k : match;
                }
                assertTrue(match >= 0, "mask " + i + ": a candidate of its point has its IoU");
                float[] logits = p.logits(match);
                boolean[] full = m.toFull(w, h);
                for (int k = 0; k < logits.length; k++) {
                    if (Math.abs(logits[k]) > 1e-4) {
                        assertEquals(logits[k] > 0, full[k], "mask " + i + " pixel " + k);
                    }
                }
                assertEquals(AutomaticMaskGenerator.stabilityScore(logits, 0f, 1.0), m.stabilityScore(), 1e-3,
                        "mask " + i + " stability");
            }
        }
        for (int i = 1; i < checked.size(); i++) {
            assertTrue(checked.get(i - 1).area() >= checked.get(i).area(), "largest first");
        }
    }
}
