package io.github.samfiji.inference.sam2;

import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.model.sam2.Sam2Model;
import static io.github.samfiji.model.sam2.Sam2Fixture.assertClose;
import static io.github.samfiji.model.sam2.Sam2Fixture.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.testing.NeedsSharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The public SAM 2.1 image predictor end to end, from the RGB image to the masks at the original size, against the
 * reference predictor; and its native memory stays flat.
 */
@NeedsSharedData
class Sam2ImagePredictorTest {

    private static final double TOL = 1e-4;
    private static Sam2Model model;
    private static Sam2ImagePredictor predictor;
    private static Rgb8Image image;

    @BeforeAll
    static void load() {
        model = Sam2Fixture.loadModel();
        predictor = new Sam2ImagePredictor(model);
        image = Sam2Fixture.image();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        Sam2Fixture.report("SAM 2.1 image predictor, end to end");
    }

    @Test
    void fromTheImageToEveryCasesLogits() {
        try (Sam2ImageEmbedding embedding = predictor.encode(image)) {
            assertEquals(image.width(), embedding.originalWidth());
            assertEquals(image.height(), embedding.originalHeight());
            assertClose("image_embed (end to end)", npy("image_embed").floats(), embedding.imageEmbedValues(), TOL);
            for (String c : new String[] {"point1", "points3", "box", "box_point", "box_mask", "noprompt"}) {
                for (boolean multi : new boolean[] {true, false}) {
                    String tag = c + "__" + (multi ? "mmT" : "mmF") + "__";
                    Sam2Prediction out = predictor.predict(embedding, Sam2DecoderParityTest.prompt(c), multi);
                    assertClose(tag + "logits_orig (end to end)", npy(tag + "logits_orig").floats(),
                            Sam2Fixture.concat(out.masks().logits()), TOL);
                    assertClose(tag + "low_res_masks (end to end)", npy(tag + "low_res_masks").floats(),
                            Sam2Fixture.concat(out.masks().lowRes()), TOL);
                    assertClose(tag + "iou_predictions (end to end)", npy(tag + "iou_predictions").floats(),
                            out.masks().iou(), TOL);
                }
            }
        }
    }

    @Test
    void theBestLowResMaskOfOnePredictionPromptsTheNext() {
        try (Sam2ImageEmbedding embedding = predictor.encode(image)) {
            Sam2Prediction first = predictor.predict(embedding, Sam2DecoderParityTest.prompt("box"), true);
            float[] reused = first.masks().lowRes()[first.masks().best()];
            assertClose("box_mask__mask_input (from box mmT)", npy("box_mask__mask_input").floats(), reused, TOL);
            float[] box = npy("box_mask__box").floats();
            Prompt again = Prompt.builder().box(box[0], box[1], box[2], box[3]).maskInput(reused).build();
            Sam2Prediction second = predictor.predict(embedding, again, false);
            assertClose("box_mask__mmF__logits_orig (chained)", npy("box_mask__mmF__logits_orig").floats(),
                    second.masks().logits()[0], TOL);
        }
    }

    @Test
    void noNativeArraysStayBehindAfterPromptsAndEncodes() {
        // Warm up once so that lazily built state exists before counting.
        try (Sam2ImageEmbedding e = predictor.encode(image)) {
            predictor.predict(e, Sam2DecoderParityTest.prompt("box_point"), false);
        }
        int before = model.manager().getManagedArrays().size();
        for (int i = 0; i < 3; i++) {
            try (Sam2ImageEmbedding e = predictor.encode(image)) {
                for (String c : new String[] {"point1", "box", "box_mask", "noprompt"}) {
                    predictor.predict(e, Sam2DecoderParityTest.prompt(c), i % 2 == 0);
                }
            }
        }
        assertEquals(before, model.manager().getManagedArrays().size(), "native arrays held by the model");
    }

    @Test
    void badPromptsAreRefusedWithTheReason() {
        try (Sam2ImageEmbedding e = predictor.encode(image)) {
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                    () -> predictor.predict(e, Prompt.builder().point(500, 3, 1).build(), true));
            assertEquals(true, outside.getMessage().contains("outside"), outside.getMessage());
            IllegalArgumentException mask = assertThrows(IllegalArgumentException.class,
                    () -> predictor.predict(e, Prompt.builder().maskInput(new float[10]).build(), true));
            assertEquals(true, mask.getMessage().contains("32 x 32"), mask.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> predictor.encode(new Rgb8Image(1, 5, new byte[15])));
    }

    @Test
    void tokensReportTheChoice() {
        try (Sam2ImageEmbedding e = predictor.encode(image)) {
            assertArrayEquals(new int[] {1, 2, 3}, predictor.predict(e, Sam2DecoderParityTest.prompt("point1"), true).tokens());
            // box: token 0 is stable; point1: it is not, and the best multimask token replaces it.
            assertArrayEquals(new int[] {0}, predictor.predict(e, Sam2DecoderParityTest.prompt("box"), false).tokens());
            int best = 1 + argmax(npy("point1__mmT__iou_predictions").floats());
            assertArrayEquals(new int[] {best}, predictor.predict(e, Sam2DecoderParityTest.prompt("point1"), false).tokens());
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
