package io.github.samfiji.model.sam2;

import static io.github.samfiji.model.sam2.Sam2Fixture.assertClose;
import static io.github.samfiji.model.sam2.Sam2Fixture.nd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.samfiji.testing.NeedsSharedData;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SAM 2.1 image encoder against the reference on sam2_tiny: Hiera's every block, the FPN neck, the sine position
 * encodings, and the features the SAM heads receive. The reference's own float32-vs-float64 spread is ≤ 3.3e-6.
 */
@NeedsSharedData
class Sam2EncoderParityTest {

    private static final double TOL = 1e-4;
    private static Sam2Model model;

    @BeforeAll
    static void load() {
        model = Sam2Fixture.loadModel();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        Sam2Fixture.report("SAM 2.1 encoder parity");
    }

    @Test
    void encoderMatchesEveryIntermediateAndTheHeadsFeatures() {
        try (NDManager m = model.manager().newSubManager()) {
            Map<String, float[]> probes = new HashMap<>();
            Map<String, long[]> shapes = new HashMap<>();
            NDArray input = nd(m, "input_preprocessed");
            NDList features = model.encodeImage(input, (name, x) -> {
                probes.put(name, x.toFloatArray());
                shapes.put(name, x.getShape().getShape());
            });
            assertClose("trunk_patch_embed", Sam2Fixture.npy("trunk_patch_embed").floats(), probes.get("patch_embed"), TOL);
            assertClose("trunk_pos_embed", Sam2Fixture.npy("trunk_pos_embed").floats(), probes.get("pos_embed"), TOL);
            assertClose("trunk_patch_embed_plus_pos", Sam2Fixture.npy("trunk_patch_embed_plus_pos").floats(),
                    probes.get("patch_embed_plus_pos"), TOL);
            for (int i = 0; i < model.imageEncoder().trunk().depth(); i++) {
                assertClose("trunk_block" + i + "_out", Sam2Fixture.npy("trunk_block" + i + "_out").floats(),
                        probes.get("block" + i), TOL);
            }
            assertClose("neck_fpn3_dropped", Sam2Fixture.npy("neck_fpn3_dropped").floats(),
                    probes.get("neck_fpn3_dropped"), TOL);
            for (int i = 0; i < 3; i++) {
                assertClose("backbone_fpn" + i, Sam2Fixture.npy("backbone_fpn" + i).floats(),
                        probes.get("backbone_fpn" + i), TOL);
            }
            assertClose("backbone_vision_features", Sam2Fixture.npy("backbone_vision_features").floats(),
                    probes.get("backbone_fpn2"), TOL);
            assertClose("high_res_feats0", features.get(0), TOL);
            assertClose("high_res_feats1", features.get(1), TOL);
            assertClose("image_embed", features.get(2), TOL);
            features.close();
        }
    }

    @Test
    void sinePositionEncodingOfEveryLevel() {
        try (NDManager m = model.manager().newSubManager()) {
            int c = model.config().hiddenDim();
            for (int i = 0; i < 3; i++) {
                int side = model.config().imageSize() / (4 << i);
                assertClose("backbone_vision_pos_enc" + i, PositionEmbeddingSine.encode(m, c, side, side), TOL);
            }
        }
    }
}
