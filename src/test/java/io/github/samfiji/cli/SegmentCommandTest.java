package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.IJ;
import ij.ImagePlus;
import io.github.samfiji.testing.Assertions2;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The headless {@code segment} command end to end: a PNG image and the fixture checkpoint in, files out that equal
 * the reference predictor's outputs; a second call chained through {@code --mask-input}; errors exit non-zero.
 */
class SegmentCommandTest {

    @TempDir
    Path temp;

    private static final Path SAMPLES = Path.of("samples");

    private int run(String... args) {
        return SamFijiCli.run(args);
    }

    private String[] segment(String prefix, String... prompts) {
        String[] base = {"segment", "--checkpoint", SAMPLES.resolve("sam_tiny.pth").toString(), "--image",
            SAMPLES.resolve("fixture-image.png").toString(), "--out", temp.resolve(prefix).toString()};
        String[] all = new String[base.length + prompts.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(prompts, 0, all, base.length, prompts.length);
        return all;
    }

    @Test
    @NeedsSharedData
    void boxPromptWritesReferenceMasksLogitsAndJson() throws Exception {
        assertEquals(0, run(segment("box", "--box", "30,29,77,76", "--multimask", "--logits")));
        ImagePlus masks = IJ.openImage(temp.resolve("box.masks.tif").toString());
        ImagePlus logits = IJ.openImage(temp.resolve("box.logits.tif").toString());
        ImagePlus low = IJ.openImage(temp.resolve("box.lowres.tif").toString());
        assertEquals(3, masks.getStackSize());
        assertEquals(97, masks.getWidth());
        assertEquals(150, masks.getHeight());
        assertEquals(64, low.getWidth());
        Npy refLogits = Fixtures.npy("sam_tiny", "box__mmT__logits_orig");
        byte[] refMasks = Fixtures.npy("sam_tiny", "box__mmT__masks").bytes();
        float[] ref = refLogits.floats();
        int area = 97 * 150;
        for (int i = 0; i < 3; i++) {
            float[] mine = (float[]) logits.getStack().getProcessor(i + 1).getPixels();
            Assertions2.assertClose("logits " + i, java.util.Arrays.copyOfRange(ref, i * area, (i + 1) * area), mine, 1e-4);
            byte[] m = (byte[]) masks.getStack().getProcessor(i + 1).getPixels();
            for (int k = 0; k < area; k++) {
                if (Math.abs(ref[i * area + k]) > 1e-4) {
                    assertEquals(refMasks[i * area + k] != 0 ? 255 : 0, m[k] & 0xff, "mask " + i + " pixel " + k);
                }
            }
        }
        JsonObject json = JsonParser.parseString(Files.readString(temp.resolve("box.json"))).getAsJsonObject();
        float[] refIou = Fixtures.npy("sam_tiny", "box__mmT__iou_predictions").floats();
        for (int i = 0; i < 3; i++) {
            assertEquals(refIou[i], json.getAsJsonArray("predicted_iou").get(i).getAsFloat(), 1e-4);
        }
        int best = 0;
        for (int i = 1; i < 3; i++) {
            best = refIou[i] > refIou[best] ? i : best;
        }
        assertEquals(best + 1, json.get("chosen").getAsInt());
        assertTrue(json.getAsJsonObject("timings").get("encode_ms").getAsDouble() > 0);
    }

    @Test
    @NeedsSharedData
    void lowResOutputChainsAsMaskInput() throws Exception {
        assertEquals(0, run(segment("first", "--box", "30,29,77,76", "--multimask")));
        // box_mask case of the reference: the same box plus the best low-res logits of the first call.
        assertEquals(0, run(segment("second", "--box", "30,29,77,76", "--mask-input",
                temp.resolve("first.lowres.tif").toString(), "--logits")));
        ImagePlus logits = IJ.openImage(temp.resolve("second.logits.tif").toString());
        Assertions2.assertClose("box_mask logits", Fixtures.npy("sam_tiny", "box_mask__mmF__logits_orig").floats(),
                (float[]) logits.getProcessor().getPixels(), 1e-4);
    }

    @Test
    void errorsExitNonZeroWithAMessage() throws Exception {
        assertError("no prompt given", segment("none"));
        assertError("lies outside", segment("outside", "--point", "500,10"));
        assertError("inverted", segment("inverted", "--box", "50,10,20,40"));
        assertError("needs 4", segment("short", "--box", "1,2,3"));
        // A mistyped option or value: one line naming it, not picocli's whole usage text.
        assertError("Unknown options: '--boxx'", segment("typo", "--boxx", "1,2,3,4"));
        assertError("'--time-limit': '25m' is not a double (see: sam-fiji finetune --help)", "finetune",
                "--images", "a", "--masks", "b", "--out", "c", "--time-limit", "25m");
        // Non-finite corners are refused as such (before: exit 0, NaN logits and a JSON file with a bare NaN).
        assertError("corners must be finite numbers", segment("infinite", "--box", "0,0,Infinity,Infinity"));
        assertError("corners must be finite numbers", segment("nan", "--box", "NaN,0,10,10"));
        assertFalse(Files.exists(temp.resolve("infinite.json")));
        Path notImage = temp.resolve("x.png");
        Files.writeString(notImage, "not an image");
        assertError("cannot read", "segment", "--checkpoint", SAMPLES.resolve("sam_tiny.pth").toString(), "--image",
                notImage.toString(), "--box", "1,1,5,5", "--out", temp.resolve("bad").toString());
        assertError("not found", "segment", "--checkpoint", temp.resolve("missing.pth").toString(), "--image",
                SAMPLES.resolve("fixture-image.png").toString(), "--box", "1,1,5,5", "--out", temp.resolve("bad").toString());
        // Outputs are never replaced without --overwrite.
        assertEquals(0, run(segment("once", "--point", "53,52")));
        assertFalse(Files.exists(temp.resolve("once.logits.tif")), "full-size logits only when asked");
        assertError("exists already", segment("once", "--point", "53,52"));
        assertEquals(0, run(segment("once", "--point", "53,52", "--overwrite")));
    }

    private void assertError(String fragment, String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = SamFijiCli.run(args);
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertNotEquals(0, code, "exit code for " + fragment);
        // One short line: no stack trace, no Java class names.
        assertEquals(1, text.strip().lines().count(), text);
        assertFalse(text.contains("Exception") || text.contains("\tat "), text);
        assertTrue(text.contains(fragment), "stderr '" + text.trim() + "' should mention '" + fragment + "'");
    }

    @Test
    void truthGivesDiceBesideTheInscribedEllipseBaselineAndTheRoiSetHoldsTheChosenMask() throws Exception {
        assertEquals(0, run(segment("first", "--box", "30,29,77,76")));
        ImagePlus masks = IJ.openImage(temp.resolve("first.masks.tif").toString());
        java.util.List<ij.gui.Roi> rois = io.github.samfiji.imagejio.RoiSets.read(temp.resolve("first.rois.zip"));
        assertEquals(1, rois.size());
        boolean[] fromRoi = io.github.samfiji.imagejio.MaskRois.toMask(rois.get(0), 97, 150);
        byte[] px = (byte[]) masks.getStack().getPixels(1);
        for (int k = 0; k < px.length; k++) {
            assertEquals(px[k] != 0, fromRoi[k], "RoiSet equals the mask, pixel " + k);
        }
        // The result itself as truth: Dice 1; the baseline is the ellipse inscribed in the box, computed here too.
        IJ.saveAsTiff(new ImagePlus("truth", masks.getStack().getProcessor(1)), temp.resolve("truth.tif").toString());
        assertEquals(0, run(segment("second", "--box", "30,29,77,76", "--truth", temp.resolve("truth.tif").toString())));
        JsonObject against = JsonParser.parseString(Files.readString(temp.resolve("second.json"))).getAsJsonObject()
                .getAsJsonObject("against_truth");
        assertEquals(1.0, against.getAsJsonObject("sam").get("dice").getAsDouble(), 1e-12);
        assertEquals(1.0, against.getAsJsonObject("sam").get("iou").getAsDouble(), 1e-12);
        boolean[] ellipse = new boolean[97 * 150];
        boolean[] truth = new boolean[97 * 150];
        for (int y = 0; y < 150; y++) {
            for (int x = 0; x < 97; x++) {
                double dx = (x - 53.5) / 24.0;
                double dy = (y - 52.5) / 24.0;
                ellipse[y * 97 + x] = dx * dx + dy * dy <= 1;
                truth[y * 97 + x] = px[y * 97 + x] != 0;
            }
        }
        assertEquals(io.github.samfiji.inference.MaskGeometry.dice(ellipse, truth),
                against.getAsJsonObject("box_ellipse_baseline").get("dice").getAsDouble(), 1e-12);
        // A truth of another size is refused before anything is written.
        IJ.saveAsTiff(IJ.createImage("small", "8-bit black", 20, 20, 1), temp.resolve("small.tif").toString());
        assertEquals(1, run(segment("third", "--box", "30,29,77,76", "--truth", temp.resolve("small.tif").toString())));
        assertTrue(!Files.exists(temp.resolve("third.json")));
    }
}
