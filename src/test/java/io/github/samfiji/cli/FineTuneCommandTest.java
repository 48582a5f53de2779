package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.image.Rgb8Image;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FineTuneCommandTest {

    @TempDir
    Path temp;

    private Path config() throws IOException {
        Path c = temp.resolve("tiny.json");
        Files.writeString(c, ConfigJson.toJson(FineTuneCommandTestData.tinyConfig()));
        return c;
    }

    private static String[] args(Path images, Path masks, Path config, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("finetune", "--images", images.toString(), "--masks", masks.toString(),
                "--from-scratch", "--config", config.toString(), "--out", out.toString(), "--epochs", "2", "--batch", "4",
                "--lr", "3e-3", "--warmup", "2", "--seed", "3"));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    @Test
    void trainsSavesAndTheModelLoadsEverywhere() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 10, 80, 64, 1);
        Path out = temp.resolve("model.safetensors");
        assertEquals(0, SamFijiCli.run(args(images, masks, config(), out, "--method", "lora", "--parts",
                "encoder-decoder", "--export-merged")));
        Path json = temp.resolve("model.json");
        assertTrue(Files.isRegularFile(out) && Files.isRegularFile(json) && Files.isRegularFile(temp.resolve("model.curves.png")));
        assertTrue(Files.isRegularFile(temp.resolve("model.merged.safetensors")));
        JsonObject info = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("lora", info.getAsJsonObject("peft").get("method").getAsString());
        JsonObject ft = info.getAsJsonObject("finetune");
        assertEquals(64, ft.get("input_size").getAsInt());
        assertEquals(2, ft.getAsJsonObject("training").get("epochs").getAsInt());
        assertEquals(7, ft.getAsJsonObject("data").getAsJsonArray("train").size());
        assertEquals(1, ft.getAsJsonObject("data").getAsJsonArray("validation").size());
        assertEquals(2, ft.getAsJsonObject("test_dice").getAsJsonObject("model").get("n").getAsInt());
        assertTrue(ft.getAsJsonObject("test_dice").has("otsu_baseline"));
        // Loads through the same path as every command, with the LoRA tensors, and predicts without a prompt.
        try (SamModel model = ModelLoader.load(out, null)) {
            assertTrue(model.namedParams().containsKey("image_encoder.blocks.0.attn.qkv.lora_q.A"));
            SamPredictor predictor = new SamPredictor(model);
            try (ImageEmbedding e = predictor.encode(Rgb8Image.fromGrey(80, 64, new byte[80 * 64]))) {
                Prediction p = predictor.predictWithoutPrompt(e, false);
                assertEquals(80 * 64, p.logits()[0].length);
            }
        }
        // The segment command loads it too.
        Files.copy(images.resolve("img00.png"), temp.resolve("one.png"));
        assertEquals(0, SamFijiCli.run("segment", "--checkpoint", out.toString(), "--image",
                temp.resolve("one.png").toString(), "--point", "40,30", "--out", temp.resolve("seg").toString()));
        // Training continues from the fine-tuned model (its LoRA tensors come back with it).
        Path continued = temp.resolve("continued.safetensors");
        String[] more = {"finetune", "--images", images.toString(), "--masks", masks.toString(), "--checkpoint",
            out.toString(), "--out", continued.toString(), "--epochs", "1", "--method", "lora", "--parts",
            "encoder-decoder", "--seed", "3"};
        assertEquals(0, SamFijiCli.run(more));
        try (SamModel model = ModelLoader.load(continued, null)) {
            assertTrue(model.namedParams().containsKey("image_encoder.blocks.0.attn.qkv.lora_q.A"));
        }
        String[] wrongMethod = more.clone();
        wrongMethod[wrongMethod.length - 5] = "adapter";
        wrongMethod[8] = temp.resolve("other.safetensors").toString();
        expectError(wrongMethod, "continue it with --method lora");
        // Never overwrites without being asked.
        long size = Files.size(out);
        expectError(args(images, masks, config(), out), "exists already");
        assertEquals(size, Files.size(out));
    }

    @Test
    void badInputFailsBeforeTrainingWithAClearMessage() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 10, 80, 64, 2);
        Path c = config();
        Path out = temp.resolve("m.safetensors");

        expectError(args(images, masks, c, temp.resolve("no/such/folder/m.safetensors")), "output folder does not exist");
        expectError(args(images, masks, c, out, "--budget", "0.1"), "leaves no training images");
        expectError(args(images, masks, c, out, "--budget", "0"), "budget must be in (0, 1]");

        Path otherMasks = temp.resolve("small-masks");
        FineTuneCommandTestData.writeDiscs(temp.resolve("ignored"), otherMasks, 10, 40, 30, 2);
        expectError(args(images, otherMasks, c, out), "differ in size");

        Path emptyMasks = Files.createDirectories(temp.resolve("empty-masks"));
        for (int n = 0; n < 10; n++) {
            ImageIO.write(new BufferedImage(80, 64, BufferedImage.TYPE_BYTE_GRAY), "png",
                    emptyMasks.resolve(String.format("img%02d.png", n)).toFile());
        }
        expectError(args(images, emptyMasks, c, out), "has any foreground");

        Path labelMasks = Files.createDirectories(temp.resolve("label-masks"));
        for (int n = 0; n < 10; n++) {
            BufferedImage labels = new BufferedImage(80, 64, BufferedImage.TYPE_BYTE_GRAY);
            labels.getRaster().setSample(5, 5, 0, 1);
            labels.getRaster().setSample(50, 40, 0, 2);
            ImageIO.write(labels, "png", labelMasks.resolve(String.format("img%02d.png", n)).toFile());
        }
        expectError(args(images, labelMasks, c, out), "holds 2 labels (1, 2)");
        expectError(args(images, labelMasks, c, out, "--label", "x"), "must be 'all' or a label value");
        expectError(args(images, masks, c, out, "--method", "adapter", "--export-merged"), "cannot be merged");
        expectError(args(images, masks, c, out, "--method", "magic"), "unknown --method");
        assertFalse(Files.exists(out), "nothing written on errors");
    }

    private static void expectError(String[] args, String fragment) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = SamFijiCli.run(args);
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertNotEquals(0, code, "exit code for " + fragment);
        assertTrue(text.contains(fragment), "stderr '" + text.trim() + "' should mention '" + fragment + "'");
    }
}
