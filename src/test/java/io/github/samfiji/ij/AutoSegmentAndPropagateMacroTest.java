package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.WindowManager;
import ij.gui.Roi;
import ij.macro.Interpreter;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.AmgSettings;
import io.github.samfiji.inference.AutomaticMaskGenerator;
import io.github.samfiji.inference.InstanceMask;
import io.github.samfiji.io.Progress;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.inference.StackEmbeddings;
import io.github.samfiji.inference.VolumePropagator;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.github.samfiji.imagejio.MaskRois;
import io.github.samfiji.imagejio.ImageWrapping;

/**
 * Auto-segment and Propagate in 3D run from real ImageJ 1 macros by their menu names; the ROIs they produce must
 * equal what the core computes directly for the same image and settings.
 */
@NeedsDisplay
class AutoSegmentAndPropagateMacroTest {

    private static final String SAMPLE = Path.of("samples/fixture-image.png").toAbsolutePath().toString();
    private static final Path MODEL_PATH = Path.of("samples/sam_tiny.pth").toAbsolutePath();
    private static final String MODEL = MODEL_PATH.toString();

    @BeforeAll
    static void registerMenuCommands() {
        ImageJMenus.registerCommands();
    }

    @TempDir
    Path temp;

    private static String run(String macro) {
        return new Interpreter().run("setBatchMode(true);\n" + macro, null);
    }

    private static Roi[] saved(Path roiSet) {
        RoiManager hidden = new RoiManager(true);
        assertTrue(hidden.open(roiSet.toString()), "RoiSet readable: " + roiSet);
        return hidden.getRoisAsArray();
    }

    @Test
    void autoSegmentGivesTheCoresObjectsAsRoisAndATable() throws Exception {
        CommandDialog.lastError = null;
        String result = run("open('" + SAMPLE + "'); roiManager('reset');\n"
                + "run('Auto-segment', 'model=[" + MODEL + "] mode=[" + AutoSegmentCommand.AMG + "] points=8 "
                + "predicted=0 stability=0 box=0.7 crop=0 minimum=0 tile=0 overlap=256 add label');\n"
                + "n = roiManager('count'); if (n > 0) roiManager('save', '" + temp.resolve("auto.zip") + "');\n"
                + "return '' + n + ' ' + isOpen('fixture-image-labels');");
        assertEquals(null, CommandDialog.lastError);
        Rgb8Image rgb = ImageConversion.toRgb8(ImageWrapping.wrapPlane(IJ.openImage(SAMPLE), 1));
        List<InstanceMask> expected;
        try (SamModel model = ModelLoader.load(MODEL_PATH, null)) {
            expected = new AutomaticMaskGenerator(new SamPredictor(model), AmgSettings.defaults().pointsPerSide(8)
                    .predIouThresh(0).stabilityScoreThresh(0)).generate(rgb, Progress.NONE).masks();
        }
        assertTrue(expected.size() > 0, "the tiny model finds some objects at these thresholds");
        assertEquals(expected.size() + " 1", result, "ROIs added and the label image shown");
        Roi[] rois = saved(temp.resolve("auto.zip"));
        for (int i = 0; i < rois.length; i++) {
            assertArrayEquals(expected.get(i).toFull(97, 150), MaskRois.toMask(rois[i], 97, 150), "object " + (i + 1));
            assertEquals(Integer.toString(i + 1), rois[i].getProperty("sam.label"));
            assertEquals(expected.get(i).area(), Long.parseLong(rois[i].getProperty("sam.area")));
        }
        ResultsTable table = ResultsTable.getResultsTable(AutoSegmentCommand.TABLE);
        assertEquals(expected.size(), table.size());
        assertEquals(expected.get(0).area(), table.getValue("Area (pixels)", 0), 0);
        WindowManager.closeAllWindows();
    }

    @Test
    void semanticClassModelsLabelEachPixelByItsMostConfidentClass() throws Exception {
        // Class 2 is class 1's model with its mask output negated, so it claims what class 1 leaves out.
        Path negated = temp.resolve("negated.safetensors");
        boolean[] one;
        Rgb8Image rgb = ImageConversion.toRgb8(ImageWrapping.wrapPlane(IJ.openImage(SAMPLE), 1));
        try (SamModel model = ModelLoader.load(MODEL_PATH, null)) {
            one = new io.github.samfiji.inference.PromptFreeSegmenter(new SamPredictor(model), 0, 0)
                    .mask(rgb, Progress.NONE);
        }
        io.github.samfiji.cli.FineTuneCommandTestData.writeNegatedModel(MODEL_PATH, negated);
        CommandDialog.lastError = null;
        WindowManager.closeAllWindows();
        run("close('*'); open('" + SAMPLE + "'); roiManager('reset');\n"
                + "run('Auto-segment', 'model=[" + MODEL + "] mode=[" + AutoSegmentCommand.SEMANTIC + "] class=["
                + negated + "] points=8 predicted=0 stability=0 box=0.7 crop=0 minimum=0 tile=0 overlap=256 label');\n"
                + "selectImage('fixture-image-labels'); saveAs('Tiff', '" + temp.resolve("classes.tif") + "');");
        assertEquals(null, CommandDialog.lastError);
        short[] labels = (short[]) IJ.openImage(temp.resolve("classes.tif").toString()).getProcessor().getPixels();
        int twos = 0;
        for (int i = 0; i < labels.length; i++) {
            assertEquals(one[i] ? 1 : 2, labels[i], "pixel " + i);
            twos += labels[i] == 2 ? 1 : 0;
        }
        assertTrue(twos > 0);
        WindowManager.closeAllWindows();
    }

    /** A stack of 7 slices with a bright disc whose radius changes with the slice; 2 um slices. */
    private Path discStack() {
        ImageStack stack = new ImageStack(64, 64);
        for (int z = 0; z < 7; z++) {
            byte[] px = new byte[64 * 64];
            double r = 18 - Math.abs(z - 3) * 3;
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    px[y * 64 + x] = (byte) ((x - 32) * (x - 32) + (y - 32) * (y - 32) <= r * r ? 200 : 20 + z);
                }
            }
            stack.addSlice(new ByteProcessor(64, 64, px));
        }
        ImagePlus imp = new ImagePlus("discs", stack);
        imp.getCalibration().pixelWidth = 0.5;
        imp.getCalibration().pixelHeight = 0.5;
        imp.getCalibration().pixelDepth = 2;
        imp.getCalibration().setUnit("um");
        Path file = temp.resolve("discs.tif");
        IJ.saveAsTiff(imp, file.toString());
        return file;
    }

    @Test
    void propagateGivesTheCoresMasksOnEverySliceAndTheVolume() throws Exception {
        CommandDialog.lastError = null;
        Path stack = discStack();
        String result = run("open('" + stack + "'); roiManager('reset');\n"
                + "setSlice(4); makeRectangle(10, 10, 45, 45); Roi.setPosition(4); roiManager('add');\n"
                + "run('Propagate in 3D', 'model=[" + MODEL + "] projection=mask iou=0 box=0.05 add label');\n"
                + "n = roiManager('count'); if (n > 0) roiManager('save', '" + temp.resolve("prop.zip") + "');\n"
                + "return '' + n;");
        assertEquals(null, CommandDialog.lastError);
        ImagePlus imp = IJ.openImage(stack.toString());
        VolumePropagator.Result expected;
        try (SamModel model = ModelLoader.load(MODEL_PATH, null)) {
            SamPredictor predictor = new SamPredictor(model);
            StackSlices planes = StackSlices.of(imp);
            try (StackEmbeddings embeddings = new StackEmbeddings(predictor, planes.asFunction(), 7, null, "")) {
                expected = new VolumePropagator(new VolumePropagator.Settings(VolumePropagator.Projection.MASK, 0, 0.05))
                        .propagate(VolumePropagator.withModel(predictor, embeddings, 64, 64),
                                List.of(new VolumePropagator.SlicePrompt(3, new Prompt(List.of(),
                                        new Prompt.Box(10, 10, 54, 54), null))), Progress.NONE);
            }
        }
        Roi[] rois = saved(temp.resolve("prop.zip"));
        // The prompt ROI plus one ROI per slice reached (empty masks give no ROI).
        int nonEmpty = (int) expected.slices().values().stream().filter(m -> m.mask().length > 0
                && io.github.samfiji.inference.MaskGeometry.area(m.mask()) > 0).count();
        assertEquals(Integer.toString(1 + nonEmpty), result);
        int k = 1;
        for (var e : expected.slices().entrySet()) {
            Roi roi = rois[k++];
            assertEquals(e.getKey() + 1, roi.getPosition(), "ROI on its slice");
            assertEquals(1, roi.getGroup(), "grouped as object 1");
            assertArrayEquals(e.getValue().mask(), MaskRois.toMask(roi, 64, 64), "slice " + (e.getKey() + 1));
        }
        ResultsTable table = ResultsTable.getResultsTable(Propagate3DCommand.TABLE);
        assertEquals(1, table.size());
        assertEquals(expected.first() + 1, table.getValue("First slice", 0), 0);
        assertEquals(expected.voxelCount() * 0.5 * 0.5 * 2, table.getValue("Volume (" + imp.getCalibration().getUnit() + "^3)", 0), 1e-9);
        WindowManager.closeAllWindows();
    }

    @Test
    void anOutlineDrawnOnASliceIsKeptAsThatSlicesMask() throws Exception {
        CommandDialog.lastError = null;
        Path stack = discStack();
        String result = run("open('" + stack + "'); roiManager('reset');\n"
                + "setSlice(4); makePolygon(20, 20, 44, 22, 40, 44, 22, 40); Roi.setPosition(4); roiManager('add');\n"
                + "run('Propagate in 3D', 'model=[" + MODEL + "] projection=box iou=0 box=0.05 add');\n"
                + "n = roiManager('count'); if (n > 0) roiManager('save', '" + temp.resolve("outline.zip") + "');\n"
                + "return '' + n;");
        assertEquals(null, CommandDialog.lastError);
        Roi[] rois = saved(temp.resolve("outline.zip"));
        boolean[] drawn = MaskRois.toMask(rois[0], 64, 64);
        Roi onSlice4 = null;
        for (int i = 1; i < rois.length; i++) {
            if (rois[i].getPosition() == 4) {
                onSlice4 = rois[i];
            }
        }
        assertTrue(onSlice4 != null, "slice 4 is in the result: " + result);
        assertArrayEquals(drawn, MaskRois.toMask(onSlice4, 64, 64), "the drawn outline is the result on its slice");
        WindowManager.closeAllWindows();
    }

    @Test
    void propagationRefusesA2dImageAndAPromptlessManager() {
        CommandDialog.lastError = null;
        String flat = run("open('" + SAMPLE + "'); roiManager('reset'); makeRectangle(10, 10, 20, 20); roiManager('add');\n"
                + "run('Propagate in 3D', 'model=[" + MODEL + "] projection=mask iou=0.5 box=0.05 add');\nreturn 'went on';");
        assertTrue(flat == null || !flat.equals("went on"));
        assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.contains("2D image"), CommandDialog.lastError);
        WindowManager.closeAllWindows();
        CommandDialog.lastError = null;
        String empty = run("open('" + discStack() + "'); roiManager('reset');\n"
                + "run('Propagate in 3D', 'model=[" + MODEL + "] projection=mask iou=0.5 box=0.05 add');\nreturn 'went on';");
        assertTrue(empty == null || !empty.equals("went on"));
        assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.contains("ROI Manager is empty"),
                CommandDialog.lastError);
        WindowManager.closeAllWindows();
    }

    private static short[] labelPixels(Path tiff, int slice) {
        ImagePlus imp = IJ.openImage(tiff.toString());
        return (short[]) imp.getStack().getProcessor(slice).getPixels();
    }

    @Test
    void theCommandLineAndTheMacroWriteTheSameLabelImages() throws Exception {
        // One core per job: the same image and settings give the same labels from either front end.
        CommandDialog.lastError = null;
        Path macroAuto = temp.resolve("macro-auto.tif");
        run("close('*'); open('" + SAMPLE + "'); roiManager('reset');\n"
                + "run('Auto-segment', 'model=[" + MODEL + "] mode=[" + AutoSegmentCommand.AMG + "] points=8 "
                + "predicted=0 stability=0 box=0.7 crop=0 minimum=0 tile=0 overlap=256 label');\n"
                + "selectImage('fixture-image-labels'); saveAs('Tiff', '" + macroAuto + "');");
        assertEquals(null, CommandDialog.lastError);
        assertEquals(0, io.github.samfiji.cli.SamFijiCli.run("auto", "--checkpoint", MODEL, "--image", SAMPLE,
                "--points-per-side", "8", "--pred-iou-thresh", "0", "--stability-score-thresh", "0",
                "--out", temp.resolve("cli-auto").toString()));
        short[] fromMacro = labelPixels(macroAuto, 1);
        assertArrayEquals(fromMacro, labelPixels(temp.resolve("cli-auto.labels.tif"), 1));
        int max = 0;
        for (short v : fromMacro) {
            max = Math.max(max, v);
        }
        assertTrue(max >= 1, "objects found");
        WindowManager.closeAllWindows();

        Path stack = discStack();
        Path macroLabels = temp.resolve("macro-prop.tif");
        run("close('*'); open('" + stack + "'); roiManager('reset');\n"
                + "setSlice(4); makeRectangle(10, 10, 45, 45); Roi.setPosition(4); roiManager('add');\n"
                + "run('Propagate in 3D', 'model=[" + MODEL + "] projection=mask iou=0 box=0.05 label');\n"
                + "selectImage('discs-labels'); saveAs('Tiff', '" + macroLabels + "');");
        assertEquals(null, CommandDialog.lastError);
        assertEquals(0, io.github.samfiji.cli.SamFijiCli.run("propagate", "--checkpoint", MODEL, "--image",
                stack.toString(), "--box", "10,10,54,54,4", "--projection", "mask", "--iou-threshold", "0",
                "--out", temp.resolve("cli-prop").toString()));
        long foreground = 0;
        for (int z = 1; z <= 7; z++) {
            short[] fromMacroSlice = labelPixels(macroLabels, z);
            assertArrayEquals(fromMacroSlice, labelPixels(temp.resolve("cli-prop.labels.tif"), z), "slice " + z);
            for (short v : fromMacroSlice) {
                foreground += v != 0 ? 1 : 0;
            }
        }
        assertTrue(foreground > 0, "the object was found");
        WindowManager.closeAllWindows();
    }

    @Test
    void theMacroShowsTheSameProbabilityMapAsTheCommandLineWrites() throws Exception {
        CommandDialog.lastError = null;
        Path macroMap = temp.resolve("macro-prob.tif");
        run("close('*'); open('" + SAMPLE + "');\n"
                + "run('Auto-segment', 'model=[" + MODEL + "] mode=[" + AutoSegmentCommand.SEMANTIC + "] points=8 "
                + "predicted=0 stability=0 box=0.7 crop=0 minimum=0 tile=0 overlap=256 label probability');\n"
                + "selectImage('fixture-image-probability'); saveAs('Tiff', '" + macroMap + "');");
        assertEquals(null, CommandDialog.lastError);
        assertEquals(0, io.github.samfiji.cli.SamFijiCli.run("auto", "--checkpoint", MODEL, "--image", SAMPLE,
                "--mode", "semantic", "--prob", "--out", temp.resolve("cli-sem").toString()));
        float[] fromMacro = (float[]) IJ.openImage(macroMap.toString()).getProcessor().getPixels();
        float[] fromCli = (float[]) IJ.openImage(temp.resolve("cli-sem.prob.tif").toString()).getProcessor()
                .getPixels();
        assertArrayEquals(fromCli, fromMacro);
        WindowManager.closeAllWindows();
    }
}
