package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.WindowManager;
import ij.macro.Interpreter;
import ij.measure.ResultsTable;
import ij.process.ByteProcessor;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.evaluation.InteractiveEvaluation;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.github.samfiji.imagejio.ImageWrapping;

/**
 * Evaluate Interactive Segmentation run from a macro line with the tiny fixture model (random weights, so the Dice
 * values mean nothing): its table must hold exactly the curves of {@link InteractiveEvaluation#run} called directly
 * with a separately loaded model, the same seed and the same masks, and a second run must repeat them.
 */
@NeedsDisplay
class InteractiveEvaluationMacroTest {

    private static final Path MODEL = Path.of("samples/sam_tiny.pth").toAbsolutePath();
    private static final String TABLE = InteractiveEvaluationCommand.TABLE;

    @TempDir
    Path temp;

    @BeforeEach
    void setUp() {
        ImageJMenus.registerCommands();
        CommandDialog.lastError = null;
    }

    @AfterEach
    void tearDown() {
        ImageJMenus.closeEverything();
    }

    /** Two discs, labels 1 and 2 (as in the command-line test), on the fixture image's 97 x 150 canvas. */
    private static int[] discs(int first, int second) {
        int w = 97;
        int h = 150;
        int[] labels = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if ((x - 53) * (x - 53) + (y - 52) * (y - 52) <= 400) {
                    labels[y * w + x] = first;
                } else if ((x - 30) * (x - 30) + (y - 110) * (y - 110) <= 150) {
                    labels[y * w + x] = second;
                }
            }
        }
        return labels;
    }

    private static ImagePlus labelImage(String title, int[]... slices) {
        ImageStack stack = new ImageStack(97, 150);
        for (int[] s : slices) {
            byte[] plane = new byte[s.length];
            for (int i = 0; i < s.length; i++) {
                plane[i] = (byte) s[i];
            }
            stack.addSlice(new ByteProcessor(97, 150, plane));
        }
        return new ImagePlus(title, stack);
    }

    private static boolean[] mask(int[] labels, int label) {
        boolean[] m = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            m[i] = labels[i] == label;
        }
        return m;
    }

    private static String macro(String code) {
        return new Interpreter().run(code, null);
    }

    /** Rows of the table: slice, label, Dice per round; the last row the mean. */
    private static List<double[]> rows(int rounds) {
        ResultsTable rt = ResultsTable.getResultsTable(TABLE);
        assertNotNull(rt, "a '" + TABLE + "' table is shown");
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < rt.size(); i++) {
            double[] row = new double[rounds + 3];
            row[0] = rt.getValue("slice", i);
            row[1] = rt.getValue("label", i);
            for (int r = 0; r <= rounds; r++) {
                row[r + 2] = rt.getValue("dice_round" + r, i);
            }
            out.add(row);
        }
        return out;
    }

    @Test
    void pointStartMatchesTheProtocolRunDirectlyAndRepeats() throws Exception {
        ImagePlus image = IJ.openImage(Path.of("samples/fixture-image.png").toAbsolutePath().toString());
        image.setTitle("fixture");
        image.show();
        int[] truth = discs(1, 2);
        labelImage("truth", truth).show();
        int rounds = 3;
        Path png = temp.resolve("curve.png");
        String line = "run('Evaluate Interactive Segmentation', 'model=[" + MODEL + "] image=fixture ground=truth"
                + " start=point rounds=" + rounds + " seed=5";
        String result = macro(line + " plot=[" + png + "]');\nreturn 'done';");
        assertEquals("done", result, "macro finished; error: " + CommandDialog.lastError);
        List<double[]> first = rows(rounds);

        List<double[]> expected = new ArrayList<>();
        try (SamModel model = ModelLoader.load(MODEL, null)) {
            SamPredictor predictor = new SamPredictor(model);
            try (ImageEmbedding e = predictor.encode(ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, 1)))) {
                for (int label : new int[] {1, 2}) {
                    double[] dice = InteractiveEvaluation.run(predictor, e, mask(truth, label),
                            InteractiveEvaluation.Start.POINT, rounds, 5).dice();
                    expected.add(row(1, label, dice));
                }
            }
        }
        assertRows(expected, first);

        // The plot was saved as a readable PNG.
        assertTrue(Files.size(png) > 0, "PNG written");
        ImagePlus saved = IJ.openImage(png.toString());
        assertNotNull(saved, "PNG readable");
        assertTrue(saved.getWidth() > 100 && saved.getHeight() > 100, "a plot-sized image");

        // Same seed, same numbers.
        result = macro(line + "');\nreturn 'done';");
        assertEquals("done", result, "second run; error: " + CommandDialog.lastError);
        assertRows(expected, rows(rounds));

        // An existing plot file is not replaced.
        CommandDialog.lastError = null;
        result = macro(line + " plot=[" + png + "]');\nreturn 'went on';");
        assertTrue(result == null || !result.equals("went on"), "the macro stops");
        assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.contains("exists"),
                "message: " + CommandDialog.lastError);
    }

    @Test
    void boxStartOnAStackSliceBySlice() throws Exception {
        ImagePlus plane = IJ.openImage(Path.of("samples/fixture-image.png").toAbsolutePath().toString());
        ImageStack stack = new ImageStack(plane.getWidth(), plane.getHeight());
        stack.addSlice(plane.getProcessor().duplicate());
        var second = plane.getProcessor().duplicate();
        second.flipHorizontal();
        stack.addSlice(second);
        ImagePlus image = new ImagePlus("stack", stack);
        image.show();
        int[] slice1 = discs(4, 0);
        int[] slice2 = discs(0, 9);
        labelImage("truth stack", slice1, slice2).show();
        int rounds = 2;
        String result = macro("run('Evaluate Interactive Segmentation', 'model=[" + MODEL + "] image=stack"
                + " ground=[truth stack] start=box rounds=" + rounds + " seed=11');\nreturn 'done';");
        assertEquals("done", result, "macro finished; error: " + CommandDialog.lastError);

        List<double[]> expected = new ArrayList<>();
        try (SamModel model = ModelLoader.load(MODEL, null)) {
            SamPredictor predictor = new SamPredictor(model);
            int[][] truths = {slice1, slice2};
            int[] labels = {4, 9};
            for (int z = 1; z <= 2; z++) {
                try (ImageEmbedding e = predictor.encode(ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, z)))) {
                    double[] dice = InteractiveEvaluation.run(predictor, e, mask(truths[z - 1], labels[z - 1]),
                            InteractiveEvaluation.Start.BOX, rounds, 11).dice();
                    expected.add(row(z, labels[z - 1], dice));
                }
            }
        }
        assertRows(expected, rows(rounds));
    }

    @Test
    void badInputStopsTheMacroWithAClearMessage() {
        ImagePlus image = IJ.openImage(Path.of("samples/fixture-image.png").toAbsolutePath().toString());
        image.setTitle("fixture");
        image.show();
        labelImage("empty", new int[97 * 150]).show();
        new ImagePlus("small", new ByteProcessor(50, 50)).show();
        String[][] cases = {
            {"model=[" + MODEL + "] image=fixture ground=small", "differ in size"},
            {"model=[" + MODEL + "] image=fixture ground=empty", "holds no objects"},
            {"model=[/no/such/model.pth] image=fixture ground=empty", "model file not found"},
            {"model=[" + MODEL + "] image=fixture ground=fixture", "same image"},
        };
        for (String[] c : cases) {
            CommandDialog.lastError = null;
            String result = macro("run('Evaluate Interactive Segmentation', '" + c[0] + " rounds=1');\n"
                    + "return 'went on';");
            assertTrue(result == null || !result.equals("went on"), "the macro stops for " + c[0]);
            assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.contains(c[1]),
                    c[0] + " -> " + CommandDialog.lastError);
        }
    }

    private static double[] row(int slice, int label, double[] dice) {
        double[] row = new double[dice.length + 2];
        row[0] = slice;
        row[1] = label;
        System.arraycopy(dice, 0, row, 2, dice.length);
        return row;
    }

    /** The object rows equal the expected ones exactly, and the last row is their mean. */
    private static void assertRows(List<double[]> expected, List<double[]> actual) {
        assertEquals(expected.size() + 1, actual.size(), "one row per object and the mean");
        int n = expected.get(0).length;
        for (int i = 0; i < expected.size(); i++) {
            for (int c = 0; c < n; c++) {
                assertEquals(expected.get(i)[c], actual.get(i)[c], 0.0, "row " + i + " column " + c);
            }
        }
        double[] mean = actual.get(expected.size());
        for (int c = 2; c < n; c++) {
            double sum = 0;
            for (double[] e : expected) {
                sum += e[c];
            }
            assertEquals(sum / expected.size(), mean[c], 1e-12, "mean of column " + c);
        }
    }
}
