package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Roi;
import ij.process.ByteProcessor;
import io.github.samfiji.imagejio.MaskRois;
import io.github.samfiji.imagejio.RoiSets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The headless {@code auto} and {@code propagate} commands: the three files they promise (16-bit labels, a RoiSet
 * ImageJ reads back, a JSON), consistent with each other; bad input exits non-zero with a message and writes nothing.
 */
class AutoAndPropagateCommandTest {

    private static final String MODEL = Path.of("samples/sam_tiny.pth").toString();
    private static final String IMAGE = Path.of("samples/fixture-image.png").toString();

    @TempDir
    Path temp;

    private static String[] errors = new String[1];

    private static int run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return SamFijiCli.run(args);
        } finally {
            System.setErr(old);
            errors[0] = err.toString(StandardCharsets.UTF_8);
        }
    }

    private static JsonObject json(Path file) throws Exception {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    private static Roi[] rois(Path zip) throws Exception {
        return RoiSets.read(zip).toArray(new Roi[0]);
    }

    @Test
    void autoWritesLabelsRoisAndJsonThatAgree() throws Exception {
        Path prefix = temp.resolve("fx");
        assertEquals(0, run("auto", "--checkpoint", MODEL, "--image", IMAGE, "--points-per-side", "8",
                "--pred-iou-thresh", "0", "--stability-score-thresh", "0", "--box-nms-thresh", "0.95", "--out",
                prefix.toString()));
        ImagePlus labels = IJ.openImage(temp.resolve("fx.labels.tif").toString());
        assertEquals(16, labels.getBitDepth());
        assertEquals(97, labels.getWidth());
        JsonArray objects = json(temp.resolve("fx.json")).getAsJsonArray("objects");
        Roi[] rois = rois(temp.resolve("fx.rois.zip"));
        assertTrue(objects.size() > 0);
        assertEquals(objects.size(), rois.length);
        short[] px = (short[]) labels.getProcessor().getPixels();
        long previousArea = Long.MAX_VALUE;
        for (int i = 0; i < objects.size(); i++) {
            JsonObject o = objects.get(i).getAsJsonObject();
            assertEquals(i + 1, o.get("label").getAsInt());
            long area = o.get("area").getAsLong();
            assertTrue(area <= previousArea, "largest first");
            previousArea = area;
            boolean[] mask = MaskRois.toMask(rois[i], 97, 150);
            assertEquals(area, countTrue(mask), "ROI " + (i + 1) + " covers the object's area");
            assertTrue(o.get("predicted_iou").getAsDouble() >= 0 && o.get("stability_score").getAsDouble() >= 0);
        }
        // The label image shows the last (smallest) object wherever it lies: smaller objects are painted on top.
        boolean[] last = MaskRois.toMask(rois[rois.length - 1], 97, 150);
        for (int k = 0; k < last.length; k++) {
            if (last[k]) {
                assertEquals(objects.size(), px[k]);
            }
        }
        // Existing outputs are kept unless --overwrite.
        assertEquals(1, run("auto", "--checkpoint", MODEL, "--image", IMAGE, "--out", prefix.toString()));
        assertTrue(errors[0].contains("--overwrite"), errors[0]);
    }

    private static long countTrue(boolean[] m) {
        long n = 0;
        for (boolean b : m) {
            n += b ? 1 : 0;
        }
        return n;
    }

    private Path stack(int depth) {
        ImageStack s = new ImageStack(64, 64);
        for (int z = 0; z < depth; z++) {
            byte[] px = new byte[64 * 64];
            for (int i = 0; i < px.length; i++) {
                int x = i % 64;
                int y = i / 64;
                px[i] = (byte) ((x - 32) * (x - 32) + (y - 32) * (y - 32) <= 300 ? 200 : 20 + z);
            }
            s.addSlice(new ByteProcessor(64, 64, px));
        }
        ImagePlus imp = new ImagePlus("stack", s);
        imp.getCalibration().pixelDepth = 3;
        imp.getCalibration().setUnit("mm");
        Path file = temp.resolve("stack" + depth + ".tif");
        IJ.saveAsTiff(imp, file.toString());
        return file;
    }

    @Test
    void propagateWritesOneLabelPerObjectAndTheirVolumes() throws Exception {
        Path file = stack(6);
        Path prefix = temp.resolve("p");
        assertEquals(0, run("propagate", "--checkpoint", MODEL, "--image", file.toString(), "--box", "10,10,54,54,3",
                "--object", "2", "--point", "32,32,5", "--point", "2,2,5,0", "--iou-threshold", "0", "--out",
                prefix.toString()), errors[0]);
        ImagePlus labels = IJ.openImage(temp.resolve("p.labels.tif").toString());
        assertEquals(6, labels.getStackSize());
        assertEquals(16, labels.getBitDepth());
        assertEquals(3.0, labels.getCalibration().pixelDepth, 0, "calibration kept");
        JsonArray objects = json(temp.resolve("p.json")).getAsJsonArray("objects");
        assertEquals(2, objects.size());
        Roi[] rois = rois(temp.resolve("p.rois.zip"));
        for (int i = 0; i < 2; i++) {
            JsonObject o = objects.get(i).getAsJsonObject();
            assertEquals(i + 1, o.get("object").getAsInt());
            assertEquals(o.get("voxels").getAsLong() * 3.0, o.get("volume").getAsDouble(), 1e-9);
            assertEquals("mm^3", o.get("volume_unit").getAsString());
        }
        long roisOfObject2 = java.util.Arrays.stream(rois).filter(r -> "2".equals(r.getProperty("sam.object"))).count();
        assertEquals(objects.get(1).getAsJsonObject().get("slices").getAsLong(), roisOfObject2);
        // Label 2 lies exactly where object 2's ROIs are, slice by slice (object 2 is painted last).
        for (Roi r : rois) {
            if ("2".equals(r.getProperty("sam.object"))) {
                boolean[] m = MaskRois.toMask(r, 64, 64);
                short[] px = (short[]) labels.getStack().getPixels(r.getPosition());
                for (int k = 0; k < m.length; k++) {
                    assertEquals(m[k], px[k] == 2, "slice " + r.getPosition() + " pixel " + k);
                }
            }
        }
    }

    @Test
    void aMaskFileIsTheResultOnItsSlice() throws Exception {
        Path file = stack(5);
        byte[] px = new byte[64 * 64];
        for (int y = 20; y < 40; y++) {
            for (int x = 15; x < 45; x++) {
                px[y * 64 + x] = (byte) 255;
            }
        }
        IJ.saveAsTiff(new ImagePlus("m", new ByteProcessor(64, 64, px)), temp.resolve("m.tif").toString());
        assertEquals(0, run("propagate", "--checkpoint", MODEL, "--image", file.toString(), "--mask",
                temp.resolve("m.tif") + ",2", "--iou-threshold", "0", "--projection", "box", "--out",
                temp.resolve("mk").toString()), errors[0]);
        ImagePlus labels = IJ.openImage(temp.resolve("mk.labels.tif").toString());
        short[] slice2 = (short[]) labels.getStack().getPixels(2);
        for (int i = 0; i < px.length; i++) {
            assertEquals(px[i] != 0, slice2[i] == 1, "pixel " + i);
        }
        assertTrue(run("propagate", "--checkpoint", MODEL, "--image", file.toString(), "--mask",
                temp.resolve("m.tif") + ",2", "--box", "1,1,9,9,2", "--out", temp.resolve("both").toString()) != 0);
        assertTrue(errors[0].contains("both prompts and a mask on slice 2"), errors[0]);
    }

    @Test
    void propagateRejectsBadInputAndLeavesNoFiles() {
        Path file = stack(4);
        String[][] cases = {
            {"2D image", IMAGE, "--box", "10,10,50,50,1", "2D image"},
            {"missing slice", file.toString(), "--box", "10,10,50,50,9", "slice 9"},
            {"no prompt", file.toString(), "--projection", "mask", "no prompt given"},
            {"bad projection", file.toString(), "--projection=lasso", "--box=10,10,50,50,1", "unknown projection"},
            {"slice 0", file.toString(), "--point", "3,3,0", "whole number from 1"},
        };
        for (String[] c : cases) {
            Path prefix = temp.resolve("bad-" + c[0].replace(' ', '-'));
            assertTrue(run("propagate", "--checkpoint", MODEL, "--image", c[1], c[2], c[3], "--out",
                    prefix.toString()) != 0, c[0] + " must fail");
            assertTrue(errors[0].contains(c[4]), c[0] + ": " + errors[0]);
            assertFalse(Files.exists(temp.resolve(prefix.getFileName() + ".labels.tif")), c[0]);
            assertFalse(Files.exists(temp.resolve(prefix.getFileName() + ".json")), c[0]);
        }
    }

    @Test
    void autoRejectsBadSettings() {
        assertEquals(1, run("auto", "--checkpoint", MODEL, "--image", IMAGE, "--mode", "panoptic", "--out",
                temp.resolve("x").toString()));
        assertTrue(errors[0].contains("amg or semantic"), errors[0]);
        assertEquals(1, run("auto", "--checkpoint", MODEL, "--image", IMAGE, "--stability-score-thresh", "2", "--out",
                temp.resolve("x").toString()));
        assertTrue(errors[0].contains("stability score threshold"), errors[0]);
        assertEquals(1, run("auto", "--checkpoint", MODEL, "--image", IMAGE, "--slices", "2-3", "--out",
                temp.resolve("x").toString()));
        assertTrue(errors[0].contains("outside the image's 1 slice"), errors[0]);
    }

    @Test
    void semanticModeWritesOneRegion() throws Exception {
        assertEquals(0, run("auto", "--checkpoint", MODEL, "--image", IMAGE, "--mode", "semantic", "--out",
                temp.resolve("sem").toString()), errors[0]);
        JsonObject j = json(temp.resolve("sem.json"));
        JsonArray regions = j.getAsJsonArray("regions");
        ImagePlus labels = IJ.openImage(temp.resolve("sem.labels.tif").toString());
        short[] px = (short[]) labels.getProcessor().getPixels();
        long ones = 0;
        for (short v : px) {
            assertTrue(v == 0 || v == 1);
            ones += v;
        }
        assertEquals(regions.size() == 0 ? 0 : regions.get(0).getAsJsonObject().get("area").getAsLong(), ones);
        assertArrayEquals(new int[] {97, 150}, new int[] {labels.getWidth(), labels.getHeight()});
    }

    @Test
    void classModelsGiveOneLabelPerClass() throws Exception {
        // Class 2's model is class 1's with its mask output negated: it claims exactly what class 1 leaves out.
        Path negated = temp.resolve("negated.safetensors");
        FineTuneCommandTestData.writeNegatedModel(Path.of(MODEL), negated);
        assertEquals(0, run("auto", "--checkpoint", MODEL, "--image", IMAGE, "--mode", "semantic", "--out",
                temp.resolve("one").toString()), errors[0]);
        assertEquals(0, run("auto", "--checkpoint", MODEL, "--class-model", negated.toString(), "--image", IMAGE,
                "--mode", "semantic", "--out", temp.resolve("two").toString()), errors[0]);
        short[] one = (short[]) IJ.openImage(temp.resolve("one.labels.tif").toString()).getProcessor().getPixels();
        short[] two = (short[]) IJ.openImage(temp.resolve("two.labels.tif").toString()).getProcessor().getPixels();
        int[] counts = new int[3];
        for (int i = 0; i < one.length; i++) {
            assertEquals(one[i] == 1 ? 1 : 2, two[i], "pixel " + i);
            counts[two[i]]++;
        }
        assertTrue(counts[1] > 0 && counts[2] > 0, java.util.Arrays.toString(counts));
        JsonArray classes = json(temp.resolve("two.json")).getAsJsonArray("classes");
        assertEquals(2, classes.size());
        assertEquals(negated.toString(), classes.get(1).getAsJsonObject().get("model").getAsString());

        assertEquals(1, run("auto", "--checkpoint", MODEL, "--class-model", negated.toString(), "--image", IMAGE,
                "--out", temp.resolve("x").toString()));
        assertTrue(errors[0].contains("--class-model needs --mode semantic"), errors[0]);
    }
}
