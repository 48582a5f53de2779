package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.macro.Interpreter;
import ij.process.ByteProcessor;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluate from the command line and from a macro, on the same calibrated stacks: the same table, row for row. */
@NeedsDisplay
class EvaluateCliAndMacroTest {

    @BeforeAll
    static void registerMenuCommands() {
        ImageJMenus.registerCommands();
    }

    /** Two labels drawn as rectangles on 3 slices, shifted by {@code shift} pixels; 0.5 x 0.5 x 2 um voxels. */
    private static Path labels(Path folder, String name, int shift) {
        ImageStack stack = new ImageStack(40, 30);
        for (int z = 0; z < 3; z++) {
            ByteProcessor ip = new ByteProcessor(40, 30);
            ip.setValue(1);
            ip.setRoi(5 + shift, 5, 12, 10 + z);
            ip.fill();
            ip.setValue(2);
            ip.setRoi(22, 8 + shift, 10, 12);
            ip.fill();
            stack.addSlice(ip);
        }
        ImagePlus imp = new ImagePlus(name, stack);
        imp.getCalibration().pixelWidth = 0.5;
        imp.getCalibration().pixelHeight = 0.5;
        imp.getCalibration().pixelDepth = 2;
        imp.getCalibration().setUnit("um");
        Path file = folder.resolve(name + ".tif");
        IJ.saveAsTiff(imp, file.toString());
        return file;
    }

    @Test
    void theCommandLineAndTheMacroGiveTheSameRows(@TempDir Path temp) throws Exception {
        Path pred = labels(temp, "pred", 2);
        Path truth = labels(temp, "truth", 0);
        Path fromMacro = temp.resolve("macro.csv");
        CommandDialog.lastError = null;
        String result = new Interpreter().run("setBatchMode(true); open('" + pred + "'); open('" + truth + "');\n"
                + "run('Evaluate Segmentation', 'prediction=pred.tif ground=truth.tif probability=None threshold=0.5"
                + " per bootstrap=20 seed=5 csv=[" + fromMacro + "]');\nreturn 'done';", null);
        assertEquals("done", result, "macro finished; error: " + CommandDialog.lastError);
        Path fromCli = temp.resolve("cli.csv");
        assertEquals(0, io.github.samfiji.cli.SamFijiCli.run("evaluate", "--pred", pred.toString(), "--truth",
                truth.toString(), "--per-slice", "--bootstrap", "20", "--seed", "5", "--out", fromCli.toString()));
        List<String> macroRows = Files.readAllLines(fromMacro);
        List<String> cliRows = Files.readAllLines(fromCli);
        assertEquals(cliRows.get(0), macroRows.get(0), "the same columns");
        assertEquals(cliRows.size(), macroRows.size(), "the same rows");
        assertTrue(cliRows.size() >= 1 + 3 * 2, "a row per slice and label");
        for (int i = 1; i < cliRows.size(); i++) {
            // The image column names the file (command line) or the window (macro); the rest must be equal.
            String cli = cliRows.get(i).substring(cliRows.get(i).indexOf(','));
            String macro = macroRows.get(i).substring(macroRows.get(i).indexOf(','));
            assertEquals(cli, macro, "row " + i);
        }
        IJ.run("Close All");
    }
}
