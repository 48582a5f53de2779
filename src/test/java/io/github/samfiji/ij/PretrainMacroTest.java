package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.macro.Interpreter;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.cli.FineTuneCommandTestData;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pre-train SAM Encoder (MAE) called by its menu name from an ImageJ 1 macro with recorded-style options, and
 * macros/pretrain_folder.ijm run by the real ImageJ 1 jar in -batch mode.
 */
@NeedsDisplay
class PretrainMacroTest {

    @BeforeAll
    static void registerMenuCommands() {
        ImageJMenus.registerCommands();
    }

    @TempDir
    Path temp;

    @Test
    void menuCommandPretrainsFromAMacro() throws Exception {
        Path images = temp.resolve("images");
        Path more = temp.resolve("more");
        FineTuneCommandTestData.writeDiscs(images, temp.resolve("masks"), 3, 80, 64, 8);
        FineTuneCommandTestData.writeDiscs(more, temp.resolve("masks2"), 2, 64, 64, 9);
        Path out = temp.resolve("macro.safetensors");
        new Interpreter().run("setBatchMode(true);\nrun('Pre-train SAM Encoder (MAE)', 'images=[" + images
                + "] second=[" + more + "] start=[vit_t (random)] input=64 mask=0.5 epochs=1 batch=2 learning=0.0001 "
                + "seed=5 output=[" + out + "]');", null);
        assertTrue(Files.isRegularFile(out), "model written; log: " + ij.IJ.getLog());
        JsonObject record = JsonParser.parseString(Files.readString(temp.resolve("macro.json"))).getAsJsonObject()
                .getAsJsonObject("finetune");
        assertEquals(0.5, record.get("mask_ratio").getAsDouble());
        assertEquals(64, record.get("input_size").getAsInt());
        assertTrue(record.get("objective").getAsString().contains("SimMIM"));
        assertEquals(4, record.getAsJsonObject("data").get("train_images").getAsInt(), "5 images, 1 held out");
        assertTrue(Files.isRegularFile(temp.resolve("macro.curves.csv")));
    }

    @Test
    void folderMacroPretrainsHeadlessAndFailsOnABadFolder() throws Exception {
        Path images = temp.resolve("images");
        FineTuneCommandTestData.writeDiscs(images, temp.resolve("masks"), 4, 80, 64, 4);
        Path config = temp.resolve("tiny.json");
        Files.writeString(config, ConfigJson.toJson(FineTuneCommandTestData.tinyConfig()));
        Path out = temp.resolve("mae.safetensors");
        ImageJBatch imageJ = new ImageJBatch(Files.createDirectories(temp.resolve("ImageJ")));
        ImageJBatch.Result run = imageJ.run("pretrain_folder.ijm", "images=" + images + " out=" + out + " config="
                + config + " epochs=2 batch=2 lr=1e-3 warmup=1 mask_ratio=0.6 decoder_width=32");
        assertEquals(0, run.exit(), run.log());
        assertTrue(run.log().contains("pre-trained model written to"), run.log());
        JsonObject record = JsonParser.parseString(Files.readString(temp.resolve("mae.json"))).getAsJsonObject()
                .getAsJsonObject("finetune");
        assertEquals(0.6, record.get("mask_ratio").getAsDouble());
        assertEquals(32, record.getAsJsonObject("hyperparameters").get("decoder_width").getAsInt());
        try (SamModel model = ModelLoader.load(out, null)) {
            assertTrue(model.isComplete());
        }

        ImageJBatch.Result bad = imageJ.run("pretrain_folder.ijm", "images=" + temp.resolve("nope") + " out=" + out
                + " config=" + config);
        assertEquals(1, bad.exit(), bad.log());
        assertTrue(bad.log().contains("images folder not found"), bad.log());
    }
}
