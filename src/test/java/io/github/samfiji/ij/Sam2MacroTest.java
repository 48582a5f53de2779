package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.Roi;
import ij.macro.Interpreter;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.cli.SamFijiCli;
import io.github.samfiji.imagejio.MaskRois;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.Npy;
import io.github.samfiji.testing.NeedsDisplay;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Fiji commands that prompt an image, run by a macro with the SAM 2.1 fixture checkpoint (its configuration beside
 * it as {@code sam2_tiny.json}, as a user keeps a non-published model): Segment with Prompt gives the reference image
 * predictor's masks, Propagate in 3D the reference video predictor's final labels (the numbers the CLI tests check),
 * and both equal what the command line writes for the same prompts.
 */
@NeedsDisplay
@NeedsSharedData
class Sam2MacroTest {

    private static final String SET = "sam2_tiny";
    private static final int W = 97;
    private static final int H = 150;

    @TempDir
    static Path models;

    @TempDir
    Path temp;

    private static Path model;

    @BeforeAll
    static void setUp() throws Exception {
        ImageJMenus.registerCommands();
        Path set = Fixtures.set(SET);
        model = Files.copy(set.resolve("sam2_tiny.pt"), models.resolve("sam2_tiny.pt"));
        Files.copy(set.resolve("config.json"), models.resolve("sam2_tiny.json"));
    }

    private static String run(String macro) {
        return new Interpreter().run("setBatchMode(true);\n" + macro, null);
    }

    private static Roi[] saved(Path roiSet) {
        RoiManager hidden = new RoiManager(true);
        assertTrue(hidden.open(roiSet.toString()), "RoiSet readable: " + roiSet);
        return hidden.getRoisAsArray();
    }

    @Test
    void segmentWithPromptGivesTheReferenceMasksAndTheCommandLinesRois() throws Exception {
        // box: pixels 21..60 x 30..69 = the reference box [21, 30, 60, 69], one mask; point1: (41, 50), best of 3.
        check("box", "makeRectangle(21, 30, 40, 40);", "", new String[] {"--box", "21,30,60,69"});
        check("point1", "makePoint(41, 50);", "multimask ", new String[] {"--point", "41,50,1", "--multimask"});
    }

    private void check(String c, String selection, String multimask, String[] cliPrompt) throws Exception {
        CommandDialog.lastError = null;
        Path image = Fixtures.set(SET).resolve("image.png");
        Path rois = temp.resolve(c + ".zip");
        Path labels = temp.resolve(c + "-labels.tif");
        run("close('*'); roiManager('reset'); open('" + image + "');\n" + selection + "\n"
                + "run('Segment with Prompt', 'model=[" + model + "] prompts=[Image selection] " + multimask
                + "candidate=[Best predicted IoU] add label');\n"
                + "roiManager('save', '" + rois + "'); selectImage('image-labels'); saveAs('Tiff', '" + labels + "');");
        assertEquals(null, CommandDialog.lastError, c);
        String tag = c + "__" + (multimask.isEmpty() ? "mmF" : "mmT") + "__";
        float[] iou = Fixtures.npy(SET, tag + "iou_predictions").floats();
        int best = 0;
        for (int i = 1; i < iou.length; i++) {
            best = iou[i] > iou[best] ? i : best;
        }
        float[] logits = Fixtures.npy(SET, tag + "logits_orig").floats();
        int area = W * H;
        short[] fromMacro = (short[]) IJ.openImage(labels.toString()).getProcessor().getPixels();
        int objectPixels = 0;
        for (int k = 0; k < area; k++) {
            float ref = logits[best * area + k];
            if (Math.abs(ref) > 1e-4) {
                assertEquals(ref > 0 ? 1 : 0, fromMacro[k], c + ": label at pixel " + k);
            }
            objectPixels += fromMacro[k] != 0 ? 1 : 0;
        }
        assertTrue(objectPixels > 0, c + ": an object was found");
        Roi[] macroRois = saved(rois);
        assertEquals(1, macroRois.length);

        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("segment", "--checkpoint",
                model.toString(), "--image", image.toString(), "--out", temp.resolve("cli-" + c).toString()));
        a.addAll(java.util.List.of(cliPrompt));
        assertEquals(0, SamFijiCli.run(a.toArray(String[]::new)));
        Roi[] cliRois = saved(temp.resolve("cli-" + c + ".rois.zip"));
        assertArrayEquals(MaskRois.toMask(cliRois[0], W, H), MaskRois.toMask(macroRois[0], W, H),
                c + ": the macro's ROI is the command line's");
        WindowManager.closeAllWindows();
    }

    /** Auto-segment with SAM 2.1: the core generator's objects, and the command line's label image. */
    @Test
    void autoSegmentGivesTheCoresObjectsAndTheCommandLinesLabels() throws Exception {
        CommandDialog.lastError = null;
        Path image = Fixtures.set(SET).resolve("image.png");
        Path macroLabels = temp.resolve("macro-auto.tif");
        String result = run("close('*'); roiManager('reset'); open('" + image + "');\n"
                + "run('Auto-segment', 'model=[" + model + "] mode=[" + AutoSegmentCommand.AMG + "] points=8 "
                + "predicted=0.45 stability=0.5 box=0.9 crop=0 minimum=0 tile=0 overlap=256 add label');\n"
                + "n = roiManager('count'); selectImage('image-labels'); saveAs('Tiff', '" + macroLabels + "');\n"
                + "return '' + n;");
        assertEquals(null, CommandDialog.lastError);
        java.util.List<io.github.samfiji.inference.InstanceMask> expected;
        try (io.github.samfiji.checkpoint.LoadedModel loaded = io.github.samfiji.checkpoint.ModelLoader.loadAny(model,
                null)) {
            io.github.samfiji.inference.PromptPredictor p = io.github.samfiji.inference.PromptPredictor.of(loaded);
            expected = new io.github.samfiji.inference.AutomaticMaskGenerator(p, p.amgDefaults().pointsPerSide(8)
                    .predIouThresh(0.45).stabilityScoreThresh(0.5).boxNmsThresh(0.9))
                    .generate(io.github.samfiji.model.sam2.Sam2Fixture.image(), io.github.samfiji.io.Progress.NONE)
                    .masks();
        }
        assertTrue(expected.size() > 0);
        assertEquals(Integer.toString(expected.size()), result, "one ROI per object of the core generator");
        assertEquals(0, SamFijiCli.run("auto", "--checkpoint", model.toString(), "--image", image.toString(),
                "--points-per-side", "8", "--pred-iou-thresh", "0.45", "--stability-score-thresh", "0.5",
                "--box-nms-thresh", "0.9", "--out", temp.resolve("cli-auto").toString()));
        short[] fromMacro = (short[]) IJ.openImage(macroLabels.toString()).getProcessor().getPixels();
        short[] fromCli = (short[]) IJ.openImage(temp.resolve("cli-auto.labels.tif").toString()).getProcessor()
                .getPixels();
        assertArrayEquals(fromCli, fromMacro);
        com.google.gson.JsonObject json = com.google.gson.JsonParser.parseString(Files.readString(
                temp.resolve("cli-auto.json"))).getAsJsonObject();
        assertEquals("sam2.1", json.get("model_family").getAsString());
        assertEquals(expected.size(), json.getAsJsonArray("objects").size());
        WindowManager.closeAllWindows();
    }

    /**
     * An outline drawn on a slice (here: the reference's video_box labels of slice 4 as a traced ROI) is that slice's
     * mask for SAM 2.1 too (add_new_mask): slice 4 is what the reference's operations make of it, and the whole label
     * stack equals the command line's with the same mask.
     */
    @Test
    void aDrawnOutlineConditionsTheMemoryAsOnTheCommandLine() throws Exception {
        CommandDialog.lastError = null;
        Path stack = Fixtures.set(SET).resolve("stack.tif");
        float[] ref = Fixtures.npy(SET, "video_box__final_logits").floats();
        int area = W * H;
        boolean[] given = new boolean[area];
        ij.process.ByteProcessor maskImage = new ij.process.ByteProcessor(W, H);
        for (int k = 0; k < area; k++) {
            given[k] = ref[3 * area + k] > 0;
            maskImage.set(k, given[k] ? 255 : 0);
        }
        Roi outline = MaskRois.toRoi(given, W, H);
        assertArrayEquals(given, MaskRois.toMask(outline, W, H), "the outline is the mask");
        outline.setPosition(4);
        Path roiSet = temp.resolve("outline.zip");
        io.github.samfiji.imagejio.RoiSets.write(roiSet, java.util.List.of(outline), false);
        Path maskFile = temp.resolve("mask.tif");
        IJ.saveAsTiff(new ImagePlus("mask", maskImage), maskFile.toString());
        Path macroLabels = temp.resolve("macro-outline.tif");
        run("close('*'); roiManager('reset'); open('" + stack + "'); roiManager('open', '" + roiSet + "');\n"
                + "run('Propagate in 3D', 'model=[" + model + "] label');\n"
                + "selectImage('stack-labels'); saveAs('Tiff', '" + macroLabels + "');");
        assertEquals(null, CommandDialog.lastError);
        assertEquals(0, SamFijiCli.run("propagate", "--checkpoint", model.toString(), "--image", stack.toString(),
                "--mask", maskFile + ",4", "--out", temp.resolve("cli-outline").toString()));
        ImagePlus fromMacro = IJ.openImage(macroLabels.toString());
        ImagePlus fromCli = IJ.openImage(temp.resolve("cli-outline.labels.tif").toString());
        float[] expected = Npy.read(Path.of("src/test/resources/sam2/add_new_mask_z4_logits.npy")).floats();
        short[] slice4 = (short[]) fromMacro.getStack().getProcessor(4).getPixels();
        for (int k = 0; k < area; k++) {
            if (Math.abs(expected[k]) > 1e-4) {
                assertEquals(expected[k] > 0 ? 1 : 0, slice4[k], "slice 4 at pixel " + k);
            }
        }
        for (int z = 1; z <= 8; z++) {
            assertArrayEquals((short[]) fromCli.getStack().getProcessor(z).getPixels(),
                    (short[]) fromMacro.getStack().getProcessor(z).getPixels(), "slice " + z);
        }
        WindowManager.closeAllWindows();
    }

    @Test
    void propagateInThreeDTracksWithMemoryAsTheReferenceAndTheCommandLine() throws Exception {
        CommandDialog.lastError = null;
        Path stack = Fixtures.set(SET).resolve("stack.tif");
        Path macroLabels = temp.resolve("macro-prop.tif");
        // The fixture's video_box prompt: box (25.0, 34.76) - (63.69, 100.24) on slice 4, as a subpixel rectangle.
        run("close('*'); roiManager('reset'); open('" + stack + "'); setSlice(4);\n"
                + "makeRectangle(25.0, 34.76, 39.69, 66.48); Roi.setPosition(4); roiManager('add');\n"
                + "run('Propagate in 3D', 'model=[" + model + "] label');\n"
                + "selectImage('stack-labels'); saveAs('Tiff', '" + macroLabels + "');");
        assertEquals(null, CommandDialog.lastError);
        assertEquals(0, SamFijiCli.run("propagate", "--checkpoint", model.toString(), "--image", stack.toString(),
                "--box", "25.0,34.76,63.69,100.24,4", "--out", temp.resolve("cli-prop").toString()));
        float[] ref = Fixtures.npy(SET, "video_box__final_logits").floats();
        ImagePlus fromMacro = IJ.openImage(macroLabels.toString());
        ImagePlus fromCli = IJ.openImage(temp.resolve("cli-prop.labels.tif").toString());
        assertEquals(8, fromMacro.getStackSize());
        int area = W * H;
        long foreground = 0;
        for (int z = 0; z < 8; z++) {
            short[] macro = (short[]) fromMacro.getStack().getProcessor(z + 1).getPixels();
            assertArrayEquals((short[]) fromCli.getStack().getProcessor(z + 1).getPixels(), macro, "slice " + (z + 1));
            for (int k = 0; k < area; k++) {
                float r = ref[z * area + k];
                if (Math.abs(r) > 1e-2) {
                    assertEquals(r > 0 ? 1 : 0, macro[k], "slice " + (z + 1) + " label at pixel " + k);
                }
                foreground += macro[k] != 0 ? 1 : 0;
            }
        }
        assertTrue(foreground > 0, "the object was found");
        WindowManager.closeAllWindows();
    }
}
