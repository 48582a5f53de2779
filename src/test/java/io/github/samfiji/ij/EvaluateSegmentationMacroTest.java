package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.WindowManager;
import ij.macro.Interpreter;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluate Segmentation run from a macro line: hand-computed metrics in the results table and the CSV. */
@NeedsDisplay
class EvaluateSegmentationMacroTest {

    @TempDir
    Path temp;

    @Test
    void rectangleAgainstSquare() throws Exception {
        ImageJMenus.registerCommands();
        Path csv = temp.resolve("metrics.csv");
        String result = new Interpreter().run("setBatchMode(true);\n"
                + "newImage('truth', '8-bit black', 20, 20, 1); makeRectangle(5, 5, 10, 10); run('Set...', 'value=255'); run('Select None');\n"
                + "newImage('pred', '8-bit black', 20, 20, 1); makeRectangle(5, 5, 10, 8); run('Set...', 'value=255'); run('Select None');\n"
                + "run('Evaluate Segmentation', 'prediction=pred ground=truth bootstrap=100 seed=1 csv=[" + csv + "]');\n"
                + "return '' + Table.get('dice', 0, 'Segmentation Metrics') + ' ' + Table.get('iou', 0, 'Segmentation Metrics');",
                null);
        String[] values = result.split(" ");
        assertEquals(2 * 80.0 / 180, Double.parseDouble(values[0]), 1e-4, "dice");
        assertEquals(0.8, Double.parseDouble(values[1]), 1e-4, "iou");
        List<String> lines = Files.readAllLines(csv);
        assertEquals("image,label,dice,iou,sensitivity,specificity,precision,f1,auc,hd95,assd", lines.get(0));
        assertTrue(lines.get(1).startsWith("pred,255,0.888"), lines.get(1));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("mean,")), "summary rows");

        CommandDialog.lastError = null;
        String same = new Interpreter().run("setBatchMode(true); newImage('x', '8-bit black', 20, 20, 1);\n"
                + "newImage('y', '8-bit black', 30, 20, 1);\n"
                + "run('Evaluate Segmentation', 'prediction=x ground=y bootstrap=0');\nreturn 'went on';", null);
        assertTrue(same == null || !same.equals("went on"), "the macro stops on a size mismatch");
        assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.toLowerCase().contains("size"),
                "message: " + CommandDialog.lastError);
        WindowManager.closeAllWindows();
    }
}
