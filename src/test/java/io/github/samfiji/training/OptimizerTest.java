package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Presets;
import io.github.samfiji.model.SamModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptimizerTest {

    /**
     * Two AdamW steps checked against a hand computation of torch.optim.AdamW (lr 0.1, betas 0.9/0.999, eps 1e-8,
     * weight_decay 0.5) for w = [1, -2, 0.5], g1 = [0.2, 0.4, 0], g2 = [-0.1, 0.3, 1e-3].
     * Step 1: w ← w(1 − 0.05); m = 0.1 g1; v = 0.001 g1²; w ← w − 0.1 · (m/0.1)/(√(v/0.001) + 1e-8)
     *         = [0.95 − 0.1, −1.9 − 0.1, 0.475 − 0] = [0.85, −2.0, 0.475].
     * Step 2 computed below in double precision with the same formulas.
     */
    @Test
    void adamWMatchesTheDecoupledUpdate() {
        try (SamModel model = new SamModel(TinyModels.config()); NDManager m = model.manager().newSubManager()) {
            Param p = model.namedParams().get("mask_decoder.iou_token.weight");
            int n = (int) p.shape().size();
            float[] w0 = new float[n];
            w0[0] = 1f;
            w0[1] = -2f;
            w0[2] = 0.5f;
            model.setTensor("mask_decoder.iou_token.weight", p.shape(), w0);
            float[] g1 = new float[n];
            g1[0] = 0.2f;
            g1[1] = 0.4f;
            float[] g2 = new float[n];
            g2[0] = -0.1f;
            g2[1] = 0.3f;
            g2[2] = 1e-3f;
            try (AdamW opt = new AdamW(List.of(p), 0.9, 0.999, 1e-8, 0.5, m)) {
                opt.step(List.of(m.create(g1, p.shape())), 0.1);
                float[] w1 = p.value().toFloatArray();
                assertEquals(0.85, w1[0], 1e-6);
                assertEquals(-2.0, w1[1], 1e-6);
                assertEquals(0.475, w1[2], 1e-7);
                opt.step(List.of(m.create(g2, p.shape())), 0.1);
                float[] w2 = p.value().toFloatArray();
                double[] expected = reference(new double[] {1, -2, 0.5}, new double[][] {{0.2, 0.4, 0}, {-0.1, 0.3, 1e-3}});
                for (int i = 0; i < 3; i++) {
                    assertEquals(expected[i], w2[i], 1e-6, "weight " + i);
                }
                // Untouched entries (zero weight, zero gradient) stay exactly zero.
                assertEquals(0f, w2[3]);
            }
        }
    }

    /** torch.optim.AdamW's update in double precision (the formulas of its single-tensor implementation). */
    private static double[] reference(double[] w, double[][] grads) {
        double lr = 0.1;
        double wd = 0.5;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double[] m = new double[w.length];
        double[] v = new double[w.length];
        w = w.clone();
        for (int t = 1; t <= grads.length; t++) {
            double bc1 = 1 - Math.pow(b1, t);
            double bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < w.length; i++) {
                double g = grads[t - 1][i];
                w[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
                w[i] -= lr / bc1 * m[i] / denom;
            }
        }
        return w;
    }

    @Test
    void weightDecayIsDecoupledFromTheGradient() {
        try (SamModel model = new SamModel(TinyModels.config()); NDManager m = model.manager().newSubManager()) {
            Param p = model.namedParams().get("mask_decoder.iou_token.weight");
            float[] w = new float[(int) p.shape().size()];
            java.util.Arrays.fill(w, 3f);
            model.setTensor("mask_decoder.iou_token.weight", p.shape(), w);
            try (AdamW opt = new AdamW(List.of(p), 0.1, m)) {
                // Zero gradient: Adam's part is exactly 0, so only the decay acts: w(1 − lr·wd).
                opt.step(List.of(m.zeros(p.shape())), 1e-2);
            }
            for (float v : p.value().toFloatArray()) {
                assertEquals(3f * (1f - 1e-3f), v, 0f);
            }
        }
    }

    @Test
    void warmUpIsLinearThenConstantOrPolyDecay() {
        LearningRate constant = new LearningRate(1e-4, 200, false, 1000);
        assertEquals(1e-4 / 200, constant.at(0), 1e-18);
        assertEquals(1e-4 * 100 / 200, constant.at(99), 1e-18);
        assertEquals(1e-4, constant.at(199), 1e-18);
        assertEquals(1e-4, constant.at(200), 1e-18);
        assertEquals(1e-4, constant.at(999), 1e-18);
        LearningRate poly = new LearningRate(1e-4, 200, true, 1000);
        assertEquals(1e-4, poly.at(200), 1e-18);
        assertEquals(1e-4 * Math.pow(0.5, 0.9), poly.at(600), 1e-15);
        assertEquals(0, poly.at(1000), 1e-18);
        assertEquals(1e-4, new LearningRate(1e-4, 0, false, 10).at(0), 1e-18);
        assertThrows(IllegalArgumentException.class, () -> new LearningRate(0, 10, false, 10));
    }

    @Test
    void vitBDecoderOnlyTrainsTheMaskDecoder() {
        try (SamModel model = new SamModel(Presets.get("vit_b"))) {
            Strategy s = Strategy.vanilla(Strategy.Parts.DECODER);
            long trainable = s.trainable(model).values().stream().mapToLong(p -> p.shape().size()).sum();
            assertEquals(4_058_340L, trainable);
            assertEquals(93_735_472L, model.parameterCount());
            long encoderDecoder = Strategy.vanilla(Strategy.Parts.ENCODER_DECODER).trainable(model).values().stream()
                    .mapToLong(p -> p.shape().size()).sum();
            assertEquals(93_735_472L - 6_220L, encoderDecoder, "everything but the prompt encoder's parameters");
        }
    }
}
