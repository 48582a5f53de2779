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
}
