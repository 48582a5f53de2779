package io.github.samfiji.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.io.Progress;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.FixtureImages;
import io.github.samfiji.testing.FixtureModels;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Automatic mask generation equals the reference {@code SamAutomaticMaskGenerator} on the {@code sam_tiny/amg}
 * fixture: the same objects (pixel for pixel), with the same area, bounding box, stability score and predicted IoU;
 * only their order may differ.
 */
@NeedsSharedData
class AmgParityTest {

    private static SamModel model;

    @BeforeAll
    static void load() {
        model = FixtureModels.fromNpy("sam_tiny");
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void everyMaskOfTheUnfilteredGrid() {
        check("grid8_all", AmgSettings.defaults().pointsPerSide(8).pointsPerBatch(64).predIouThresh(0)
                .stabilityScoreThresh(0).boxNmsThresh(1.0));
    }

    @Test
    void publishedStyleFilters() {
        check("grid8_filtered", AmgSettings.defaults().pointsPerSide(8).pointsPerBatch(64).predIouThresh(0.8)
                .stabilityScoreThresh(1e-5).boxNmsThresh(0.7));
    }

    @Test
    void oneCropLayer() {
        check("grid8_crops1", AmgSettings.defaults().pointsPerSide(8).pointsPerBatch(64).predIouThresh(0)
                .stabilityScoreThresh(0).cropNLayers(1).cropNPointsDownscaleFactor(2).boxNmsThresh(1.0)
                .cropNmsThresh(1.0));
    }

    @Test
    void oneAtATimeGivesTheSameObjects() {
        check("grid8_all", AmgSettings.defaults().pointsPerSide(8).pointsPerBatch(1).predIouThresh(0)
                .stabilityScoreThresh(0).boxNmsThresh(1.0));
    }

    /** Pixels whose logit lies this close to a threshold may fall either side in float32 (fixtures README). */
    private static final double AMBIGUOUS = 1e-4;

    private static void check(String tag, AmgSettings settings) {
        Rgb8Image image = FixtureImages.image("sam_tiny");
        int w = image.width();
        int h = image.height();
        SamPredictor predictor = new SamPredictor(model);
        List<InstanceMask> ours = new ArrayList<>(new AutomaticMaskGenerator(predictor, settings)
                .generate(image, Progress.NONE).masks());
        Npy masks = Fixtures.npy("sam_tiny", "amg/" + tag + "__masks");
        float[] boxes = Fixtures.npy("sam_tiny", "amg/" + tag + "__bbox_xywh").floats();
        float[] points = Fixtures.npy("sam_tiny", "amg/" + tag + "__point_coords").floats();
        float[] iou = Fixtures.npy("sam_tiny", "amg/" + tag + "__predicted_iou").floats();
        float[] stability = Fixtures.npy("sam_tiny", "amg/" + tag + "__stability_score").floats();
        byte[] bits = masks.bytes();
        int n = (int) masks.shape[0];
        assertEquals(n, ours.size(), tag + ": number of objects");
        try (ImageEmbedding embedding = predictor.encode(image)) {
            for (int i = 0; i < n; i++) {
                String what = tag + " object " + i;
                boolean[] expected = new boolean[w * h];
                long area = 0;
                for (int p = 0; p < w * h; p++) {
                    expected[p] = bits[i * w * h + p] != 0;
                    area += expected[p] ? 1 : 0;
                }
                float px = points[2 * i];
                float py = points[2 * i + 1];
                float score = iou[i];
                InstanceMask match = ours.stream().filter(m -> Math.abs(m.pointX() - px) < 1e-3
                        && Math.abs(m.pointY() - py) < 1e-3 && Math.abs(m.predictedIou() - score) < 1e-4)
                        .findFirst().orElse(null);
                assertTrue(match != null, what + " (point " + px + ", " + py + ") not found");
                ours.remove(match);
                boolean[] actual = match.toFull(w, h);
                if (Arrays.equals(actual, expected)) {
                    assertEquals(area, match.area(), what + " area");
                    assertEquals(boxes[4 * i], match.x0(), what + " box x");
                    assertEquals(boxes[4 * i + 1], match.y0(), what + " box y");
                    // The reference's width and height are the distance between the first and last pixel.
                    assertEquals(boxes[4 * i + 2], match.width() - 1, what + " box w");
                    assertEquals(boxes[4 * i + 3], match.height() - 1, what + " box h");
                } else {
                    // Pixels may differ only where our own logit is within float32 noise of the threshold.
                    float[] logits = candidateLogits(predictor, embedding, match);
                    for (int p = 0; p < w * h; p++) {
                        if (actual[p] != expected[p]) {
                            assertTrue(Math.abs(logits[p]) < AMBIGUOUS, what + ": pixel " + p + " differs with logit "
                                    + logits[p]);
                        }
                    }
                }
                assertEquals(stability[i], match.stabilityScore(), 1e-6, what + " stability");
            }
        }
    }

    /** Our full-size logits of the candidate that gave this object (same point, same predicted IoU). */
    private static float[] candidateLogits(SamPredictor predictor, ImageEmbedding embedding, InstanceMask m) {
        Prediction p = predictor.predict(embedding, Prompt.builder().point(m.pointX(), m.pointY(), 1).build(), true);
        int best = 0;
        for (int c = 1; c < p.count(); c++) {
            if (Math.abs(p.iou()[c] - m.predictedIou()) < Math.abs(p.iou()[best] - m.predictedIou())) {
                best = c;
            }
        }
        return p.logits()[best];
    }
}
