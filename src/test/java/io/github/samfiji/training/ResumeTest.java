package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.model.SamModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping after an epoch and resuming from the saved state computes exactly what the uninterrupted run does. */
class ResumeTest {

    @TempDir
    Path dir;

    private static final List<TrainingSample> TRAIN = TinyModels.discs(6, 64, 64, 3);
    private static final List<TrainingSample> VALIDATION = TinyModels.discs(2, 64, 64, 4);
    private static final Strategy STRATEGY = new Strategy(Strategy.Parts.ENCODER_DECODER, Strategy.Method.LORA, 2, 1f, null);

    private static FineTuneOptions options(int epochs) {
        // Warm-up spanning the interruption and poly decay, so the schedule's position matters too.
        return FineTuneOptions.defaults().withLearningRate(5e-3, 3).withDecay(true, 0.1).withBatch(2, 1)
                .withEpochs(epochs).withPatience(0);
    }

    /** Records the state after each epoch; cancels once {@code stopAfter} epochs are done (0: never). */
    private static final class Recorder implements FineTuner.Listener {
        final List<TrainingState> states = new ArrayList<>();
        final int stopAfter;

        Recorder(int stopAfter) {
            this.stopAfter = stopAfter;
        }

        @Override
        public void onEpochEnd(Supplier<TrainingState> state) {
            states.add(state.get());
        }

        @Override
        public boolean isCancelled() {
            return stopAfter > 0 && states.size() >= stopAfter;
        }
    }

    private static TrainingState last(Recorder r) {
        return r.states.get(r.states.size() - 1);
    }

    private static void assertSameState(TrainingState expected, TrainingState actual) {
        assertEquals(expected.epoch(), actual.epoch());
        assertEquals(expected.iteration(), actual.iteration());
        assertEquals(expected.optimizerSteps(), actual.optimizerSteps());
        assertEquals(expected.bestEpoch(), actual.bestEpoch());
        assertEquals(expected.bestScore(), actual.bestScore());
        for (String name : expected.weights().keySet()) {
            assertArrayEquals(expected.weights().get(name), actual.weights().get(name), name);
            assertArrayEquals(expected.firstMoments().get(name), actual.firstMoments().get(name), "m " + name);
            assertArrayEquals(expected.secondMoments().get(name), actual.secondMoments().get(name), "v " + name);
            assertArrayEquals(expected.best().get(name), actual.best().get(name), "best " + name);
        }
        assertEquals(expected.history().stream().map(FineTuner.EpochRecord::trainLoss).toList(),
                actual.history().stream().map(FineTuner.EpochRecord::trainLoss).toList());
    }

    @Test
    void resumingFromTheSavedStateEqualsTheUninterruptedRunBitForBit() throws Exception {
        Recorder whole = new Recorder(0);
        try (SamModel model = TinyModels.randomModel(7); FineTuner tuner = new FineTuner(model, STRATEGY, options(4))) {
            tuner.fit(TRAIN, VALIDATION, whole);
        }
        assertEquals(4, whole.states.size());

        Recorder first = new Recorder(2);
        try (SamModel model = TinyModels.randomModel(7); FineTuner tuner = new FineTuner(model, STRATEGY, options(4))) {
            FineTuner.Result r = tuner.fit(TRAIN, VALIDATION, first);
            assertTrue(r.cancelled());
        }
        assertSameState(whole.states.get(1), last(first));

        // Through the file, into a freshly built model.
        Path file = dir.resolve("run.resume.safetensors");
        JsonObject settings = JsonParser.parseString("{\"strategy\": \"x\"}").getAsJsonObject();
        last(first).write(file, settings);
        TrainingState.Saved saved = TrainingState.read(file);
        assertEquals(settings, saved.settings());
        Recorder rest = new Recorder(0);
        try (SamModel model = TinyModels.randomModel(7); FineTuner tuner = new FineTuner(model, STRATEGY, options(4))) {
            FineTuner.Result r = tuner.fit(TRAIN, VALIDATION, rest, saved.state());
            assertEquals(4, r.history().size(), "the history continues");
        }
        assertEquals(2, rest.states.size());
        assertSameState(last(whole), last(rest));

        // The optimizer state matters: the same weights with fresh moments take another path.
        TrainingState s = saved.state();
        Map<String, float[]> zeros = new java.util.LinkedHashMap<>();
        s.firstMoments().forEach((n, v) -> zeros.put(n, new float[v.length]));
        TrainingState forgetful = new TrainingState(s.epoch(), s.iteration(), 0, s.bestScore(), s.bestEpoch(),
                s.sinceBest(), s.history(), s.weights(), s.best(), zeros, zeros);
        Recorder other = new Recorder(0);
        try (SamModel model = TinyModels.randomModel(7); FineTuner tuner = new FineTuner(model, STRATEGY, options(4))) {
            tuner.fit(TRAIN, VALIDATION, other, forgetful);
        }
        String lora = "mask_decoder.transformer.layers.0.self_attn.q_proj.lora.B";
        assertFalse(java.util.Arrays.equals(last(whole).weights().get(lora), last(other).weights().get(lora)));
    }

    @Test
    void aCancelledRunResumesThroughTheRunnerAndRefusesOtherSettings() throws Exception {
        List<TrainingSample> samples = new ArrayList<>();
        samples.addAll(TinyModels.discs(10, 64, 64, 8));
        Path out = dir.resolve("model.safetensors");
        FineTuneRun.Setup setup = new FineTuneRun.Setup(STRATEGY, options(3), 1.0, 0, null, null, out, false, false,
                "random", "discs").resuming(false, true);
        Path state = TrainingState.fileFor(out);
        assertEquals("model.resume.safetensors", state.getFileName().toString());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> {
            try (SamModel model = TinyModels.randomModel(9)) {
                FineTuneRun.run(model, samples, setup.resuming(true, true), new Recorder(0), m -> { });
            }
        });
        assertTrue(none.getMessage().contains("nothing to resume"), none.getMessage());

        try (SamModel model = TinyModels.randomModel(9)) {
            FineTuneRun.Summary s = FineTuneRun.run(model, samples, setup, new Recorder(1), m -> { });
            assertTrue(s.result().cancelled());
        }
        assertTrue(Files.isRegularFile(state), "a cancelled run keeps its state");
        assertEquals(1, TrainingState.read(state).state().epoch());

        FineTuneRun.Setup otherRate = new FineTuneRun.Setup(STRATEGY, options(3).withLearningRate(1e-3, 3), 1.0, 0,
                null, null, out, false, false, "random", "discs").resuming(true, true);
        IllegalArgumentException differs = assertThrows(IllegalArgumentException.class, () -> {
            try (SamModel model = TinyModels.randomModel(9)) {
                FineTuneRun.run(model, samples, otherRate, new Recorder(0), m -> { });
            }
        });
        assertTrue(differs.getMessage().contains("optimizer differs"), differs.getMessage());

        List<String> log = new ArrayList<>();
        try (SamModel model = TinyModels.randomModel(9)) {
            FineTuneRun.Summary s = FineTuneRun.run(model, samples, setup.resuming(true, true), new Recorder(0), log::add);
            assertFalse(s.result().cancelled());
            assertEquals(3, s.result().history().size());
        }
        assertTrue(log.get(0).startsWith("resuming after epoch 1"), log.toString());
        assertFalse(Files.exists(state), "a finished run leaves no state behind");
        String json = Files.readString(dir.resolve("model.json"));
        assertEquals(3, JsonParser.parseString(json).getAsJsonObject().getAsJsonObject("finetune")
                .getAsJsonObject("training").get("epochs").getAsInt());
    }
}
