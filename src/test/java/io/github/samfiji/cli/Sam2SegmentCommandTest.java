package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.IJ;
import ij.ImagePlus;
import io.github.samfiji.testing.Assertions2;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code segment} with the SAM 2.1 fixture checkpoint, per the fixtures' CLI contract: every image case, with and
 * without {@code --multimask}, gives the reference predictor's logits, masks, low-res logits and IoU; {@code box_mask}
 * chains the low-res output of {@code box} through {@code --mask-input}.
 */
@NeedsSharedData
class Sam2SegmentCommandTest {

    private static final String SET = "sam2_tiny";
    private static final double TOL = 1e-4;
    private static final Map<String, Double> WORST = new TreeMap<>();

    @TempDir
    Path temp;

    @AfterAll
    static void report() {
        StringBuilder sb = new StringBuilder("SAM 2.1 segment CLI: max |reference - java|\n");
        WORST.forEach((k, v) -> sb.append(String.format("  %-40s %.3g%n", k, v)));
        System.out.print(sb);
    }

    private static boolean has(String name) {
        return Files.exists(Fixtures.set(SET).resolve(name + ".npy"));
    }

    private static Npy npy(String name) {
        return Fixtures.npy(SET, name);
    }

    /** The command line of a fixture case, the prompt values written so that they parse back to the same floats. */
    private List<String> args(String c, String prefix) {
        Path set = Fixtures.set(SET);
        List<String> a = new ArrayList<>(List.of("segment", "--checkpoint", set.resolve("sam2_tiny.pt").toString(),
                "--config", set.resolve("config.json").toString(), "--image", set.resolve("image.png").toString(),
                "--out", temp.resolve(prefix).toString()));
        if (has(c + "__box")) {
            float[] b = npy(c + "__box").floats();
            a.add("--box");
            a.add(b[0] + "," + b[1] + "," + b[2] + "," + b[3]);
        }
        if (has(c + "__point_coords")) {
            float[] xy = npy(c + "__point_coords").floats();
            float[] labels = npy(c + "__point_labels").floats();
            for (int i = 0; i < labels.length; i++) {
                a.add("--point");
                a.add(xy[2 * i] + "," + xy[2 * i + 1] + "," + (int) labels[i]);
            }
        }
        return a;
    }

    @Test
    void everyImageCaseMatchesTheReferencePredictor() throws Exception {
        for (String c : new String[] {"point1", "points3", "box", "box_point", "noprompt"}) {
            for (boolean multi : new boolean[] {true, false}) {
                List<String> a = args(c, c + (multi ? "_mmT" : "_mmF"));
                if (multi) {
                    a.add("--multimask");
                }
                assertEquals(0, SamFijiCli.run(a.toArray(String[]::new)), "segment " + a);
                check(c, multi, c + (multi ? "_mmT" : "_mmF"));
            }
        }
    }

    @Test
    void theLowResOutputOfABoxPromptsTheNextCall() throws Exception {
        List<String> first = args("box", "first");
        first.add("--multimask");
        assertEquals(0, SamFijiCli.run(first.toArray(String[]::new)));
        for (boolean multi : new boolean[] {true, false}) {
            String prefix = "chained" + (multi ? "_mmT" : "_mmF");
            List<String> a = args("box", prefix);
            a.add("--mask-input");
            a.add(temp.resolve("first.lowres.tif").toString());
            if (multi) {
                a.add("--multimask");
            }
            assertEquals(0, SamFijiCli.run(a.toArray(String[]::new)));
            check("box_mask", multi, prefix);
        }
    }

    @Test
    void aSecondRunRefusesToOverwrite() throws Exception {
        String[] a = args("box", "again").toArray(String[]::new);
        assertEquals(0, SamFijiCli.run(a));
        assertNotEquals(0, SamFijiCli.run(a));
    }

    @Test
    void aTruthMaskIsComparedWithTheChosenMask() throws Exception {
        byte[] ref = npy("box__mmF__masks").bytes();
        byte[] pixels = new byte[ref.length];
        for (int i = 0; i < ref.length; i++) {
            pixels[i] = ref[i] != 0 ? (byte) 255 : 0;
        }
        Path truth = temp.resolve("truth.tif");
        IJ.saveAsTiff(new ImagePlus("truth", new ij.process.ByteProcessor(97, 150, pixels)), truth.toString());
        List<String> a = args("box", "truth");
        a.add("--truth");
        a.add(truth.toString());
        assertEquals(0, SamFijiCli.run(a.toArray(String[]::new)));
        JsonObject json = JsonParser.parseString(Files.readString(temp.resolve("truth.json"))).getAsJsonObject();
        JsonObject against = json.getAsJsonObject("against_truth");
        assertEquals(1.0, against.getAsJsonObject("sam").get("dice").getAsDouble(), 1e-3);
        assertTrue(against.has("box_ellipse_baseline"));
    }

    private void check(String c, boolean multi, String prefix) throws Exception {
        String tag = c + "__" + (multi ? "mmT" : "mmF") + "__";
        ImagePlus logits = IJ.openImage(temp.resolve(prefix + ".logits.tif").toString());
        ImagePlus masks = IJ.openImage(temp.resolve(prefix + ".masks.tif").toString());
        ImagePlus low = IJ.openImage(temp.resolve(prefix + ".lowres.tif").toString());
        float[] refLogits = npy(tag + "logits_orig").floats();
        byte[] refMasks = npy(tag + "masks").bytes();
        float[] refLow = npy(tag + "low_res_masks").floats();
        float[] refIou = npy(tag + "iou_predictions").floats();
        int n = refIou.length;
        int w = logits.getWidth();
        int h = logits.getHeight();
        int area = w * h;
        assertEquals(97, w);
        assertEquals(150, h);
        assertEquals(n, logits.getStackSize(), tag + "candidates");
        assertEquals(n, masks.getStackSize());
        assertEquals(n, low.getStackSize());
        int lowArea = low.getWidth() * low.getHeight();
        for (int i = 0; i < n; i++) {
            float[] mine = (float[]) logits.getStack().getProcessor(i + 1).getPixels();
            float[] ref = Arrays.copyOfRange(refLogits, i * area, (i + 1) * area);
            note(tag + "logits_orig", Assertions2.maxAbsDiff(ref, mine));
            Assertions2.assertClose(prefix + " logits " + i, ref, mine, TOL);
            byte[] m = (byte[]) masks.getStack().getProcessor(i + 1).getPixels();
            for (int k = 0; k < area; k++) {
                if (Math.abs(ref[k]) > TOL) {
                    assertEquals(refMasks[i * area + k] != 0 ? 255 : 0, m[k] & 0xff, prefix + " mask " + i + " pixel " + k);
                }
            }
            float[] lowMine = (float[]) low.getStack().getProcessor(i + 1).getPixels();
            float[] lowRef = Arrays.copyOfRange(refLow, i * lowArea, (i + 1) * lowArea);
            note(tag + "low_res_masks", Assertions2.maxAbsDiff(lowRef, lowMine));
            Assertions2.assertClose(prefix + " low-res " + i, lowRef, lowMine, TOL);
        }
        JsonObject json = JsonParser.parseString(Files.readString(temp.resolve(prefix + ".json"))).getAsJsonObject();
        JsonArray iou = json.getAsJsonArray("iou");
        assertEquals(n, iou.size());
        int best = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(refIou[i], iou.get(i).getAsFloat(), TOL, prefix + " iou " + i);
            best = refIou[i] > refIou[best] ? i : best;
        }
        assertEquals(best, json.get("chosen").getAsInt(), prefix + " chosen");
        assertTrue(Files.exists(temp.resolve(prefix + ".rois.zip")));
    }

    private static void note(String what, double diff) {
        WORST.merge(what, diff, Math::max);
    }
}
