package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.cli.FineTuneCommandTestData;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * macros/finetune_folder.ijm run by the real ImageJ 1 jar in -batch mode with sam-fiji installed as a user installs
 * it: a tiny model trained from two folders, saved with its JSON, loadable; and a bad argument exits non-zero.
 */
@NeedsDisplay
class FineTuneFolderMacroTest {

    @TempDir
    Path temp;

    private ImageJBatch imageJ;

    private ImageJBatch.Result batch(String arguments) throws Exception {
        if (imageJ == null) {
            imageJ = new ImageJBatch(Files.createDirectories(temp.resolve("ImageJ")));
        }
        return imageJ.run("finetune_folder.ijm", arguments);
    }

    @Test
    void fineTunesFromTwoFoldersHeadless() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 10, 80, 64, 4);
        Path config = temp.resolve("tiny.json");
        Files.writeString(config, ConfigJson.toJson(FineTuneCommandTestData.tinyConfig()));
        Path out = temp.resolve("tuned.safetensors");
        ImageJBatch.Result run = batch("images=" + images + " masks=" + masks + " out=" + out + " config=" + config
                + " epochs=2 batch=4 lr=3e-3 warmup=2 method=adapter");
        assertEquals(0, run.exit(), run.log());
        assertTrue(run.log().contains("fine-tuned model written to"), run.log());
        assertTrue(run.log().contains("test Dice"), run.log());
        assertEquals("adapter", JsonParser.parseString(Files.readString(temp.resolve("tuned.json"))).getAsJsonObject()
                .getAsJsonObject("peft").get("method").getAsString());
        try (SamModel model = ModelLoader.load(out, null)) {
            assertTrue(model.namedParams().containsKey("mask_decoder.transformer.layers.0.adapter.up.weight"));
        }

        ImageJBatch.Result bad = batch("images=" + images + " masks=" + temp.resolve("nope") + " out=" + out + " config=" + config);
        assertEquals(1, bad.exit(), bad.log());
        assertTrue(bad.log().contains("masks folder not found"), bad.log());
    }
}
