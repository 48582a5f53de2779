package io.github.samfiji.model;

import static io.github.samfiji.testing.Assertions2.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
 * Model-level parity with the reference PyTorch SAM/MobileSAM on the fixture sets: encoder intermediates,
 * embeddings, prompt embeddings and decoder outputs, each within 1e-4 absolute.
 */
@NeedsSharedData
class ModelParityTest {

    private static final double TOL = 1e-4;
    private static final Map<String, SamModel> MODELS = new HashMap<>();

    @BeforeAll
    static void load() {
        Fixtures.shared();
        MODELS.put("sam_tiny", FixtureModels.fromNpy("sam_tiny"));
        MODELS.put("mobile_sam_tiny", FixtureModels.fromNpy("mobile_sam_tiny"));
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(SamModel::close);
    }

    private static Npy npy(String set, String name) {
        return Fixtures.npy(set, name);
    }

    private static NDArray nd(NDManager m, Npy n) {
        return m.create(n.floats(), new Shape(n.shape));
    }

    @Test
    void vitEncoderMatchesIntermediatesAndEmbedding() {
        SamModel model = MODELS.get("sam_tiny");
        try (NDManager m = model.manager().newSubManager()) {
            Map<String, float[]> stages = new HashMap<>();
            NDArray input = nd(m, npy("sam_tiny", "input_preprocessed"));
            NDArray emb = model.imageEncoder().forward(input, (name, x) -> stages.put(name, x.toFloatArray()));
            assertClose("enc_patch_embed_plus_pos", npy("sam_tiny", "enc_patch_embed_plus_pos").floats(),
                    stages.get("patch_embed_plus_pos"), TOL);
            for (int i = 0; i < 4; i++) {
                assertClose("enc_block" + i, npy("sam_tiny", "enc_block" + i + "_out").floats(), stages.get("block" + i), TOL);
            }
            assertClose("image_embeddings", npy("sam_tiny", "image_embeddings"), emb, TOL);
        }
    }

    @Test
    void tinyVitEncoderMatchesIntermediatesAndEmbedding() {
        SamModel model = MODELS.get("mobile_sam_tiny");
        try (NDManager m = model.manager().newSubManager()) {
            Map<String, float[]> stages = new HashMap<>();
            // mobile_sam_tiny reuses sam_tiny's (bit-identical) preprocessed input.
            NDArray input = nd(m, npy("sam_tiny", "input_preprocessed"));
            NDArray emb = model.imageEncoder().forward(input, (name, x) -> stages.put(name, x.toFloatArray()));
            assertClose("enc_patch_embed", npy("mobile_sam_tiny", "enc_patch_embed").floats(), stages.get("patch_embed"), TOL);
            String[] names = {"layer0_block0", "layer0", "layer1_block0", "layer1", "layer2_block0", "layer2_block1",
                "layer2", "layer3_block0", "layer3"};
            for (String n : names) {
                assertClose("enc_" + n, npy("mobile_sam_tiny", "enc_" + n + "_out").floats(), stages.get(n), TOL);
            }
            assertClose("image_embeddings", npy("mobile_sam_tiny", "image_embeddings"), emb, TOL);
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 4", "3, 6"})
    void tinyVitAttentionBiasIndexMatchesReference(int layer, int window) {
        Npy idx = npy("mobile_sam_tiny", "enc_layer" + layer + "_block0_attention_bias_idxs");
        long[] mine = TinyViT.WindowAttention.biasIndex(window);
        float[] ref = idx.floats();
        assertEquals(ref.length, mine.length);
        for (int i = 0; i < ref.length; i++) {
            assertEquals((long) ref[i], mine[i], "index " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"sam_tiny", "mobile_sam_tiny"})
    void densePositionalEncoding(String set) {
        SamModel model = MODELS.get(set);
        try (NDManager m = model.manager().newSubManager()) {
            assertClose("dense_pe", npy(set, "dense_pe"), model.promptEncoder().densePositionalEncoding(m), TOL);
        }
    }

    /** Prompt encoder and decoder from the reference embedding, for every case and both multimask settings. */
    @ParameterizedTest
    @CsvSource({"sam_tiny, point1", "sam_tiny, points3", "sam_tiny, box", "sam_tiny, box_point", "sam_tiny, box_mask",
        "sam_tiny, noprompt", "mobile_sam_tiny, point1", "mobile_sam_tiny, box"})
    void promptEncoderAndDecoder(String set, String c) {
        SamModel model = MODELS.get(set);
        try (NDManager m = model.manager().newSubManager()) {
            NDArray points = null;
            NDArray labels = null;
            NDArray box = null;
            NDArray mask = null;
            if (Files.exists(Fixtures.set(set).resolve(c + "__point_coords_transformed.npy"))) {
                Npy p = npy(set, c + "__point_coords_transformed");
                points = nd(m, p).reshape(1, p.shape[0], 2);
                labels = nd(m, npy(set, c + "__point_labels")).reshape(1, p.shape[0]);
            }
            if (Files.exists(Fixtures.set(set).resolve(c + "__box_transformed.npy"))) {
                box = nd(m, npy(set, c + "__box_transformed")).reshape(1, 4);
            }
            if (Files.exists(Fixtures.set(set).resolve(c + "__mask_input.npy"))) {
                Npy mi = npy(set, c + "__mask_input");
                mask = nd(m, mi).reshape(1, 1, mi.shape[mi.shape.length - 2], mi.shape[mi.shape.length - 1]);
            }
            NDList prompt = model.promptEncoder().forward(points, labels, box, mask, m);
            assertClose(c + " sparse", npy(set, c + "__sparse_embeddings"), prompt.get(0), TOL);
            assertClose(c + " dense", npy(set, c + "__dense_embeddings"), prompt.get(1), TOL);
            NDArray image = nd(m, npy(set, "image_embeddings"));
            NDArray pe = model.promptEncoder().densePositionalEncoding(m);
            for (boolean multi : new boolean[] {true, false}) {
                String tag = c + "__" + (multi ? "mmT" : "mmF") + "__";
                if (!Files.exists(Fixtures.set(set).resolve(tag + "low_res_logits.npy"))) {
                    continue;
                }
                Map<String, NDArray> probes = new HashMap<>();
                NDList out = model.maskDecoder().forward(image, pe, prompt.get(0), prompt.get(1), multi, probes::put);
                assertClose(tag + "low_res_logits", npy(set, tag + "low_res_logits").floats(), out.get(0).toFloatArray(), TOL);
                assertClose(tag + "iou_predictions", npy(set, tag + "iou_predictions").floats(), out.get(1).toFloatArray(), TOL);
                if (multi && Files.exists(Fixtures.set(set).resolve(c + "__dec_hyper_in.npy"))) {
                    assertClose("queries", npy(set, c + "__dec_transformer_queries"), probes.get("transformer_queries"), TOL);
                    assertClose("keys", npy(set, c + "__dec_transformer_keys"), probes.get("transformer_keys"), TOL);
                    assertClose("upscaled", npy(set, c + "__dec_upscaled_embedding"), probes.get("upscaled_embedding"), TOL);
                    assertClose("hyper_in", npy(set, c + "__dec_hyper_in"), probes.get("hyper_in"), TOL);
                    assertClose("iou_all", npy(set, c + "__dec_iou_all_tokens"), probes.get("iou_all_tokens"), TOL);
                }
            }
        }
    }
}
