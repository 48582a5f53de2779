package io.github.samfiji.inference.sam2;

import io.github.samfiji.model.sam2.MaskSelection;
import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.model.sam2.Sam2Model;
import static io.github.samfiji.model.sam2.Sam2Fixture.assertClose;
import static io.github.samfiji.model.sam2.Sam2Fixture.has;
import static io.github.samfiji.model.sam2.Sam2Fixture.nd;
import static io.github.samfiji.model.sam2.Sam2Fixture.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SAM 2.1 prompt encoder, mask decoder, token choice and post-processing against the reference on sam2_tiny, for
 * every prompt case and both multimask settings. The decoder starts from the reference's own image features, so
 * these errors are the heads' alone (the encoder has its own test).
 */
@NeedsSharedData
class Sam2DecoderParityTest {

    /** On logits of size 10-30; the reference's float32-vs-float64 spread is 2.1e-5. */
    private static final double TOL = 1e-4;
    private static Sam2Model model;
    private static Sam2ImagePredictor predictor;
    private static Sam2ImageEmbedding embedding;
    private static JsonObject cases;

    @BeforeAll
    static void load() throws IOException {
        model = Sam2Fixture.loadModel();
        predictor = new Sam2ImagePredictor(model);
        NDManager owner = model.manager().newSubManager();
        NDList features = new NDList(nd(owner, "high_res_feats0"), nd(owner, "high_res_feats1"),
                nd(owner, "backbone_fpn2"), nd(owner, "image_embed"));
        int[] hw = npy("image").intShape();
        embedding = new Sam2ImageEmbedding(owner, features, hw[1], hw[0], 0);
        cases = JsonParser.parseString(Files.readString(Fixtures.set(Sam2Fixture.SET).resolve("manifest.json")))
                .getAsJsonObject().getAsJsonObject("cases");
    }

    @AfterAll
    static void close() {
        if (embedding != null) {
            embedding.close();
        }
        if (model != null) {
            model.close();
        }
        Sam2Fixture.report("SAM 2.1 prompt encoder + decoder parity");
    }

    /** The case's prompt as a user gives it, in original image pixels. */
    static Prompt prompt(String c) {
        Prompt.Builder b = Prompt.builder();
        if (has(c + "__box")) {
            float[] box = npy(c + "__box").floats();
            b.box(box[0], box[1], box[2], box[3]);
        }
        if (has(c + "__point_coords")) {
            float[] xy = npy(c + "__point_coords").floats();
            long[] labels = npy(c + "__point_labels").longs();
            for (int i = 0; i < labels.length; i++) {
                b.point(xy[2 * i], xy[2 * i + 1], (int) labels[i]);
            }
        }
        if (has(c + "__mask_input")) {
            b.maskInput(npy(c + "__mask_input").floats());
        }
        return b.build();
    }

    @Test
    void densePositionalEncoding() {
        try (NDManager m = model.manager().newSubManager()) {
            assertClose("dense_pe", model.promptEncoder().densePositionalEncoding(m), TOL);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"point1", "points3", "box", "box_point", "box_mask"})
    void promptCoordinatesScaledPerAxisWithTheBoxFirst(String c) {
        Prompt p = prompt(c);
        float[] expected = npy(c + "__concat_coords").floats();
        long[] labels = npy(c + "__concat_labels").longs();
        int w = embedding.originalWidth();
        int h = embedding.originalHeight();
        int size = model.config().imageSize();
        float[] mine = new float[expected.length];
        int at = 0;
        if (p.box() != null) {
            assertEquals(2, labels[0]);
            assertEquals(3, labels[1]);
            mine[at++] = Sam2ImagePredictor.toModel(p.box().x0(), w, size);
            mine[at++] = Sam2ImagePredictor.toModel(p.box().y0(), h, size);
            mine[at++] = Sam2ImagePredictor.toModel(p.box().x1(), w, size);
            mine[at++] = Sam2ImagePredictor.toModel(p.box().y1(), h, size);
        }
        for (Prompt.Point pt : p.points()) {
            assertEquals(pt.label(), labels[at / 2]);
            mine[at++] = Sam2ImagePredictor.toModel(pt.x(), w, size);
            mine[at++] = Sam2ImagePredictor.toModel(pt.y(), h, size);
        }
        assertArrayEquals(expected, mine, c + "__concat_coords");
    }

    @ParameterizedTest
    @ValueSource(strings = {"point1", "points3", "box", "box_point", "box_mask", "noprompt"})
    void everyCaseBothMultimaskSettings(String c) {
        JsonObject info = cases.getAsJsonObject(c);
        for (boolean multi : new boolean[] {true, false}) {
            String tag = c + "__" + (multi ? "mmT" : "mmF") + "__";
            Map<String, float[]> probes = new HashMap<>();
            Map<String, long[]> shapes = new HashMap<>();
            Sam2Prediction out = predictor.predict(embedding, prompt(c), multi, (name, x) -> {
                probes.put(name, x.toFloatArray());
                shapes.put(name, x.getShape().getShape());
            });
            assertArrayEquals(npy(c + "__sparse_embeddings").shape, shapes.get("sparse_embeddings"), c + " sparse shape");
            assertClose(c + "__sparse_embeddings", npy(c + "__sparse_embeddings").floats(), probes.get("sparse_embeddings"), TOL);
            assertClose(c + "__dense_embeddings", npy(c + "__dense_embeddings").floats(), probes.get("dense_embeddings"), TOL);
            int n = multi ? 3 : 1;
            assertEquals(n, out.masks().count());
            assertClose(tag + "low_res_masks", npy(tag + "low_res_masks").floats(), Sam2Fixture.concat(out.masks().lowRes()), TOL);
            assertClose(tag + "iou_predictions", npy(tag + "iou_predictions").floats(), out.masks().iou(), TOL);
            assertClose(tag + "object_score_logits", npy(tag + "object_score_logits").floats(),
                    new float[] {out.objectScoreLogit()}, TOL);
            Npy logits = npy(tag + "logits_orig");
            assertClose(tag + "logits_orig", logits.floats(), Sam2Fixture.concat(out.masks().logits()), TOL);
            assertMasksEqual(tag, logits.floats(), npy(tag + "masks").bytes(), out);
            if (multi) {
                assertEquals(info.get("mmT_best_index").getAsInt(), out.masks().best(), tag + "best index");
            } else {
                boolean fellBack = out.tokens()[0] != 0;
                assertEquals(info.get("mmF_dynamic_fallback_to_best_multimask").getAsBoolean(), fellBack,
                        tag + "stability fallback");
                float stability = MaskSelection.stability(probes.get("masks_all_tokens"), 0, 32 * 32);
                assertEquals(info.get("mmF_stability_token0").getAsFloat(), stability, 1e-6f, tag + "stability");
            }
        }
    }

    @Test
    void decoderIntermediatesOfPoint1() {
        Map<String, float[]> probes = new HashMap<>();
        predictor.predict(embedding, prompt("point1"), true, (name, x) -> probes.put(name, x.toFloatArray()));
        String[][] pairs = {{"tokens_in", "tokens_in"}, {"hs", "hs"}, {"src", "src"},
            {"upscaled_embedding", "upscaled_embedding"}, {"hyper_in", "hyper_in"},
            {"masks_all_tokens", "masks_all_tokens"}, {"iou_all_tokens", "iou_all_tokens"}};
        for (String[] p : pairs) {
            assertClose("point1__dec_" + p[0], npy("point1__dec_" + p[0]).floats(), probes.get(p[1]), TOL);
        }
    }

    @Test
    void closedEmbeddingRefusesUse() {
        NDManager owner = model.manager().newSubManager();
        NDList features = new NDList(nd(owner, "high_res_feats0"), nd(owner, "high_res_feats1"),
                nd(owner, "backbone_fpn2"), nd(owner, "image_embed"));
        Sam2ImageEmbedding closed = new Sam2ImageEmbedding(owner, features, 97, 150, 0);
        closed.close();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> predictor.predict(closed, prompt("point1"), true));
    }

    /** Thresholded masks agree except where the reference logit is within float noise of 0. */
    private static void assertMasksEqual(String tag, float[] refLogits, byte[] refMasks, Sam2Prediction out) {
        int area = out.masks().width() * out.masks().height();
        int flipped = 0;
        for (int i = 0; i < out.masks().count(); i++) {
            boolean[] mask = out.masks().mask(i);
            for (int k = 0; k < area; k++) {
                if (mask[k] != (refMasks[i * area + k] != 0) && Math.abs(refLogits[i * area + k]) >= 1e-4) {
                    flipped++;
                }
            }
        }
        assertEquals(0, flipped, tag + "masks: pixels that differ away from |logit| < 1e-4");
    }
}
