package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.WindowManager;
import ij.gui.OvalRoi;
import ij.gui.Roi;
import ij.macro.Interpreter;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import io.github.samfiji.evaluation.LabelMetrics;
import io.github.samfiji.evaluation.MetricsTable;
import io.github.samfiji.evaluation.SegmentationMetrics;
import io.github.samfiji.testing.NeedsDisplay;
import java.util.List;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.RealType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Evaluate Segmentation with the prediction in the ROI Manager or given as a probability map, run from a macro
 * line. Images and ROIs are built here; the expected table is {@link SegmentationMetrics} applied to label images
 * painted independently of the command (pixel loops, not ROI masks), with the summary rows of {@link MetricsTable}.
 */
@NeedsDisplay
class EvaluateSegmentationSourcesMacroTest {

    private static final String TABLE = EvaluateSegmentationCommand.TABLE;

    @BeforeEach
    void setUp() {
        ImageJMenus.registerCommands();
        CommandDialog.lastError = null;
    }

    @AfterEach
    void tearDown() {
        RoiManager rm = RoiManager.getInstance();
        if (rm != null) {
            rm.reset();
            rm.close();
        }
        ImageJMenus.closeEverything();
    }

    private static String macro(String code) {
        return new Interpreter().run(code, null);
    }

    /** The ROI Manager (a real one: macros in batch mode share it only when it exists beforehand). */
    private static RoiManager manager() {
        RoiManager rm = RoiManager.getInstance();
        if (rm == null) {
            rm = new RoiManager();
        }
        rm.reset();
        return rm;
    }

    @Test
    void roiManagerObjectsAgainstALabelImage() {
        int w = 40;
        int h = 30;
        // Truth: label 1 a rectangle, label 2 a rectangle elsewhere.
        int[] truth = new int[w * h];
        fillRect(truth, w, 0, 5, 4, 10, 8, 1);
        fillRect(truth, w, 0, 22, 10, 12, 12, 2);
        show("truth", w, h, 1, truth);
        // Prediction: ROI 1 a shifted rectangle (label 1), ROI 2 an oval (label 2), no groups.
        RoiManager rm = manager();
        rm.addRoi(new Roi(7, 5, 10, 8));
        rm.addRoi(new OvalRoi(21, 9, 14, 13));
        int[] expected = new int[w * h];
        fillRect(expected, w, 0, 7, 5, 10, 8, 1);
        fillOval(expected, w, h, 21, 9, 14, 13, 2);

        String result = macro("run('Evaluate Segmentation', 'prediction=[ROI Manager] ground=truth bootstrap=50"
                + " seed=3');\nreturn 'done';");
        assertEquals("done", result, "macro finished; error: " + CommandDialog.lastError);
        ResultsTable rt = table();
        MetricsTable want = expectedTable("truth", ArrayImgs.ints(expected, w, h), ArrayImgs.ints(truth, w, h), null,
                new SegmentationMetrics());
        assertTable(want, 50, 3, rt);
        // Hand check of label 1: two 10 x 8 rectangles, shifted by (2, 1), overlap on 8 x 7 pixels.
        assertEquals(2.0 * 56 / 160, rt.getValue("dice", 0), 1e-9);
    }

    @Test
    void roiManagerAgainstAMaskNeedsBinaryAndSaysSo() {
        int w = 20;
        int h = 20;
        int[] mask = new int[w * h];
        fillRect(mask, w, 0, 4, 4, 8, 8, 255);
        show("mask", w, h, 1, mask);
        RoiManager rm = manager();
        rm.addRoi(new Roi(4, 4, 8, 4));
        rm.addRoi(new Roi(4, 8, 8, 6));

        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        java.io.PrintStream console = System.out;
        System.setOut(new java.io.PrintStream(log, true));
        try {
            macro("run('Evaluate Segmentation', 'prediction=[ROI Manager] ground=mask bootstrap=0');");
        } finally {
            System.setOut(console);
        }
        assertTrue(log.toString().contains("tick Binary masks"), "hint in the log: " + log);

        // Binary: the ROIs together (an 8 x 10 area) against the 8 x 8 mask.
        String result = macro("run('Evaluate Segmentation', 'prediction=[ROI Manager] ground=mask binary"
                + " bootstrap=0');\nreturn 'done';");
        assertEquals("done", result, "macro finished; error: " + CommandDialog.lastError);
        assertEquals(2.0 * 64 / (80 + 64), table().getValue("dice", 0), 1e-12);
        assertEquals("1", table().getStringValue("label", 0));
    }

    @Test
    void roiManagerGroupsOnStackSlices() {
        int w = 20;
        int h = 16;
        int d = 3;
        int[] truth = new int[w * h * d];
        fillRect(truth, w, 0, 2, 2, 8, 8, 4);             // object 4 on slices 1 and 2
        fillRect(truth, w, w * h, 2, 2, 8, 8, 4);
        fillRect(truth, w, 2 * w * h, 10, 6, 6, 6, 7);    // object 7 on slice 3
        show("truth stack", w, h, d, truth);
        RoiManager rm = manager();
        rm.addRoi(positioned(new Roi(3, 2, 8, 8), 1, 4));
        rm.addRoi(positioned(new Roi(2, 2, 8, 6), 2, 4));
        rm.addRoi(positioned(new Roi(11, 6, 6, 6), 3, 7));
        rm.addRoi(positioned(new Roi(0, 12, 4, 4), 3, 9)); // a false positive
        int[] expected = new int[w * h * d];
        fillRect(expected, w, 0, 3, 2, 8, 8, 4);
        fillRect(expected, w, w * h, 2, 2, 8, 6, 4);
        fillRect(expected, w, 2 * w * h, 11, 6, 6, 6, 7);
        fillRect(expected, w, 2 * w * h, 0, 12, 4, 4, 9);

        for (boolean perSlice : new boolean[] {false, true}) {
            String result = macro("run('Evaluate Segmentation', 'prediction=[ROI Manager] ground=[truth stack]"
                    + (perSlice ? " per" : "") + " bootstrap=20 seed=5');\nreturn 'done';");
            assertEquals("done", result, "macro finished; error: " + CommandDialog.lastError);
            MetricsTable want = MetricsTable.segmentation();
            if (perSlice) {
                for (int z = 0; z < d; z++) {
                    int[] p = java.util.Arrays.copyOfRange(expected, z * w * h, (z + 1) * w * h);
                    int[] t = java.util.Arrays.copyOfRange(truth, z * w * h, (z + 1) * w * h);
                    for (LabelMetrics m : new SegmentationMetrics().evaluate(ArrayImgs.ints(p, w, h),
                            ArrayImgs.ints(t, w, h))) {
                        want.add("truth stack:" + (z + 1), m);
                    }
                }
            } else {
                want = expectedTable("truth stack", ArrayImgs.ints(expected, w, h, d), ArrayImgs.ints(truth, w, h, d),
                        null, new SegmentationMetrics());
            }
            assertTable(want, 20, 5, table());
        }
    }

    @Test
    void probabilityMapGivesAucAndThresholdedMetrics() {
        int w = 24;
        int h = 20;
        int[] truth = new int[w * h];
        fillRect(truth, w, 0, 6, 5, 10, 9, 1);
        show("mask", w, h, 1, truth);
        float[] scores = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // High inside a disc slightly off the truth, decaying outside, with a ripple for ties' sake.
                double r = Math.hypot(x - 12, y - 10);
                scores[y * w + x] = (float) (1 / (1 + Math.exp(r - 5)) + 0.01 * ((x * 7 + y * 3) % 5));
            }
        }
        new ImagePlus("scores", new FloatProcessor(w, h, scores)).show();
        int[] pred = new int[w * h];
        fillRect(pred, w, 0, 5, 5, 10, 9, 1);
        show("pred", w, h, 1, pred);

        // Map only: the prediction is the map at or above the threshold.
        String result = macro("run('Evaluate Segmentation', 'prediction=None ground=mask probability=scores"
                + " threshold=0.6 bootstrap=10 seed=1');\nreturn 'done';");
        assertEquals("done", result, "macro finished; error: " + CommandDialog.lastError);
        MetricsTable want = expectedTable("scores", null, ArrayImgs.ints(truth, w, h), ArrayImgs.floats(scores, w, h),
                new SegmentationMetrics().withThreshold(0.6));
        assertTable(want, 10, 1, table());
        double dice = table().getValue("dice", 0);
        assertEquals(handDice(scores, 0.6, truth), dice, 1e-9, "Dice of the thresholded map");
        assertFalse(Double.isNaN(table().getValue("auc", 0)), "AUC reported");

        // Prediction image and map: binary metrics from the prediction, AUC from the map.
        result = macro("run('Evaluate Segmentation', 'prediction=pred ground=mask probability=scores bootstrap=10"
                + " seed=1');\nreturn 'done';");
        assertEquals("done", result, "macro finished; error: " + CommandDialog.lastError);
        want = expectedTable("pred", ArrayImgs.ints(pred, w, h), ArrayImgs.ints(truth, w, h),
                ArrayImgs.floats(scores, w, h), new SegmentationMetrics());
        assertTable(want, 10, 1, table());
        assertEquals(2.0 * 81 / 180, table().getValue("dice", 0), 1e-9);
    }

    @Test
    void badInputStopsTheMacroWithAClearMessage() throws java.io.IOException {
        java.nio.file.Path existing = java.nio.file.Files.createTempFile("metrics", ".csv");
        existing.toFile().deleteOnExit();
        show("truth", 20, 20, 1, new int[400]);
        show("small", 10, 20, 1, new int[200]);
        new ImagePlus("scores", new FloatProcessor(20, 10)).show();
        manager();
        String[][] cases = {
            {"prediction=[ROI Manager] ground=truth", "ROI Manager is empty"},
            {"prediction=small ground=truth", "differ in size"},
            {"prediction=None ground=truth probability=scores", "differ in size"},
            {"prediction=None ground=truth", "probability map"},
            {"prediction=truth ground=truth", "same image"},
            {"prediction=truth ground=truth csv=[" + existing + "]", "exists already"},
        };
        for (String[] c : cases) {
            CommandDialog.lastError = null;
            String result = macro("setBatchMode(true);\nrun('Evaluate Segmentation', '" + c[0]
                    + " bootstrap=0');\nreturn 'went on';");
            assertTrue(result == null || !result.equals("went on"), "the macro stops for " + c[0]);
            assertNotNull(CommandDialog.lastError, "an error for " + c[0]);
            assertTrue(CommandDialog.lastError.contains(c[1]), c[0] + " -> " + CommandDialog.lastError);
        }
    }

    private static MetricsTable expectedTable(String name, RandomAccessibleInterval<? extends RealType<?>> pred,
            RandomAccessibleInterval<? extends RealType<?>> truth, RandomAccessibleInterval<? extends RealType<?>> map,
            SegmentationMetrics metrics) {
        MetricsTable want = MetricsTable.segmentation();
        for (LabelMetrics m : metrics.evaluate(pred, truth, map)) {
            want.add(name, m);
        }
        return want;
    }

    /** Every row and summary row of the expected table equals the results table, cell by cell. */
    private static void assertTable(MetricsTable want, int bootstrap, long seed, ResultsTable rt) {
        List<MetricsTable.Row> rows = new java.util.ArrayList<>(want.rows());
        rows.addAll(want.summary(bootstrap, seed));
        assertEquals(rows.size(), rt.size(), "rows of " + rt.getTitle());
        List<String> columns = want.valueColumns();
        for (int i = 0; i < rows.size(); i++) {
            MetricsTable.Row row = rows.get(i);
            assertEquals(row.image(), rt.getStringValue("image", i), "image of row " + i);
            assertEquals(String.valueOf(row.label()), rt.getStringValue("label", i), "label of row " + i);
            for (int c = 0; c < columns.size(); c++) {
                double expected = row.value(c);
                double actual = rt.getValue(columns.get(c), i);
                String what = columns.get(c) + " of row " + i + " (" + row.image() + ", " + row.label() + ")";
                if (Double.isNaN(expected)) {
                    assertTrue(Double.isNaN(actual), what + ": " + actual);
                } else {
                    assertEquals(expected, actual, 1e-9 * Math.max(1, Math.abs(expected)), what);
                }
            }
        }
    }

    private static ResultsTable table() {
        ResultsTable rt = ResultsTable.getResultsTable(TABLE);
        assertNotNull(rt, "a '" + TABLE + "' table is shown");
        return rt;
    }

    private static double handDice(float[] scores, double threshold, int[] truth) {
        long both = 0;
        long sum = 0;
        for (int i = 0; i < truth.length; i++) {
            boolean p = scores[i] >= threshold;
            boolean t = truth[i] != 0;
            both += p && t ? 1 : 0;
            sum += (p ? 1 : 0) + (t ? 1 : 0);
        }
        return 2.0 * both / sum;
    }

    private static Roi positioned(Roi roi, int slice, int group) {
        roi.setPosition(slice);
        roi.setGroup(group);
        return roi;
    }

    private static void show(String title, int w, int h, int d, int[] labels) {
        ImageStack stack = new ImageStack(w, h);
        for (int z = 0; z < d; z++) {
            byte[] plane = new byte[w * h];
            for (int i = 0; i < w * h; i++) {
                plane[i] = (byte) labels[z * w * h + i];
            }
            stack.addSlice(new ByteProcessor(w, h, plane));
        }
        new ImagePlus(title, stack).show();
    }

    private static void fillRect(int[] labels, int w, int offset, int x0, int y0, int rw, int rh, int label) {
        for (int y = y0; y < y0 + rh; y++) {
            for (int x = x0; x < x0 + rw; x++) {
                labels[offset + y * w + x] = label;
            }
        }
    }

    /**
     * An ellipse inscribed in the box, by ImageJ's pixel rule for OvalRoi (a pixel is inside when its centre lies in
     * the ellipse), computed here from the definition.
     */
    private static void fillOval(int[] labels, int w, int h, int x0, int y0, int ow, int oh, int label) {
        double a = ow / 2.0;
        double b = oh / 2.0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double dx = (x + 0.5 - x0 - a) / a;
                double dy = (y + 0.5 - y0 - b) / b;
                if (dx * dx + dy * dy <= 1) {
                    labels[y * w + x] = label;
                }
            }
        }
    }
}
