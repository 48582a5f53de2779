package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.checkpoint.StateDict;
import io.github.samfiji.checkpoint.TensorData;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.SamModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftTest {

    @TempDir
    Path dir;

    private static final List<TrainingSample> DATA = TinyModels.discs(4, 64, 64, 9);

    private static float[] inputs(SamModel model) {
        float[] all = new float[DATA.size() * 3 * 64 * 64];
        for (int i = 0; i < DATA.size(); i++) {
            float[][] io = SampleTensors.prepare(SampleTensors.resize(DATA.get(i), 64), 64, model.config(), null, null);
            System.arraycopy(io[0], 0, all, i * 3 * 64 * 64, 3 * 64 * 64);
        }
        return all;
    }

    static float[] logits(SamModel model) {
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray x = m.create(inputs(model), new Shape(DATA.size(), 3, 64, 64));
            return FineTuner.automaticLogits(model, x, m).toFloatArray();
        }
    }

    private static List<List<float[][]>> oneBatch(SamModel model) {
        List<float[][]> batch = new ArrayList<>();
        for (TrainingSample s : DATA) {
            batch.add(SampleTensors.prepare(SampleTensors.resize(s, 64), 64, model.config(), null, null));
        }
        return List.of(batch);
    }

    private static Map<String, float[]> values(SamModel model) {
        Map<String, float[]> out = new HashMap<>();
        model.namedParams().forEach((n, p) -> out.put(n, p.value().toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                .toFloatArray()));
        return out;
    }

    @Test
    void zeroInitializedLoraAndAdaptersLeaveTheOutputExactlyUnchanged() {
        for (Peft peft : List.of(Peft.lora(true, 4, 2f), Peft.adapter(true, null))) {
            try (SamModel model = TinyModels.randomModel(11)) {
                float[] before = logits(model);
                peft.attach(model, 5);
                assertTrue(model.namedParams().keySet().stream().anyMatch(Peft::isAdded), "nothing attached");
                assertArrayEquals(before, logits(model), peft.method() + " must start as the identity");
            }
        }
    }

    @Test
    void loraKeysAreExtraAndBaseKeysStaySams() {
        try (SamModel base = TinyModels.randomModel(1); SamModel model = TinyModels.randomModel(1)) {
            Peft.lora(true, 4, 1f).attach(model, 1);
            Set<String> baseKeys = base.namedParams().keySet();
            for (String k : model.namedParams().keySet()) {
                assertEquals(!baseKeys.contains(k), Peft.isAdded(k), k);
            }
            assertTrue(model.namedParams().containsKey("image_encoder.blocks.0.attn.qkv.lora_q.A"));
            assertTrue(model.namedParams().containsKey("image_encoder.blocks.1.attn.qkv.lora_v.B"));
            assertTrue(model.namedParams().containsKey("mask_decoder.transformer.layers.0.self_attn.q_proj.lora.B"));
            assertTrue(model.namedParams().containsKey("mask_decoder.transformer.final_attn_token_to_image.v_proj.lora.A"));
            assertFalse(model.namedParams().containsKey("mask_decoder.transformer.layers.0.self_attn.k_proj.lora.A"));
        }
    }

    @Test
    void trainingChangesOnlyTheIntendedTensorsAndMergedExportMatches() throws Exception {
        Strategy strategy = new Strategy(Strategy.Parts.ENCODER_DECODER, Strategy.Method.LORA, 4, 1f, null);
        try (SamModel model = TinyModels.randomModel(21)) {
            FineTuneOptions options = FineTuneOptions.defaults().withLearningRate(1e-2, 0);
            Map<String, float[]> before;
            Set<String> trainable;
            try (FineTuner tuner = new FineTuner(model, strategy, options)) {
                before = values(model);
                trainable = tuner.trainable().keySet();
                LearningRate lr = new LearningRate(1e-2, 0, false, 10);
                for (int i = 0; i < 3; i++) {
                    tuner.step(oneBatch(model), lr);
                }
            }
            Map<String, float[]> after = values(model);
            for (String name : before.keySet()) {
                boolean changed = !java.util.Arrays.equals(before.get(name), after.get(name));
                if (!trainable.contains(name)) {
                    assertFalse(changed, "frozen tensor changed: " + name);
                }
            }
            for (String name : trainable) {
                if (name.endsWith(".B")) {
                    assertFalse(java.util.Arrays.equals(before.get(name), after.get(name)), "LoRA B did not learn: " + name);
                }
            }
            assertTrue(trainable.contains("mask_decoder.output_hypernetworks_mlps.0.layers.0.weight"));
            assertFalse(trainable.contains("mask_decoder.transformer.layers.0.self_attn.q_proj.weight"));
            assertFalse(trainable.contains("image_encoder.blocks.0.attn.qkv.weight"));
            assertFalse(trainable.stream().anyMatch(n -> n.startsWith("prompt_encoder.")));

            float[] unmerged = logits(model);
            assertMergedGives(unmerged, model, mergedState(model));

            // The saved model (with its JSON) loads back with LoRA attached and gives identical outputs; the merged
            // export loads as a plain SAM.
            Path file = dir.resolve("lora.safetensors");
            ModelFiles.save(model, strategy.peft(), null, file, false);
            try (SamModel loaded = ModelLoader.load(file, null)) {
                assertArrayEquals(unmerged, logits(loaded));
            }
            Path mergedFile = dir.resolve("lora.merged.safetensors");
            ModelFiles.saveMerged(model, null, mergedFile, false);
            try (SamModel loaded = ModelLoader.load(mergedFile, null)) {
                assertFalse(loaded.namedParams().keySet().stream().anyMatch(Peft::isAdded));
                float[] m = logits(loaded);
                for (int i = 0; i < m.length; i++) {
                    assertEquals(unmerged[i], m[i], 1e-5);
                }
            }
            assertThrows(java.nio.file.FileAlreadyExistsException.class,
                    () -> ModelFiles.save(model, strategy.peft(), null, file, false));
        }
    }

    @Test
    void adapterTrainingKeepsBaseWeightsAndRoundTrips() throws Exception {
        Strategy strategy = new Strategy(Strategy.Parts.ENCODER_DECODER, Strategy.Method.ADAPTER, 0, 0f, new int[] {0});
        try (SamModel model = TinyModels.randomModel(22)) {
            Map<String, float[]> before;
            Set<String> trainable;
            try (FineTuner tuner = new FineTuner(model, strategy, FineTuneOptions.defaults())) {
                before = values(model);
                trainable = tuner.trainable().keySet();
                for (int i = 0; i < 2; i++) {
                    tuner.step(oneBatch(model), new LearningRate(1e-2, 0, false, 10));
                }
            }
            assertTrue(trainable.contains("image_encoder.blocks.0.adapter_attn.down.weight"));
            assertFalse(model.namedParams().containsKey("image_encoder.blocks.1.adapter_attn.down.weight"));
            Map<String, float[]> after = values(model);
            for (String name : before.keySet()) {
                if (!trainable.contains(name)) {
                    assertArrayEquals(before.get(name), after.get(name), name);
                }
            }
            assertFalse(java.util.Arrays.equals(before.get("mask_decoder.transformer.layers.0.adapter.up.weight"),
                    after.get("mask_decoder.transformer.layers.0.adapter.up.weight")));
            float[] out = logits(model);
            Path file = dir.resolve("adapter.safetensors");
            ModelFiles.save(model, strategy.peft(), null, file, false);
            try (SamModel loaded = ModelLoader.load(file, null)) {
                assertArrayEquals(out, logits(loaded));
            }
            assertThrows(IllegalArgumentException.class, () -> Peft.mergedState(model));
        }
    }

    @Test
    void tinyVitTakesLoraAndAdaptersAsIdentityFirst() {
        for (Peft peft : List.of(Peft.lora(true, 2, 1f), Peft.adapter(true, null))) {
            try (SamModel model = TinyModels.randomTinyVit(31)) {
                float[] before = logits(model);
                peft.attach(model, 5);
                assertArrayEquals(before, logits(model), peft.method() + " on TinyViT must start as the identity");
            }
        }
        try (SamModel model = TinyModels.randomTinyVit(31)) {
            Peft.adapter(true, null).attach(model, 5);
            // Five attention blocks (stages 1..3 have 1, 2 and 1): the default first two and last two.
            for (String block : List.of("layers.1.blocks.0", "layers.2.blocks.0", "layers.2.blocks.1", "layers.3.blocks.0")) {
                assertTrue(model.namedParams().containsKey("image_encoder." + block + ".adapter_mlp.up.weight"), block);
            }
            assertFalse(model.namedParams().keySet().stream().anyMatch(k -> k.startsWith("image_encoder.layers.0.")
                    && Peft.isAdded(k)), "the convolutional stage has no attention to adapt");
        }
    }

    @Test
    void tinyVitLoraUpdatesExactlyTheQueryAndValueRowsOfEachHead() throws Exception {
        Strategy strategy = new Strategy(Strategy.Parts.ENCODER_DECODER, Strategy.Method.LORA, 2, 1f, null);
        try (SamModel model = TinyModels.randomTinyVit(32)) {
            Map<String, float[]> before;
            Set<String> trainable;
            try (FineTuner tuner = new FineTuner(model, strategy, FineTuneOptions.defaults())) {
                before = values(model);
                trainable = tuner.trainable().keySet();
                for (int i = 0; i < 3; i++) {
                    tuner.step(oneBatch(model), new LearningRate(1e-2, 0, false, 10));
                }
            }
            String qkv = "image_encoder.layers.3.blocks.0.attn.qkv.";
            assertEquals(new Shape(2, 48), model.namedParams().get(qkv + "lora_q.A").shape());
            assertEquals(new Shape(48, 2), model.namedParams().get(qkv + "lora_v.B").shape());
            Map<String, float[]> after = values(model);
            for (String name : before.keySet()) {
                if (!trainable.contains(name)) {
                    assertArrayEquals(before.get(name), after.get(name), "frozen tensor changed: " + name);
                }
            }
            assertFalse(java.util.Arrays.equals(before.get(qkv + "lora_v.B"), after.get(qkv + "lora_v.B")));

            // The merged weight differs from the base exactly in the q and v rows of every head, never in k.
            float[] base = after.get(qkv + "weight");
            float[] unmerged = logits(model);
            StateDict plain = mergedState(model);
            float[] merged = plain.get(qkv + "weight").toFloats();
            int dim = 48;
            int keyDim = 16;
            for (int row = 0; row < 3 * dim; row++) {
                int part = (row % (3 * keyDim)) / keyDim; // 0 q, 1 k, 2 v within the head
                boolean changed = false;
                for (int col = 0; col < dim; col++) {
                    changed |= base[row * dim + col] != merged[row * dim + col];
                }
                assertEquals(part != 1, changed, "row " + row + " (part " + part + ")");
            }
            assertMergedGives(unmerged, model, plain);
            Path file = dir.resolve("tiny-lora.safetensors");
            ModelFiles.save(model, strategy.peft(), null, file, false);
            try (SamModel loaded = ModelLoader.load(file, null)) {
                assertArrayEquals(unmerged, logits(loaded));
            }
        }
    }

    /** The merged plain-SAM state of a LoRA model (TinyViT's BatchNorms carry an int64 num_batches_tracked). */
    private static StateDict mergedState(SamModel model) {
        StateDict plain = new StateDict();
        try (NDScope scope = new NDScope()) {
            for (Map.Entry<String, NDArray> e : Peft.mergedState(model).entrySet()) {
                NDArray t = e.getValue();
                long[] shape = t.getShape().getShape();
                plain.put(e.getKey(), t.getDataType() == ai.djl.ndarray.types.DataType.INT64
                        ? TensorData.ofLongs(shape, t.toLongArray()) : TensorData.ofFloats(shape, t.toFloatArray()));
            }
        }
        return plain;
    }

    /** A plain SAM built from {@code plain} gives the LoRA model's logits within 1e-5. */
    private static void assertMergedGives(float[] unmerged, SamModel model, StateDict plain) throws Exception {
        try (SamModel merged = ModelLoader.build(model.config(), plain, "merged")) {
            float[] m = logits(merged);
            for (int i = 0; i < m.length; i++) {
                assertEquals(unmerged[i], m[i], 1e-5, "logit " + i);
            }
        }
    }
}
