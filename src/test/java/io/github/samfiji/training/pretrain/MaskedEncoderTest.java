package io.github.samfiji.training.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.ImageEncoderViT;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import io.github.samfiji.model.SamConfig.VitConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TinyViT;
import io.github.samfiji.model.TorchRuntime;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The masked forward passes against the full encoders, and the masked-patch loss against a direct computation.
 */
class MaskedEncoderTest {

    /** ViT at 128 px: 8 x 8 patches, windows of 4 (so no padding), blocks 0 and 2 windowed, 1 and 3 global. */
    static SamConfig vit() {
        return new SamConfig(new VitConfig(128, 16, 3, 32, 4, 2, 2.0, 32, true, true, true, 4, new int[] {1, 3}),
                new DecoderConfig(32, 8, 3, 2, 64, 2, 2, 3, 32));
    }

    static SamConfig tinyVit() {
        return new SamConfig(new TinyVitConfig(64, 3, 0, new int[] {16, 24, 32, 48}, new int[] {1, 1, 2, 1},
                new int[] {1, 2, 2, 3}, new int[] {4, 4, 2, 2}, 2.0, 2.0, 3, 32),
                new DecoderConfig(32, 8, 3, 2, 64, 2, 2, 3, 32));
    }

    static SamModel random(SamConfig config, long seed) {
        SamModel model = new SamModel(config);
        model.initializeRandom(seed);
        // Non-zero relative-position tables, so that their gathering is checked (random init keeps them small).
        Random r = new Random(seed + 1);
        model.namedParams().forEach((name, p) -> {
            if (name.contains("rel_pos")) {
                float[] v = new float[(int) p.shape().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) r.nextGaussian();
                }
                model.setTensor(name, p.shape(), v);
            }
        });
        return model;
    }

    static float[] noise(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void visibleTokenEncoderEqualsTheFullEncoderWhenNothingIsMasked() {
        try (SamModel model = random(vit(), 3); NDManager m = model.manager().newSubManager()) {
            ImageEncoderViT encoder = (ImageEncoderViT) model.imageEncoder();
            NDArray image = Ops.constant(m, noise(2 * 3 * 128 * 128, 5), new Shape(2, 3, 128, 128));
            NDArray[] last = new NDArray[1];
            TorchRuntime.withoutGradients(() -> encoder.forward(image, (name, x) -> {
                if (name.equals("block3")) {
                    last[0] = x.duplicate();
                }
            }));
            long[] all = PatchMasking.visible(new boolean[64]);
            NDArray visible = TorchRuntime.withoutGradients(() -> encoder.forwardVisible(image, new long[][] {all, all}));
            float[] full = last[0].reshape(2, 64, 32).toFloatArray();
            float[] sparse = visible.toFloatArray();
            assertEquals(full.length, sparse.length);
            double worst = 0;
            for (int i = 0; i < full.length; i++) {
                worst = Math.max(worst, Math.abs(full[i] - sparse[i]));
            }
            assertTrue(worst < 1e-5, "largest difference " + worst);
        }
    }

    @Test
    void visibleTokensDependOnlyOnTheVisiblePatches() {
        // Changing the pixels of a masked patch leaves the visible tokens unchanged; changing a visible one does not.
        try (SamModel model = random(vit(), 4); NDManager m = model.manager().newSubManager()) {
            ImageEncoderViT encoder = (ImageEncoderViT) model.imageEncoder();
            boolean[] masked = PatchMasking.draw(64, 0.75, new Random(1));
            long[] visible = PatchMasking.visible(masked);
            assertEquals(16, visible.length);
            int hiddenPatch = 0;
            while (!masked[hiddenPatch]) {
                hiddenPatch++;
            }
            float[] pixels = noise(3 * 128 * 128, 6);
            float[] changedHidden = pixels.clone();
            float[] changedVisible = pixels.clone();
            int hy = hiddenPatch / 8 * 16;
            int hx = hiddenPatch % 8 * 16;
            int vy = (int) visible[0] / 8 * 16;
            int vx = (int) visible[0] % 8 * 16;
            changedHidden[(hy + 3) * 128 + hx + 5] += 10;
            changedVisible[(vy + 3) * 128 + vx + 5] += 10;
            float[][] out = new float[3][];
            float[][] inputs = {pixels, changedHidden, changedVisible};
            for (int k = 0; k < 3; k++) {
                NDArray image = Ops.constant(m, inputs[k], new Shape(1, 3, 128, 128));
                out[k] = TorchRuntime.withoutGradients(() -> encoder.forwardVisible(image, new long[][] {visible}))
                        .toFloatArray();
            }
            assertEquals(0, maxDifference(out[0], out[1]));
            assertTrue(maxDifference(out[0], out[2]) > 1e-3);
        }
    }

    @Test
    void tinyVitWithNothingMaskedEqualsTheFullEncoder() {
        try (SamModel model = random(tinyVit(), 7); NDManager m = model.manager().newSubManager()) {
            TinyViT encoder = (TinyViT) model.imageEncoder();
            NDArray image = Ops.constant(m, noise(2 * 3 * 64 * 64, 8), new Shape(2, 3, 64, 64));
            NDArray[] last = new NDArray[1];
            TorchRuntime.withoutGradients(() -> encoder.forward(image, (name, x) -> {
                if (name.equals("layer3")) {
                    last[0] = x.duplicate();
                }
            }));
            NDArray keep = m.ones(new Shape(2, 1, 16, 16));
            NDArray token = Ops.constant(m, noise(16, 9), new Shape(16));
            float[] masked = TorchRuntime.withoutGradients(() -> encoder.forwardMasked(image, keep, token)).toFloatArray();
            assertTrue(maxDifference(last[0].toFloatArray(), masked) < 1e-5);
        }
    }

    @Test
    void maskingMasksTheStatedShareExactly() {
        Random r = new Random(3);
        for (int n : new int[] {4, 64, 256}) {
            boolean[] flags = PatchMasking.draw(n, 0.75, r);
            int masked = 0;
            for (boolean f : flags) {
                masked += f ? 1 : 0;
            }
            assertEquals(Math.round(0.75 * n), masked);
        }
        assertEquals(0, PatchMasking.visible(PatchMasking.draw(16, 0.99, r)).length - 1, "one patch always stays visible");
        assertThrows(IllegalArgumentException.class, () -> PatchMasking.draw(16, 1.0, r));
        assertThrows(IllegalArgumentException.class, () -> PatchMasking.draw(16, -0.1, r));
    }

    @Test
    void maeLossIsTheMeanSquaredErrorOfNormalizedPixelsOnMaskedPatchesOnly() {
        try (SamModel model = random(vit(), 11); NDManager m = model.manager().newSubManager()) {
            checkLoss(model, m, 128, 16, false);
        }
    }

    @Test
    void simMimLossIsTheMeanAbsoluteErrorOnMaskedPatchesOnly() {
        try (SamModel model = random(tinyVit(), 12); NDManager m = model.manager().newSubManager()) {
            checkLoss(model, m, 64, 16, true);
        }
    }

    /** The head's loss against the same loss computed here, pixel by pixel, from its predictions. */
    private static void checkLoss(SamModel model, NDManager m, int size, int patch, boolean absolute) {
        PretrainOptions options = PretrainOptions.defaults();
        try (ReconstructionHead head = ReconstructionHead.of(model, options)) {
            int grid = size / patch;
            int n = grid * grid;
            float[] pixels = noise(2 * 3 * size * size, 13);
            // Each image's first row of patches is constant: their normalized target must be 0, not NaN.
            for (int i = 0; i < 2 * 3; i++) {
                java.util.Arrays.fill(pixels, i * size * size, i * size * size + patch * size, 0.5f);
            }
            NDArray inputs = Ops.constant(m, pixels, new Shape(2, 3, size, size));
            Random r = new Random(14);
            boolean[][] masked = {PatchMasking.draw(n, 0.75, r), PatchMasking.draw(n, 0.75, r)};
            float[] loss = new float[1];
            float[] predicted = TorchRuntime.withoutGradients(() -> {
                loss[0] = head.loss(inputs, masked).getFloat();
                return head.predictions(inputs, masked).toFloatArray();
            });
            int values = patch * patch * 3;
            double sum = 0;
            int count = 0;
            for (int b = 0; b < 2; b++) {
                for (int p = 0; p < n; p++) {
                    if (!masked[b][p]) {
                        continue;
                    }
                    double[] target = new double[values];
                    int k = 0;
                    for (int y = 0; y < patch; y++) {
                        for (int x = 0; x < patch; x++) {
                            for (int c = 0; c < 3; c++) {
                                int py = p / grid * patch + y;
                                int px = p % grid * patch + x;
                                target[k++] = pixels[((b * 3 + c) * size + py) * size + px];
                            }
                        }
                    }
                    if (!absolute) {
                        double mean = java.util.Arrays.stream(target).average().orElseThrow();
                        double var = java.util.Arrays.stream(target).map(t -> (t - mean) * (t - mean)).sum() / values;
                        for (int j = 0; j < values; j++) {
                            target[j] = (target[j] - mean) / Math.sqrt(var + 1e-6);
                        }
                    }
                    double err = 0;
                    for (int j = 0; j < values; j++) {
                        double d = predicted[(b * n + p) * values + j] - target[j];
                        err += absolute ? Math.abs(d) : d * d;
                    }
                    sum += err / values;
                    count++;
                }
            }
            assertEquals(2 * Math.round(0.75 * n), count);
            double direct = sum / count;
            assertEquals(direct, loss[0], 1e-5 * Math.max(1, direct));
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
