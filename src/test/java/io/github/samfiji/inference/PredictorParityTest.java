package io.github.samfiji.inference;

import static io.github.samfiji.testing.Assertions2.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.samfiji.image.ResizeLongestSide;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.FixtureImages;
import io.github.samfiji.testing.FixtureModels;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End-to-end parity of the predictor with the reference SamPredictor: from the uint8 image and prompts in original
 * pixel coordinates to masks, logits and IoU at the original size, for every fixture case and both multimask
 * settings, plus the prompt-free path.
 */
@NeedsSharedData
class PredictorParityTest {

    private static final double TOL = 1e-4;
    private static final Map<String, SamModel> MODELS = new HashMap<>();
    private static final Map<String, ImageEmbedding> EMBEDDINGS = new HashMap<>();

    @BeforeAll
    static void setUp() {
        Fixtures.shared();
        for (String set : new String[] {"sam_tiny", "mobile_sam_tiny"}) {
            SamModel model = FixtureModels.fromNpy(set);
            MODELS.put(set, model);
            EMBEDDINGS.put(set, new SamPredictor(model).encode(FixtureImages.image(set)));
        }
    }

    @AfterAll
    static void tearDown() {
        EMBEDDINGS.values().forEach(ImageEmbedding::close);
        MODELS.values().forEach(SamModel::close);
    }

    @Test
    void preprocessingIsBitExact() {
        SamModel model = MODELS.get("sam_tiny");
        int size = model.config().imageSize();
        float[] mine = SamPredictor.preprocess(ResizeLongestSide.apply(FixtureImages.image("sam_tiny"), size), size,
                model.config());
        assertArrayEquals(Fixtures.npy("sam_tiny", "input_preprocessed").floats(), mine);
    }

    @ParameterizedTest
    @CsvSource({"sam_tiny", "mobile_sam_tiny"})
    void embeddingMatchesReference(String set) {
        ImageEmbedding e = EMBEDDINGS.get(set);
        Npy ref = Fixtures.npy(set, "image_embeddings");
        assertArrayEquals(ref.shape, e.shape());
        assertClose(set + " embedding", ref.floats(), e.toFloatArray(), TOL);
        assertEquals(166, e.inputWidth());
        assertEquals(256, e.inputHeight());
    }

    @ParameterizedTest
    @CsvSource({"sam_tiny, point1", "sam_tiny, points3", "sam_tiny, box", "sam_tiny, box_point", "sam_tiny, box_mask",
        "mobile_sam_tiny, point1", "mobile_sam_tiny, box"})
    void promptCases(String set, String c) {
        Prompt.Builder b = Prompt.builder();
        if (exists(set, c + "__point_coords")) {
            float[] xy = Fixtures.npy(set, c + "__point_coords").floats();
            float[] labels = Fixtures.npy(set, c + "__point_labels").floats();
            for (int i = 0; i < labels.length; i++) {
                b.point(xy[2 * i], xy[2 * i + 1], (int) labels[i]);
            }
        }
        if (exists(set, c + "__box")) {
            float[] box = Fixtures.npy(set, c + "__box").floats();
            b.box(box[0], box[1], box[2], box[3]);
        }
        if (exists(set, c + "__mask_input")) {
            b.maskInput(Fixtures.npy(set, c + "__mask_input").floats());
        }
        SamPredictor predictor = new SamPredictor(MODELS.get(set));
        for (boolean multi : new boolean[] {true, false}) {
            Prediction p = predictor.predict(EMBEDDINGS.get(set), b.build(), multi);
            check(set, c + "__" + (multi ? "mmT" : "mmF") + "__", p);
        }
    }

    @Test
    void promptFreePath() {
        SamPredictor predictor = new SamPredictor(MODELS.get("sam_tiny"));
        for (boolean multi : new boolean[] {true, false}) {
            Prediction p = predictor.predictWithoutPrompt(EMBEDDINGS.get("sam_tiny"), multi);
            String tag = "noprompt__" + (multi ? "mmT" : "mmF") + "__";
            assertClose(tag + "low_res", Fixtures.npy("sam_tiny", tag + "low_res_logits").floats(), flat(p.lowRes()), TOL);
            assertClose(tag + "iou", Fixtures.npy("sam_tiny", tag + "iou_predictions").floats(), p.iou(), TOL);
            if (!multi) {
                assertClose(tag + "logits_orig", Fixtures.npy("sam_tiny", tag + "logits_orig").floats(), flat(p.logits()), TOL);
                assertMasks(tag, Fixtures.npy("sam_tiny", tag + "logits_orig").floats(),
                        Fixtures.npy("sam_tiny", tag + "masks").bytes(), p);
            }
        }
    }

    private static void check(String set, String tag, Prediction p) {
        Npy logits = Fixtures.npy(set, tag + "logits_orig");
        assertEquals(logits.shape[0], p.count(), tag + "candidates");
        assertEquals(logits.shape[1], p.height());
        assertEquals(logits.shape[2], p.width());
        assertClose(tag + "iou_predictions", Fixtures.npy(set, tag + "iou_predictions").floats(), p.iou(), TOL);
        assertClose(tag + "low_res_logits", Fixtures.npy(set, tag + "low_res_logits").floats(), flat(p.lowRes()), TOL);
        assertClose(tag + "logits_orig", logits.floats(), flat(p.logits()), TOL);
        assertMasks(tag, logits.floats(), Fixtures.npy(set, tag + "masks").bytes(), p);
    }

    /** Masks equal, except pixels whose reference logit lies within 1e-4 of the threshold. */
    private static void assertMasks(String tag, float[] refLogits, byte[] refMasks, Prediction p) {
        int area = p.width() * p.height();
        int compared = 0;
        for (int i = 0; i < p.count(); i++) {
            boolean[] mask = p.mask(i);
            for (int k = 0; k < area; k++) {
                if (Math.abs(refLogits[i * area + k]) < 1e-4) {
                    continue;
                }
                compared++;
                assertEquals(refMasks[i * area + k] != 0, mask[k], tag + "mask " + i + " pixel " + k);
            }
        }
        assertEquals(true, compared > area * p.count() * 0.99, "almost every pixel compared");
    }

    private static float[] flat(float[][] a) {
        int n = 0;
        for (float[] r : a) {
            n += r.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] r : a) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    private static boolean exists(String set, String name) {
        return Files.exists(Fixtures.set(set).resolve(name + ".npy"));
    }
}
