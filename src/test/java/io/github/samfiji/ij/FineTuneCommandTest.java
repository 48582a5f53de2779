package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.gui.Plot;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.cli.FineTuneCommandTestData;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.FineTuner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.cli.Sam2FineTuneCommandTest;
import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Fiji command run directly (as its dialog or a macro would after filling the fields). */
class FineTuneCommandTest {

    @TempDir
    Path temp;

    @Test
    void trainsVitFromScratchAtASmallInputAndSaves() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 10, 80, 64, 6);
        FineTuneCommand c = new FineTuneCommand();
        c.images = images.toFile();
        c.masks = masks.toFile();
        c.start = "vit_b (random)";
        c.inputSize = 32;
        c.parts = "decoder";
        c.method = "lora";
        c.epochs = 1;
        c.batch = 4;
        c.output = temp.resolve("fiji.safetensors").toFile();
        c.run();
        assertTrue(Files.isRegularFile(temp.resolve("fiji.json")));
        assertEquals(7, c.summary.trainImages());
        try (SamModel model = ModelLoader.load(temp.resolve("fiji.safetensors"), null)) {
            assertEquals(32, model.config().imageSize(), "the saved model states its input size");
            assertTrue(model.namedParams().keySet().stream().anyMatch(Peft::isAdded));
        }
        // Decoder-only LoRA on ViT-B: LoRA in the decoder's attentions plus the decoder outside its transformer.
        assertTrue(c.summary.trainable() > 0 && c.summary.trainable() < 4_058_340L, "trainable " + c.summary.trainable());
        Plot plot = FineTuneJob.curves(List.of(new FineTuner.EpochRecord(1, 2, 0.9, 0.5, 1.0),
                new FineTuner.EpochRecord(2, 4, 0.7, 0.6, 1.0)), FineTuner.Objective.AUTOMATIC);
        assertEquals(2, plot.getXValues().length);

        FineTuneCommand again = new FineTuneCommand();
        again.images = images.toFile();
        again.masks = masks.toFile();
        again.start = "vit_b (random)";
        again.inputSize = 32;
        again.output = c.output;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, again::run);
        assertTrue(e.getMessage().contains("exists already"), e.getMessage());
    }

    @Test
    @NeedsSharedData
    void trainsASam2ModelOnStacksAsVideosAndRefusesVideosForSam1() throws Exception {
        Path images = temp.resolve("stacks");
        Path masks = temp.resolve("labels");
        Sam2FineTuneCommandTest.writeStacks(images, masks, 5, 4, 48, 40, 1);
        Path set = Fixtures.set(Sam2Fixture.SET);
        Path checkpoint = temp.resolve("tiny.pt");
        Files.copy(set.resolve("sam2_tiny.pt"), checkpoint);
        Files.copy(set.resolve("config.json"), temp.resolve("tiny.json"));
        FineTuneCommand c = new FineTuneCommand();
        c.images = images.toFile();
        c.masks = masks.toFile();
        c.model = checkpoint.toFile();
        c.video = "on";
        c.clipLength = 3;
        c.objective = "interactive";
        c.epochs = 1;
        c.batch = 2;
        c.augmentation = "off";
        c.output = temp.resolve("sam2.safetensors").toFile();
        c.run();
        assertTrue(c.sam2Summary.testLine().startsWith("test Dice"), c.sam2Summary.testLine());
        assertEquals(1, c.sam2Summary.result().history().size());
        try (LoadedModel loaded = ModelLoader.loadAny(temp.resolve("sam2.safetensors"), null)) {
            assertEquals("sam2.1", loaded.family(), "the output is a SAM 2.1 model");
        }

        FineTuneCommand sam1 = new FineTuneCommand();
        sam1.images = images.toFile();
        sam1.masks = masks.toFile();
        sam1.start = "vit_b (random)";
        sam1.inputSize = 32;
        sam1.video = "on";
        sam1.output = temp.resolve("sam1.safetensors").toFile();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, sam1::run);
        assertTrue(e.getMessage().contains("SAM 2.1"), e.getMessage());
    }
}
