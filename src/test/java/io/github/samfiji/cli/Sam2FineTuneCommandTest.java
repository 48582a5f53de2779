package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.model.sam2.Sam2Peft;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code finetune} with a SAM 2.1 checkpoint: recognised, trained on stacks as videos, saved, reloaded. */
@NeedsSharedData
public class Sam2FineTuneCommandTest {

    @TempDir
    Path temp;

    /** Stacks of a disc that drifts and shrinks through the slices (gone on the last), with their label stacks. */
    public static void writeStacks(Path images, Path masks, int count, int depth, int w, int h, long seed) throws Exception {
        Files.createDirectories(images);
        Files.createDirectories(masks);
        Random random = new Random(seed);
        for (int n = 0; n < count; n++) {
            ImageStack grey = new ImageStack(w, h);
            ImageStack label = new ImageStack(w, h);
            double cx0 = w * (0.3 + 0.2 * random.nextDouble());
            for (int z = 0; z < depth; z++) {
                double r = z == depth - 1 ? 0 : Math.min(w, h) * (0.3 - 0.04 * z);
                double cx = cx0 + 2 * z;
                double cy = h * 0.5;
                ByteProcessor g = new ByteProcessor(w, h);
                ByteProcessor l = new ByteProcessor(w, h);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        boolean inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                        g.set(x, y, (int) Math.max(0, Math.min(255, (inside ? 170 : 70) + random.nextGaussian() * 20)));
                        l.set(x, y, inside ? 1 : 0);
                    }
                }
                grey.addSlice(g);
                label.addSlice(l);
            }
            IJ.saveAsTiff(new ImagePlus("v" + n, grey), images.resolve("v" + n + ".tif").toString());
            IJ.saveAsTiff(new ImagePlus("v" + n, label), masks.resolve("v" + n + ".tif").toString());
        }
    }

    @Test
    void trainsASam2ModelOnStacksAsVideosAndTheFilesLoad() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        writeStacks(images, masks, 5, 4, 48, 40, 1);
        Path set = Fixtures.set(Sam2Fixture.SET);
        Path checkpoint = temp.resolve("tiny.pt");
        Files.copy(set.resolve("sam2_tiny.pt"), checkpoint);
        Files.copy(set.resolve("config.json"), temp.resolve("tiny.json"));
        Path out = temp.resolve("model.safetensors");
        String[] args = {"finetune", "--checkpoint", checkpoint.toString(), "--images", images.toString(), "--masks",
            masks.toString(), "--video", "--clip-length", "3", "--method", "lora", "--parts", "encoder-decoder",
            "--rank", "2", "--epochs", "2", "--batch", "2", "--lr", "1e-3", "--warmup", "1", "--no-augment",
            "--export-merged", "--out", out.toString()};
        assertEquals(0, SamFijiCli.run(args));
        assertTrue(Files.isRegularFile(temp.resolve("model.curves.png")));
        assertFalse(Files.exists(temp.resolve("model.resume.safetensors")), "a finished run leaves no state behind");
        JsonObject info = JsonParser.parseString(Files.readString(temp.resolve("model.json"))).getAsJsonObject();
        assertEquals("sam2.1", info.get("model_family").getAsString());
        assertEquals("lora", info.getAsJsonObject("peft").get("method").getAsString());
        JsonObject ft = info.getAsJsonObject("finetune");
        assertTrue(ft.get("video").getAsString().startsWith("clips of 3 slices"));
        assertEquals(2, ft.getAsJsonObject("training").get("epochs").getAsInt());
        assertTrue(ft.getAsJsonObject("test_dice").getAsJsonObject("model").get("n").getAsInt() >= 1);
        try (LoadedModel tuned = ModelLoader.loadAny(out, null)) {
            assertTrue(((LoadedModel.Sam2) tuned).model().namedParams()
                    .containsKey("image_encoder.trunk.blocks.0.attn.qkv.lora_q.A"));
        }
        try (LoadedModel merged = ModelLoader.loadAny(temp.resolve("model.merged.safetensors"), null)) {
            assertFalse(Sam2Peft.hasLoRA(((LoadedModel.Sam2) merged).model()));
        }
        // The propagate command runs the merged model.
        assertEquals(0, SamFijiCli.run("propagate", "--checkpoint", temp.resolve("model.merged.safetensors").toString(),
                "--image", images.resolve("v0.tif").toString(), "--box", "8,8,30,32,1", "--out",
                temp.resolve("prop").toString()));
        // Errors: adapters cannot be merged; --video needs a SAM 2.1 model.
        String[] adapter = args.clone();
        adapter[11] = "adapter";
        adapter[adapter.length - 1] = temp.resolve("other.safetensors").toString();
        expectError(adapter, "cannot be merged");
        expectError(new String[] {"finetune", "--images", images.toString(), "--masks", masks.toString(),
            "--from-scratch", "--preset", "vit_t", "--video", "--out", temp.resolve("x.safetensors").toString()},
                "--video trains SAM 2.1 models");
    }

    /** A SAM 2.1 architecture (the reference yaml's model section as JSON) trains from random weights. */
    @Test
    void trainsASam2ModelFromScratch() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        writeStacks(images, masks, 5, 3, 48, 40, 2);
        Path out = temp.resolve("scratch.safetensors");
        assertEquals(0, SamFijiCli.run("finetune", "--from-scratch", "--config",
                Fixtures.set(Sam2Fixture.SET).resolve("config.json").toString(), "--input-size", "64", "--images",
                images.toString(), "--masks", masks.toString(), "--video", "--clip-length", "2", "--parts",
                "encoder-decoder", "--epochs", "1", "--batch", "4", "--warmup", "1", "--no-augment", "--out",
                out.toString()));
        JsonObject ft = JsonParser.parseString(Files.readString(temp.resolve("scratch.json"))).getAsJsonObject()
                .getAsJsonObject("finetune");
        assertTrue(ft.get("source").getAsString().startsWith("random initialization"));
        assertEquals(64, ft.get("input_size").getAsInt());
        assertTrue(ft.get("prompt_encoder_trained").getAsBoolean());
        try (LoadedModel m = ModelLoader.loadAny(out, null)) {
            assertEquals(64, ((LoadedModel.Sam2) m).model().config().imageSize());
        }
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
