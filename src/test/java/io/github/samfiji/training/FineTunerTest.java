package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TorchRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FineTunerTest {

    /** Loss of the automatic objective for fixed inputs, with grad mode as the caller set it. */
    private static float loss(SamModel model, float[] input, float[] target, NDManager m) {
        int s = model.config().imageSize();
        NDArray x = m.create(input, new Shape(1, 3, s, s));
        NDArray t = m.create(target, new Shape(1, 1, s / 4, s / 4));
        return Losses.diceCrossEntropy(FineTuner.automaticLogits(model, x, m), t).getFloat();
    }

    @Test
    void backwardThroughScopedEncoderMatchesFiniteDifferences() {
        try (SamModel model = TinyModels.randomModel(3); NDManager m = model.manager().newSubManager()) {
            TrainingSample sample = TinyModels.discs(1, 64, 64, 1).get(0);
            float[][] io = SampleTensors.prepare(SampleTensors.resize(sample, 64), 64, model.config(), null, null);
            String[] names = {"image_encoder.blocks.0.attn.qkv.weight", "image_encoder.patch_embed.proj.weight",
                "mask_decoder.output_hypernetworks_mlps.0.layers.2.weight", "mask_decoder.transformer.layers.1.mlp.lin1.weight"};
            List<Param> params = new ArrayList<>();
            for (String n : names) {
                Param p = model.namedParams().get(n);
                p.value().setRequiresGradient(true);
                params.add(p);
            }
            float[][] analytic = new float[names.length][];
            try (NDScope scope = new NDScope(); GradientCollector c = TorchRuntime.engine().newGradientCollector()) {
                int s = 64;
                NDArray x = m.create(io[0], new Shape(1, 3, s, s));
                NDArray t = m.create(io[1], new Shape(1, 1, s / 4, s / 4));
                NDArray loss = Losses.diceCrossEntropy(FineTuner.automaticLogits(model, x, m), t);
                c.backward(loss);
                for (int i = 0; i < names.length; i++) {
                    analytic[i] = params.get(i).value().getGradient().toFloatArray();
                }
            }
            // Central differences in float32: step 1e-2 on a few entries with the largest gradients.
            for (int i = 0; i < names.length; i++) {
                Param p = params.get(i);
                int best = 0;
                for (int k = 0; k < analytic[i].length; k++) {
                    if (Math.abs(analytic[i][k]) > Math.abs(analytic[i][best])) {
                        best = k;
                    }
                }
                assertTrue(Math.abs(analytic[i][best]) > 1e-5, names[i] + " has no gradient");
                float[] w = p.value().toFloatArray();
                float h = 1e-2f;
                float orig = w[best];
                w[best] = orig + h;
                p.value().set(w);
                float up;
                float down;
                try (NDScope scope = new NDScope()) {
                    up = loss(model, io[0], io[1], m);
                }
                w[best] = orig - h;
                p.value().set(w);
                try (NDScope scope = new NDScope()) {
                    down = loss(model, io[0], io[1], m);
                }
                w[best] = orig;
                p.value().set(w);
                double numeric = (up - down) / (2.0 * h);
                assertEquals(analytic[i][best], numeric, 0.05 * Math.abs(analytic[i][best]) + 1e-4, names[i]);
            }
        }
    }

    @Test
    void decoderTrainingLowersTheLossAndKeepsFrozenWeights() {
        try (SamModel model = TinyModels.randomModel(5)) {
            float[] encoderBefore = model.namedParams().get("image_encoder.blocks.1.attn.qkv.weight").value().toFloatArray();
            float[] promptBefore = model.namedParams().get("prompt_encoder.no_mask_embed.weight").value().toFloatArray();
            float[] decoderBefore = model.namedParams().get("mask_decoder.mask_tokens.weight").value().toFloatArray();
            List<TrainingSample> data = TinyModels.discs(8, 64, 64, 2);
            FineTuneOptions options = FineTuneOptions.defaults().withLearningRate(3e-3, 5).withBatch(4, 1)
                    .withAugment(false).withEpochs(1);
            List<float[][]> batch = new ArrayList<>();
            for (TrainingSample s : data) {
                batch.add(SampleTensors.prepare(SampleTensors.resize(s, 64), 64, model.config(), null, null));
            }
            try (FineTuner tuner = new FineTuner(model, Strategy.vanilla(Strategy.Parts.DECODER), options)) {
                LearningRate lr = new LearningRate(3e-3, 5, false, 60);
                List<List<float[][]>> steps = List.of(batch.subList(0, 4), batch.subList(4, 8));
                double first = tuner.step(List.of(steps.get(0)), lr) + tuner.step(List.of(steps.get(1)), lr);
                double last = 0;
                for (int i = 0; i < 40; i++) {
                    last = tuner.step(List.of(steps.get(i % 2)), lr) + tuner.step(List.of(steps.get((i + 1) % 2)), lr);
                }
                assertTrue(last < 0.7 * first, "loss should fall: first " + first / 2 + ", last " + last / 2);
            }
            assertArrayEquals(encoderBefore, model.namedParams().get("image_encoder.blocks.1.attn.qkv.weight").value().toFloatArray());
            assertArrayEquals(promptBefore, model.namedParams().get("prompt_encoder.no_mask_embed.weight").value().toFloatArray());
            assertFalse(java.util.Arrays.equals(decoderBefore,
                    model.namedParams().get("mask_decoder.mask_tokens.weight").value().toFloatArray()));
        }
    }

    /** Every training step frees what it created: the native arrays alive do not grow over many iterations. */
    @Test
    void memoryStaysBoundedOverManySteps() {
        try (SamModel model = TinyModels.randomModel(8)) {
            List<float[][]> batch = new ArrayList<>();
            for (TrainingSample s : TinyModels.discs(4, 64, 64, 3)) {
                batch.add(SampleTensors.prepare(SampleTensors.resize(s, 64), 64, model.config(), null, null));
            }
            Strategy lora = new Strategy(Strategy.Parts.ENCODER_DECODER, Strategy.Method.LORA, 4, 1f, null);
            try (FineTuner tuner = new FineTuner(model, lora, FineTuneOptions.defaults())) {
                LearningRate lr = new LearningRate(1e-3, 0, false, 100);
                for (int i = 0; i < 3; i++) {
                    tuner.step(List.of(batch), lr);
                }
                int before = liveArrays(model.manager());
                for (int i = 0; i < 20; i++) {
                    tuner.step(List.of(batch), lr);
                }
                assertEquals(before, liveArrays(model.manager()), "native arrays alive after 20 more steps");
            }
        }
    }

    private static int liveArrays(NDManager manager) {
        // Counts the arrays of the manager and of all its sub-managers.
        return manager.getManagedArrays().size();
    }

    /** The interactive objective: prompts from the masks, corrections from the errors; its loss falls too. */
    @Test
    void interactiveTrainingLowersTheLoss() {
        try (SamModel model = TinyModels.randomModel(12)) {
            List<float[][]> batch = new ArrayList<>();
            for (TrainingSample s : TinyModels.discs(4, 64, 64, 5)) {
                batch.add(SampleTensors.prepare(SampleTensors.resize(s, 64), 64, model.config(), null, null));
            }
            FineTuneOptions options = FineTuneOptions.defaults().withLearningRate(3e-3, 0);
            try (FineTuner tuner = new FineTuner(model, Strategy.vanilla(Strategy.Parts.DECODER), options,
                    FineTuner.Objective.INTERACTIVE)) {
                LearningRate lr = new LearningRate(3e-3, 0, false, 100);
                double first = 0;
                for (int i = 0; i < 3; i++) {
                    first += tuner.step(List.of(batch), lr) / 3;
                }
                for (int i = 0; i < 40; i++) {
                    tuner.step(List.of(batch), lr);
                }
                double last = 0;
                for (int i = 0; i < 3; i++) {
                    last += tuner.step(List.of(batch), lr) / 3;
                }
                assertTrue(last < 0.75 * first, "interactive loss should fall: first " + first + ", last " + last);
            }
        }
    }

    @Test
    void correctionPointsLieInTheErrorRegions() {
        int low = 8;
        boolean[] object = new boolean[low * low];
        boolean[] predicted = new boolean[low * low];
        for (int y = 2; y < 6; y++) {
            for (int x = 2; x < 6; x++) {
                object[y * low + x] = true;
            }
        }
        for (int y = 2; y < 6; y++) {
            for (int x = 4; x < 8; x++) {
                predicted[y * low + x] = true;
            }
        }
        List<float[]> points = new ArrayList<>();
        InteractiveObjective.addCorrections(points, predicted, object, low, 4f, new Random(1));
        assertEquals(2, points.size());
        float[] positive = points.get(0);
        float[] negative = points.get(1);
        assertEquals(1f, positive[2]);
        assertEquals(0f, negative[2]);
        int px = (int) (positive[0] / 4);
        int py = (int) (positive[1] / 4);
        assertTrue(object[py * low + px] && !predicted[py * low + px], "object point in the missed region");
        int nx = (int) (negative[0] / 4);
        int ny = (int) (negative[1] / 4);
        assertTrue(predicted[ny * low + nx] && !object[ny * low + nx], "background point in the wrong region");
        float[] box = InteractiveObjective.noisyBox(object, low, 4f, new Random(2));
        assertTrue(box[0] >= 0 && box[2] > box[0] && box[3] > box[1] && Math.abs(box[0] - 8) <= 20);
    }

    @Test
    void aFrozenEncoderRunsOnceOnUnaugmentedImagesWithTheSameResult() {
        List<TrainingSample> train = TinyModels.discs(6, 64, 64, 12);
        List<TrainingSample> validation = TinyModels.discs(2, 64, 64, 13);
        FineTuneOptions options = FineTuneOptions.defaults().withLearningRate(5e-3, 0).withBatch(2, 1).withEpochs(3)
                .withPatience(0).withAugment(false);
        Strategy decoder = Strategy.vanilla(Strategy.Parts.DECODER);
        float[][] weights = new float[2][];
        long[] runs = new long[2];
        for (int k = 0; k < 2; k++) {
            try (SamModel model = TinyModels.randomModel(14); FineTuner tuner = new FineTuner(model, decoder, options)) {
                assertTrue(tuner.encoderFrozen());
                tuner.reuseEmbeddings(k == 0);
                tuner.fit(train, validation, new FineTuner.Listener() { });
                runs[k] = tuner.encoderRuns();
                weights[k] = model.namedParams().get("mask_decoder.output_hypernetworks_mlps.0.layers.2.weight").value()
                        .toFloatArray();
            }
        }
        assertEquals(3, runs[0], "3 batches encoded in the first epoch only");
        assertEquals(9, runs[1], "3 batches in each of 3 epochs");
        for (int i = 0; i < weights[0].length; i++) {
            assertEquals(weights[1][i], weights[0][i], 1e-5, "weight " + i);
        }
        try (SamModel model = TinyModels.randomModel(14);
             FineTuner tuner = new FineTuner(model, Strategy.vanilla(Strategy.Parts.ENCODER_DECODER), options)) {
            assertFalse(tuner.encoderFrozen(), "a trained encoder is never cached");
        }
    }
}
