package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.macro.Interpreter;
import io.github.samfiji.cli.FineTuneCommandTestData;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tune SAM called by its menu name from a real ImageJ 1 macro, with recorded-style options. */
@NeedsDisplay
class FineTuneMacroTest {

    @BeforeAll
    static void registerMenuCommands() {
        ImageJMenus.registerCommands();
    }

    @TempDir
    Path temp;

    @Test
    void menuCommandTrainsFromAMacro() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 10, 80, 64, 8);
        Path out = temp.resolve("macro.safetensors");
        new Interpreter().run("setBatchMode(true);\nrun('Fine-tune SAM', 'images=[" + images + "] masks=[" + masks
                + "] start=[vit_b (random)] objective=auto parts=decoder method=adapter lora=4 annotation=1 epochs=1 "
                + "patience=20 learning=0.0001 batch=4 input=32 seed=5 output=[" + out + "]');", null);
        assertTrue(Files.isRegularFile(out), "model written");
        JsonObject json = JsonParser.parseString(Files.readString(temp.resolve("macro.json"))).getAsJsonObject();
        assertEquals("adapter", json.getAsJsonObject("peft").get("method").getAsString());
        assertEquals(32, json.getAsJsonObject("finetune").get("input_size").getAsInt());
        assertEquals(5, json.getAsJsonObject("finetune").getAsJsonObject("hyperparameters").get("seed").getAsInt());
    }

    @Test
    void openImageCommandTrainsOnAStackAndItsLabelStackFromAMacro() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 6, 64, 48, 9);
        Path stack = temp.resolve("discs.tif");
        Path labels = temp.resolve("labels.tif");
        for (Path[] pair : new Path[][] {{images, stack}, {masks, labels}}) {
            ij.ImageStack slices = new ij.ImageStack(64, 48);
            try (var files = Files.list(pair[0])) {
                for (Path f : files.sorted().toList()) {
                    slices.addSlice(f.getFileName().toString(), ij.IJ.openImage(f.toString()).getProcessor());
                }
            }
            assertTrue(ij.IJ.saveAsTiff(new ij.ImagePlus("s", slices), pair[1].toString()));
        }
        Path out = temp.resolve("open.safetensors");
        new Interpreter().run("setBatchMode(true);\nopen('" + labels + "');\nopen('" + stack + "');\n"
                + "run('Fine-tune SAM on Open Image', 'labels=labels.tif slices=[separate 2D images] "
                + "start=[vit_t (random)] objective=auto parts=encoder-decoder method=lora lora=2 annotation=1 "
                + "epochs=1 patience=20 learning=0.0001 batch=4 input=64 augmentation=off seed=5 output=[" + out + "]');",
                null);
        assertTrue(Files.isRegularFile(out), "model written");
        JsonObject finetune = JsonParser.parseString(Files.readString(temp.resolve("open.json"))).getAsJsonObject()
                .getAsJsonObject("finetune");
        assertEquals("discs.tif + labels.tif (slices as separate images)",
                finetune.getAsJsonObject("data").get("data").getAsString());
        assertEquals(4, finetune.getAsJsonObject("data").getAsJsonArray("train").size(), "6 separate images: 4 train");
        assertEquals("encoder-decoder", finetune.get("parts").getAsString());
        assertEquals(false, finetune.getAsJsonObject("hyperparameters").get("augmentation").getAsBoolean());
    }
}
