package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.model.ConfigJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pretrain} from the command line, and its output fine-tuned with {@code finetune --checkpoint}. */
class PretrainCommandTest {

    @TempDir
    Path temp;

    @Test
    void pretrainsWritesItsFilesAndTheModelFineTunes() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 6, 80, 64, 2);
        Files.writeString(images.resolve("notes.txt"), "scanned 2026"); // passed over, not an image
        Path config = temp.resolve("tiny.json");
        Files.writeString(config, ConfigJson.toJson(FineTuneCommandTestData.tinyConfig()));
        Path out = temp.resolve("mae.safetensors");
        String[] args = {"pretrain", "--images", images.toString(), "--config", config.toString(), "--epochs", "2",
            "--batch", "2", "--lr", "1e-3", "--warmup", "1", "--validation", "0.34", "--seed", "4", "--out", out.toString()};
        assertEquals(0, SamFijiCli.run(args));
        for (String name : List.of("mae.safetensors", "mae.json", "mae.curves.csv", "mae.curves.png")) {
            assertTrue(Files.isRegularFile(temp.resolve(name)), name);
        }
        assertTrue(Files.notExists(temp.resolve("mae.resume.safetensors")), "a finished run leaves no state");
        JsonObject record = JsonParser.parseString(Files.readString(temp.resolve("mae.json"))).getAsJsonObject()
                .getAsJsonObject("finetune");
        assertEquals(2, record.getAsJsonObject("pretraining").getAsJsonArray("history").size());
        assertEquals(0.75, record.get("mask_ratio").getAsDouble());
        assertEquals(2, record.getAsJsonObject("data").getAsJsonArray("validation").size());
        assertEquals(4, record.getAsJsonObject("data").get("train_images").getAsInt(), "6 images, 2 held out");
        assertEquals(3, Files.readAllLines(temp.resolve("mae.curves.csv")).size());

        // The output is a checkpoint like any other (finetune pairs every file with a mask: the notes go).
        Files.delete(images.resolve("notes.txt"));
        assertEquals(0, SamFijiCli.run("finetune", "--images", images.toString(), "--masks", masks.toString(),
                "--checkpoint", out.toString(), "--train-prompt-encoder", "--parts", "encoder-decoder", "--epochs", "1",
                "--batch", "4", "--out", temp.resolve("tuned.safetensors").toString()));
        assertTrue(JsonParser.parseString(Files.readString(temp.resolve("tuned.json"))).getAsJsonObject()
                .getAsJsonObject("finetune").get("source").getAsString().endsWith("mae.safetensors"));

        // Existing outputs are kept; bad input gets one line.
        String err = stderr(() -> assertEquals(1, SamFijiCli.run(args)));
        assertTrue(err.contains("exists already") && !err.contains("\tat "), err);
        err = stderr(() -> assertEquals(1, SamFijiCli.run("pretrain", "--images", images.toString(), "--config",
                config.toString(), "--mask-ratio", "1", "--out", temp.resolve("other.safetensors").toString())));
        assertTrue(err.contains("mask ratio must be at least 0 and below 1"), err);
        err = stderr(() -> assertEquals(1, SamFijiCli.run("pretrain", "--images", images.toString(), "--config",
                config.toString(), "--mask-ratio", "0", "--out", temp.resolve("other.safetensors").toString())));
        assertTrue(err.contains("mask ratio must be above 0"), err);
        err = stderr(() -> assertEquals(1, SamFijiCli.run("pretrain", "--images", images.toString(), "--out",
                temp.resolve("other.safetensors").toString())));
        assertTrue(err.contains("give --checkpoint FILE"), err);
        err = stderr(() -> assertEquals(1, SamFijiCli.run("pretrain", "--images", images.toString(), "--config",
                config.toString(), "--resume", "--out", temp.resolve("other.safetensors").toString())));
        assertTrue(err.contains("nothing to resume"), err);
    }

    @Test
    void tinyVitPretrainsWithMaskedImageModelling() throws Exception {
        Path images = temp.resolve("images");
        FineTuneCommandTestData.writeDiscs(images, temp.resolve("masks"), 3, 64, 64, 3);
        Path out = temp.resolve("simmim.safetensors");
        assertEquals(0, SamFijiCli.run("pretrain", "--images", images.toString(), "--preset", "vit_t", "--input-size",
                "64", "--epochs", "1", "--batch", "2", "--out", out.toString()));
        String json = Files.readString(temp.resolve("simmim.json"));
        assertTrue(json.contains("SimMIM"), json);
    }

    private static String stderr(Runnable action) {
        PrintStream saved = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(saved);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
