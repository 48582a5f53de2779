package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.imagejio.RoiSets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command on the bundled default: the small BUSI model (made by samples/make-default-model.sh)
 * segments a bundled test image from a box, writes the ROI set, and reports a Dice against the bundled mask. The
 * bundled test images are the model's held-out test split, never seen in training or validation.
 */
class BundledDefaultModelTest {

    private static final Path SAMPLES = Path.of("samples");

    @TempDir
    Path temp;

    @Test
    void theReadmeCommandSegmentsTheSampleAndScoresItAgainstItsMask() throws Exception {
        Path prefix = temp.resolve("benign_038");
        assertEquals(0, SamFijiCli.run("segment", "--checkpoint", SAMPLES.resolve("busi_sam_tiny.safetensors").toString(),
                "--image", SAMPLES.resolve("busi-test/images/benign_038.png").toString(), "--box", "288,68,387,141",
                "--truth", SAMPLES.resolve("busi-test/masks/benign_038.png").toString(), "--out", prefix.toString()));
        assertEquals(1, RoiSets.read(temp.resolve("benign_038.rois.zip")).size());
        JsonObject against = JsonParser.parseString(Files.readString(temp.resolve("benign_038.json"))).getAsJsonObject()
                .getAsJsonObject("against_truth");
        double dice = against.getAsJsonObject("sam").get("dice").getAsDouble();
        // Measured 0.848 (the inscribed ellipse scores 0.969 on this round lesion); a broken model scores far lower.
        assertEquals(0.848, dice, 0.02, "Dice of the bundled model on benign_038");
        assertEquals(0.9685, against.getAsJsonObject("box_ellipse_baseline").get("dice").getAsDouble(), 1e-3);
    }

    @Test
    void theBundledTestImagesAreTheModelsHeldOutSplit() throws Exception {
        JsonObject data = JsonParser.parseString(Files.readString(SAMPLES.resolve("busi_sam_tiny.json"))).getAsJsonObject()
                .getAsJsonObject("finetune").getAsJsonObject("data");
        Set<String> seen = new HashSet<>();
        for (String split : new String[] {"train", "validation"}) {
            data.getAsJsonArray(split).forEach(e -> seen.add(e.getAsString()));
        }
        Set<String> test = new HashSet<>();
        data.getAsJsonArray("test").forEach(e -> test.add(e.getAsString()));
        Set<String> bundled = new HashSet<>();
        try (Stream<Path> files = Files.list(SAMPLES.resolve("busi-test/images"))) {
            files.forEach(f -> bundled.add(f.getFileName().toString().replace(".png", "")));
        }
        assertEquals(test, bundled, "exactly the test split is bundled");
        for (String name : bundled) {
            assertTrue(!seen.contains(name), name + " was used in training or validation");
            assertTrue(Files.exists(SAMPLES.resolve("busi-test/masks/" + name + ".png")), "mask of " + name);
        }
        JsonArray train = data.getAsJsonArray("train");
        assertEquals(47, train.size());
    }
}
