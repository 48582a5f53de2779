package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.google.gson.JsonObject;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.checkpoint.Sam2Loader;
import io.github.samfiji.checkpoint.Safetensors;
import io.github.samfiji.imagejio.ImageFiles;
import io.github.samfiji.imagejio.TrainingData;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.sam2.Sam2ImageEmbedding;
import io.github.samfiji.inference.sam2.Sam2ImagePredictor;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.TorchRuntime;
import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.model.sam2.Sam2Peft;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SAM 2.1 fine-tuning end to end: export and reload, exact resumption, and learning on real images and volumes. */
@NeedsSharedData
class Sam2TrainingRunTest {

    @TempDir
    Path dir;

    /** The box-prompted low-res logits of the fixture image. */
    private static float[] predict(Sam2Model model) {
        Sam2ImagePredictor predictor = new Sam2ImagePredictor(model);
        try (Sam2ImageEmbedding e = predictor.encode(Sam2Fixture.image())) {
            return predictor.predict(e, Prompt.builder().box(25, 34.76, 63.69, 100.24).build(), false).masks()
                    .lowRes()[0];
        }
    }

    @Test
    void loraModelAndItsMergedExportReloadAndPredictAsTheModelInMemory() throws Exception {
        try (Sam2Model model = Sam2Fixture.loadModel()) {
            float[] base = predict(model);
            Sam2Peft.attach(model, Peft.lora(true, 2, 1f), 7, true);
            // Non-zero B (as after training), so that LoRA changes what the model predicts.
            Random random = new Random(11);
            for (Map.Entry<String, Param> e : model.namedParams().entrySet()) {
                if (e.getKey().endsWith(".B")) {
                    float[] v = new float[(int) e.getValue().shape().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (random.nextGaussian() * 0.2);
                    }
                    model.setTensor(e.getKey(), e.getValue().shape(), v);
                }
            }
            float[] tuned = predict(model);
            double change = 0;
            for (int i = 0; i < base.length; i++) {
                change = Math.max(change, Math.abs(base[i] - tuned[i]));
            }
            assertTrue(change > 0.1, "LoRA changes the prediction (max change " + change + ")");
            Path file = dir.resolve("tuned.safetensors");
            ModelFiles.saveSam2(model, Peft.lora(true, 2, 1f), new JsonObject(), file, false);
            Path merged = FineTuneRun.mergedPath(file);
            ModelFiles.saveSam2Merged(model, new JsonObject(), merged, false);
            try (LoadedModel again = ModelLoader.loadAny(file, null)) {
                assertArrayEquals(tuned, predict(((LoadedModel.Sam2) again).model()), "reloaded LoRA model");
            }
            // The merged file holds exactly the reference's keys and loads as a plain SAM 2.1 model.
            assertEquals(Sam2Loader.expectedShapes(model.config()).keySet(),
                    new java.util.LinkedHashSet<>(Safetensors.read(merged).keys()));
            try (LoadedModel plain = ModelLoader.loadAny(merged, null)) {
                Sam2Model m = ((LoadedModel.Sam2) plain).model();
                assertFalse(Sam2Peft.hasLoRA(m));
                io.github.samfiji.testing.Assertions2.assertClose("merged", tuned, predict(m), 1e-4);
            }
            assertThrows(java.nio.file.FileAlreadyExistsException.class,
                    () -> ModelFiles.saveSam2(model, null, null, file, false));
        }
    }

    /** Adapters in Hiera and decoder blocks: no change when attached; trained, they change it; saved, they reload. */
    @Test
    void adaptersAttachTrainSaveAndReload() throws Exception {
        try (Sam2Model model = Sam2Fixture.loadModel()) {
            float[] base = predict(model);
            Strategy adapters = new Strategy(Strategy.Parts.ENCODER_DECODER, Strategy.Method.ADAPTER, 0, 0f,
                    new int[] {0, 5});
            FineTuneOptions options = FineTuneOptions.defaults().withLearningRate(1e-2, 0).withBatch(1, 1)
                    .withAugment(false);
            try (Sam2FineTuner tuner = new Sam2FineTuner(model, adapters, options, FineTuner.Objective.AUTOMATIC,
                    null)) {
                assertArrayEquals(base, predict(model), "fresh adapters change nothing");
                assertTrue(tuner.trainable().containsKey("image_encoder.trunk.blocks.5.adapter_mlp.up.weight"));
                assertTrue(tuner.trainable().containsKey("sam_mask_decoder.transformer.layers.1.adapter.down.weight"));
                assertFalse(tuner.trainable().containsKey("image_encoder.trunk.blocks.1.adapter_attn.up.weight"));
                assertFalse(tuner.trainable().containsKey("image_encoder.trunk.blocks.0.attn.qkv.weight"));
                Sam2FineTuner.Unit unit = new Sam2FineTuner.Unit(List.of(Sam2FineTuneTest.movingDisc(1, 64, 48, 3)
                        .get(0)), null);
                for (int i = 0; i < 3; i++) {
                    tuner.accumulate(List.of(unit), new Random(1));
                    tuner.applyStep(1e-2);
                }
            }
            float[] tuned = predict(model);
            double change = 0;
            for (int i = 0; i < base.length; i++) {
                change = Math.max(change, Math.abs(base[i] - tuned[i]));
            }
            assertTrue(change > 1e-3, "trained adapters change the prediction (max change " + change + ")");
            Path file = dir.resolve("adapters.safetensors");
            ModelFiles.saveSam2(model, Peft.adapter(true, new int[] {0, 5}), new JsonObject(), file, false);
            try (LoadedModel again = ModelLoader.loadAny(file, null)) {
                Sam2Model m = ((LoadedModel.Sam2) again).model();
                assertEquals(Peft.ADAPTER, Sam2Peft.attachedMethod(m));
                assertArrayEquals(tuned, predict(m), "reloaded adapter model");
            }
        }
    }

    private static FineTuneOptions options(int epochs) {
        // Warm-up spanning the interruption, poly decay and augmentation, so the schedule's position and the
        // augmentation's draws matter too.
        return FineTuneOptions.defaults().withLearningRate(2e-3, 3).withDecay(true, 0.1).withBatch(2, 1)
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

    /** Clip training with LoRA in encoder and decoder, stopped after one epoch and resumed from its file: exact. */
    @Test
    void resumedVideoRunEqualsTheUninterruptedOne() throws Exception {
        List<TrainingSample> train = new ArrayList<>();
        for (int v = 0; v < 2; v++) {
            for (TrainingSample s : Sam2FineTuneTest.movingDisc(4, 64, 48, 20 + v)) {
                train.add(new TrainingSample("v" + v + s.name(), "v" + v, s.image(), s.mask()));
            }
        }
        List<TrainingSample> validation = Sam2FineTuneTest.movingDisc(4, 64, 48, 30);
        Strategy lora = new Strategy(Strategy.Parts.ENCODER_DECODER, Strategy.Method.LORA, 2, 1f, null);
        Sam2FineTuner.Video video = Sam2FineTuner.Video.of(3, "box,point,mask");
        Map<String, float[]> whole;
        List<FineTuner.EpochRecord> wholeHistory;
        try (Sam2Model model = Sam2Fixture.loadModel();
             Sam2FineTuner tuner = new Sam2FineTuner(model, lora, options(2), FineTuner.Objective.AUTOMATIC, video)) {
            Recorder r = new Recorder(0);
            tuner.fit(train, validation, r, null);
            TrainingState last = r.states.get(r.states.size() - 1);
            whole = last.weights();
            wholeHistory = last.history();
        }
        Path stateFile = dir.resolve("run.resume.safetensors");
        try (Sam2Model model = Sam2Fixture.loadModel();
             Sam2FineTuner tuner = new Sam2FineTuner(model, lora, options(2), FineTuner.Objective.AUTOMATIC, video)) {
            Recorder r = new Recorder(1);
            FineTuner.Result first = tuner.fit(train, validation, r, null);
            assertTrue(first.cancelled());
            r.states.get(0).write(stateFile, new JsonObject());
        }
        try (Sam2Model model = Sam2Fixture.loadModel();
             Sam2FineTuner tuner = new Sam2FineTuner(model, lora, options(2), FineTuner.Objective.AUTOMATIC, video)) {
            Recorder r = new Recorder(0);
            tuner.fit(train, validation, r, TrainingState.read(stateFile).state());
            TrainingState last = r.states.get(r.states.size() - 1);
            assertEquals(wholeHistory.size(), last.history().size());
            for (int i = 0; i < wholeHistory.size(); i++) {
                assertEquals(wholeHistory.get(i).trainLoss(), last.history().get(i).trainLoss(), 0.0, "epoch " + (i + 1));
            }
            assertEquals(whole.keySet(), last.weights().keySet());
            assertTrue(whole.keySet().stream().anyMatch(n -> n.startsWith("memory_attention.")));
            assertTrue(whole.keySet().stream().anyMatch(n -> n.startsWith("image_encoder.") && Peft.isAdded(n)));
            whole.forEach((n, v) -> assertArrayEquals(v, last.weights().get(n), n));
        }
    }

    /** The whole run stops after an epoch, keeps its state beside the model, refuses other settings and resumes. */
    @Test
    void runResumesFromItsStateFile() throws Exception {
        List<TrainingSample> samples = new ArrayList<>();
        for (int v = 0; v < 5; v++) {
            for (TrainingSample s : Sam2FineTuneTest.movingDisc(3, 48, 40, 40 + v)) {
                samples.add(new TrainingSample("v" + v + s.name(), "v" + v, s.image(), s.mask()));
            }
        }
        Path out = dir.resolve("run.safetensors");
        Strategy lora = new Strategy(Strategy.Parts.DECODER, Strategy.Method.LORA, 2, 1f, null);
        FineTuneRun.Setup setup = new FineTuneRun.Setup(lora, options(2), 1.0, 0, null, null, out, false, false,
                "sam2_tiny", "discs", FineTuner.Objective.AUTOMATIC, true, false);
        Sam2FineTuner.Video video = Sam2FineTuner.Video.of(2, "box");
        try (Sam2Model model = Sam2Fixture.loadModel()) {
            Sam2FineTuneRun.Summary first = Sam2FineTuneRun.run(model, samples, setup, video, new Recorder(1), s -> { });
            assertTrue(first.result().cancelled());
        }
        assertTrue(java.nio.file.Files.isRegularFile(TrainingState.fileFor(out)));
        try (Sam2Model model = Sam2Fixture.loadModel()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sam2FineTuneRun.run(model,
                    samples, setup.resuming(true, true), Sam2FineTuner.Video.of(3, "box"), new Recorder(0), s -> { }));
            assertTrue(e.getMessage().contains("cannot resume: the video differs"), e.getMessage());
        }
        try (Sam2Model model = Sam2Fixture.loadModel()) {
            Sam2FineTuneRun.Summary second = Sam2FineTuneRun.run(model, samples, setup.resuming(true, true), video,
                    new Recorder(0), s -> { });
            assertEquals(2, second.result().history().size());
            assertFalse(second.result().cancelled());
        }
        assertFalse(java.nio.file.Files.exists(TrainingState.fileFor(out)), "a finished run removes its state");
    }

    /** Mean loss over fixed units (same prompts each time), without gradients. */
    private static double meanLoss(Sam2FineTuner tuner, Sam2Model model, List<Sam2FineTuner.Unit> units) {
        double sum = 0;
        for (Sam2FineTuner.Unit u : units) {
            sum += TorchRuntime.withoutGradients(() -> {
                try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
                    return (double) tuner.unitLoss(u, new Random(5), m).getFloat();
                }
            });
        }
        return sum / units.size();
    }

    /** A short clip run on one BraTS volume (whole tumour, 40 slices from its start) lowers the clip loss. */
    @Test
    void clipLossFallsOnABratsVolume() throws Exception {
        Path data = Fixtures.data("brats2013");
        List<TrainingSample> all = TrainingData.fromImages(ImageFiles.open(data.resolve("images/pat0001.tif")),
                ImageFiles.open(data.resolve("masks/pat0001.tif")), "pat0001", false, TrainingData.ALL_LABELS);
        int first = -1;
        int last = -1;
        for (int z = 0; z < all.size(); z++) {
            if (all.get(z).hasForeground()) {
                first = first < 0 ? z : first;
                last = z;
            }
        }
        // 40 slices from just before the tumour's start: slices without it teach the object score too.
        List<TrainingSample> volume = all.subList(Math.max(0, first - 2), Math.min(all.size(), first + 38));
        Sam2FineTuner.Video video = Sam2FineTuner.Video.of(4, "box,point,mask");
        FineTuneOptions options = FineTuneOptions.defaults().withLearningRate(1e-3, 2).withBatch(2, 1).withEpochs(3)
                .withPatience(0).withAugment(false);
        try (Sam2Model model = Sam2Fixture.loadModel();
             Sam2FineTuner tuner = new Sam2FineTuner(model, Strategy.vanilla(Strategy.Parts.DECODER), options,
                     FineTuner.Objective.AUTOMATIC, video)) {
            List<Sam2FineTuner.Unit> probe = tuner.epochUnits(volume, new Random(99));
            double before = meanLoss(tuner, model, probe);
            double[] diceBefore = Sam2FineTuner.evaluate(model, volume, FineTuner.Objective.AUTOMATIC, true);
            FineTuner.Result r = tuner.fit(volume, List.of(), new FineTuner.Listener() { }, null);
            double after = meanLoss(tuner, model, probe);
            double[] diceAfter = Sam2FineTuner.evaluate(model, volume, FineTuner.Objective.AUTOMATIC, true);
            System.out.printf("BraTS pat0001, %d slices, %d clips/epoch: clip loss %.4f -> %.4f; 3D Dice from one box "
                    + "%.4f -> %.4f; %d iterations in %.1f s%n", volume.size(), probe.size(), before, after,
                    diceBefore[0], diceAfter[0], r.iterations(), r.seconds());
            assertTrue(after < 0.8 * before, "clip loss " + before + " -> " + after);
        }
    }

    /** A short prompt-free run on HC18 images lowers the image loss. */
    @Test
    void imageLossFallsOnHc18() throws Exception {
        Path data = Fixtures.data("hc18");
        List<TrainingSample> images = TrainingData.fromFolders(data.resolve("images"), data.resolve("masks"))
                .subList(0, 8);
        FineTuneOptions options = FineTuneOptions.defaults().withLearningRate(1e-3, 2).withBatch(2, 1).withEpochs(4)
                .withPatience(0).withAugment(false);
        try (Sam2Model model = Sam2Fixture.loadModel();
             Sam2FineTuner tuner = new Sam2FineTuner(model, Strategy.vanilla(Strategy.Parts.DECODER), options,
                     FineTuner.Objective.AUTOMATIC, null)) {
            List<Sam2FineTuner.Unit> probe = tuner.epochUnits(images, new Random(99));
            double before = meanLoss(tuner, model, probe);
            tuner.fit(images, List.of(), new FineTuner.Listener() { }, null);
            double after = meanLoss(tuner, model, probe);
            System.out.printf("HC18, 8 images: prompt-free loss %.4f -> %.4f%n", before, after);
            assertTrue(after < 0.8 * before, "image loss " + before + " -> " + after);
        }
    }
}
