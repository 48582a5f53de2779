package io.github.samfiji.training.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.checkpoint.Safetensors;
import io.github.samfiji.checkpoint.StateDict;
import io.github.samfiji.imagejio.UnlabelledImages;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.InputResize;
import io.github.samfiji.training.StartModel;
import io.github.samfiji.training.Strategy;
import io.github.samfiji.training.TrainingState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pre-training on real ultrasound images: the loss falls, the result loads for fine-tuning, resuming is exact. */
@NeedsSharedData
class PretrainRunTest {

    static final int SIZE = 128;
    static final int EPOCHS = 12;
    static List<UnlabelledImage> images;

    @TempDir
    Path dir;

    @BeforeAll
    static void readImages(@TempDir Path folder) throws Exception {
        // 8 BUSI images (benign and malignant), read as the command reads a folder.
        Path busi = Fixtures.data("busi").resolve("images");
        List<Path> files;
        try (var s = Files.list(busi)) {
            files = s.sorted().toList();
        }
        for (int i = 0; i < 8; i++) {
            Path f = files.get(i * files.size() / 8);
            Files.copy(f, folder.resolve(f.getFileName()));
        }
        images = UnlabelledImages.fromFolders(List.of(folder), SIZE);
        assertEquals(8, images.size());
        assertEquals(SIZE, Math.max(images.get(0).image().width(), images.get(0).image().height()));
    }

    /** samples/sam_tiny.json (ViT, 4 blocks, windows of 4, two global blocks) at 128 px. */
    static SamModel samTiny(long seed) throws Exception {
        SamConfig config = InputResize.configFor(ConfigJson.parse(Files.readString(Path.of("samples/sam_tiny.json"))), SIZE);
        return StartModel.fromScratch(config, 0, seed);
    }

    static PretrainOptions options(int epochs) {
        // Warm-up across the first epochs and poly decay, so that the schedule's position matters when resuming.
        return new PretrainOptions(0.75, epochs, 2, 1e-3, 0.05, 4, true, 2, 64, 0.25, 5);
    }

    static PretrainRun.Setup setup(Path out, PretrainOptions options, boolean resume) {
        return new PretrainRun.Setup(options, out, false, resume, "random (sam_tiny)", "8 BUSI images");
    }

    static final class Listener implements FineTuner.Listener {
        final int stopAfter;
        int epochs;

        Listener(int stopAfter) {
            this.stopAfter = stopAfter;
        }

        @Override
        public void onEpoch(FineTuner.EpochRecord record, double secondsLeft) {
            epochs++;
        }

        @Override
        public boolean isCancelled() {
            return stopAfter > 0 && epochs >= stopAfter;
        }
    }

    @Test
    void theMaskedPatchLossFallsOnRealImages() throws Exception {
        Path out = dir.resolve("mae.safetensors");
        PretrainRun.Summary s;
        try (SamModel model = samTiny(1)) {
            s = PretrainRun.run(model, images, setup(out, new PretrainOptions(0.75, EPOCHS, 2, 1e-3, 0.05, 4, false, 2, 64, 0.25, 5), false), new Listener(0), m -> { });
        }
        List<FineTuner.EpochRecord> h = s.result().history();
        assertEquals(EPOCHS, h.size());
        assertEquals(6, s.trainImages());
        assertEquals(2, s.validationImages());
        double firstTrain = h.get(0).trainLoss();
        double lastTrain = h.get(h.size() - 1).trainLoss();
        double firstValidation = h.get(0).validationScore();
        double lastValidation = h.get(h.size() - 1).validationScore();
        assertTrue(lastTrain < 0.85 * firstTrain, "training loss " + firstTrain + " -> " + lastTrain);
        // Predicting each patch's mean (0 after normalization) scores about 1: the model does better than that.
        assertTrue(lastValidation < 0.9 * firstValidation && lastValidation < 0.9, "validation loss " + firstValidation + " -> " + lastValidation);
        List<String> csv = Files.readAllLines(PretrainRun.curvesFile(out));
        assertEquals("epoch,iterations,train_loss,validation_loss,seconds", csv.get(0));
        assertEquals(EPOCHS + 1, csv.size());
        assertFalse(Files.exists(TrainingState.fileFor(out)), "a finished run leaves no state behind");
    }

    @Test
    void theSimMimLossOfATinyVitFallsOnRealImages() throws Exception {
        // A small TinyViT at 128 px: stage grids 32, 16, 8, 8 with windows of 4.
        SamConfig config = new SamConfig(new SamConfig.TinyVitConfig(SIZE, 3, 0, new int[] {16, 24, 32, 48},
                new int[] {1, 1, 2, 1}, new int[] {1, 2, 2, 3}, new int[] {4, 4, 4, 4}, 2.0, 2.0, 3, 32),
                new SamConfig.DecoderConfig(32, 8, 3, 2, 64, 2, 2, 3, 32));
        PretrainRun.Summary s;
        try (SamModel model = StartModel.fromScratch(config, 0, 4)) {
            s = PretrainRun.run(model, images, setup(dir.resolve("simmim.safetensors"),
                    new PretrainOptions(0.75, EPOCHS, 2, 1e-3, 0.05, 4, false, 2, 64, 0.25, 5), false),
                    new Listener(0), m -> { });
        }
        assertTrue(s.scheme().startsWith("SimMIM"), s.scheme());
        List<FineTuner.EpochRecord> h = s.result().history();
        double firstValidation = h.get(0).validationScore();
        double lastValidation = h.get(h.size() - 1).validationScore();
        // L1 on raw normalized pixels falls more slowly than MAE's loss here (0.76 -> 0.66, 0.98 -> 0.91 seen).
        assertTrue(h.get(h.size() - 1).trainLoss() < 0.9 * h.get(0).trainLoss(), h.toString());
        assertTrue(lastValidation < 0.95 * firstValidation, "validation loss " + firstValidation + " -> " + lastValidation);
    }

    @Test
    void thePretrainedModelLoadsForFineTuningWithItsEncoderWeights() throws Exception {
        Path out = dir.resolve("mae.safetensors");
        Map<String, float[]> pretrained = new java.util.LinkedHashMap<>();
        Map<String, float[]> before = new java.util.LinkedHashMap<>();
        try (SamModel model = samTiny(2)) {
            model.namedParams().forEach((n, p) -> before.put(n, p.value().toFloatArray()));
            PretrainRun.run(model, images, setup(out, options(1), false), new Listener(0), m -> { });
            model.namedParams().forEach((n, p) -> pretrained.put(n, p.value().toFloatArray()));
        }
        StateDict file = Safetensors.read(out);
        assertTrue(file.keys().stream().noneMatch(k -> k.startsWith(ReconstructionHead.PREFIX)
                || k.contains("mask_token") && !k.startsWith("mask_decoder")), "the reconstruction head is dropped");
        String json = Files.readString(out.resolveSibling("mae.json"));
        assertTrue(json.contains("MAE"), json);
        int changed = 0;
        // What finetune --checkpoint does: load the file (at the size it was trained, or another).
        try (SamModel loaded = StartModel.fromCheckpoint(out, null, 0)) {
            for (Map.Entry<String, Param> e : loaded.namedParams().entrySet()) {
                String name = e.getKey();
                assertArrayEquals(pretrained.get(name), e.getValue().value().toFloatArray(), name);
                if (name.startsWith("image_encoder.blocks.") && !java.util.Arrays.equals(before.get(name), pretrained.get(name))) {
                    changed++;
                } else if (!name.startsWith("image_encoder.") || name.startsWith("image_encoder.neck.")) {
                    assertArrayEquals(before.get(name), pretrained.get(name), "untouched by pre-training: " + name);
                }
            }
            assertTrue(changed > 10, "pre-training changed the encoder blocks (" + changed + " tensors)");
            // And fine-tuning (encoder and decoder, prompt encoder too as after random weights) starts from it.
            Strategy strategy = Strategy.vanilla(Strategy.Parts.ENCODER_DECODER).withPromptEncoder(true);
            try (FineTuner tuner = new FineTuner(loaded, strategy, io.github.samfiji.training.FineTuneOptions.defaults())) {
                assertTrue(tuner.trainable().containsKey("image_encoder.blocks.0.attn.qkv.weight"));
                assertTrue(tuner.trainable().containsKey("mask_decoder.iou_token.weight"));
            }
        }
    }

    @Test
    void resumingAfterAnInterruptionEqualsTheUninterruptedRun() throws Exception {
        Path whole = dir.resolve("whole.safetensors");
        try (SamModel model = samTiny(3)) {
            PretrainRun.run(model, images, setup(whole, options(3), false), new Listener(0), m -> { });
        }
        Path parts = dir.resolve("parts.safetensors");
        try (SamModel model = samTiny(3)) {
            PretrainRun.Summary s = PretrainRun.run(model, images, setup(parts, options(3), false), new Listener(1),
                    m -> { });
            assertTrue(s.result().cancelled());
            assertEquals(1, s.result().history().size());
        }
        assertTrue(Files.isRegularFile(TrainingState.fileFor(parts)), "a cancelled run keeps its state");
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> {
            try (SamModel model = samTiny(3)) {
                PretrainRun.run(model, images, setup(parts, options(3).withMaskRatio(0.5), true), new Listener(0),
                        m -> { });
            }
        });
        assertTrue(other.getMessage().contains("differs"), other.getMessage());
        List<FineTuner.EpochRecord> resumed;
        // Resumed in a model built afresh from the same start (the state brings every trained tensor back).
        try (SamModel model = samTiny(3)) {
            resumed = PretrainRun.run(model, images, setup(parts, options(3), true), new Listener(0), m -> { })
                    .result().history();
        }
        assertEquals(3, resumed.size());
        StateDict a = Safetensors.read(whole);
        StateDict b = Safetensors.read(parts);
        assertEquals(new ArrayList<>(a.keys()), new ArrayList<>(b.keys()));
        for (String key : a.keys()) {
            assertArrayEquals(a.get(key).toFloats(), b.get(key).toFloats(), key);
        }
        assertEquals(Files.readAllLines(PretrainRun.curvesFile(whole)).stream().map(PretrainRunTest::losses).toList(),
                Files.readAllLines(PretrainRun.curvesFile(parts)).stream().map(PretrainRunTest::losses).toList());
    }

    /** A CSV line without its timing column. */
    private static String losses(String line) {
        return line.substring(0, line.lastIndexOf(','));
    }
}
