package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.gui.Roi;
import ij.macro.Interpreter;
import ij.measure.ResultsTable;
import ij.plugin.frame.Recorder;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import io.github.samfiji.testing.NeedsDisplay;
import java.awt.Choice;
import java.awt.Window;
import java.awt.event.ActionEvent;
import org.junit.jupiter.api.Test;

/**
 * Recordable: Evaluate Segmentation run from its menu with the ROI Manager as prediction and a probability map (the
 * dialog's choices set as a user would) records one line, and replaying the line gives the same table.
 */
@NeedsDisplay
class EvaluateSegmentationRecorderTest {

    private static final String TITLE = "Evaluate Segmentation";

    @Test
    void menuRunWithRoiManagerAndMapRecordsAReplayableLine() throws Exception {
        ImageJMenus.registerCommands();
        ByteProcessor truth = new ByteProcessor(30, 20);
        truth.setValue(1);
        truth.setRoi(5, 5, 10, 8);
        truth.fill();
        new ImagePlus("truth", truth).show();
        float[] scores = new float[600];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (i % 30) / 30f;
        }
        new ImagePlus("scores", new FloatProcessor(30, 20, scores)).show();
        IJ.wait(300);
        RoiManager rm = RoiManager.getRoiManager();
        rm.reset();
        rm.addRoi(new Roi(6, 5, 10, 8));
        ResultsTable old = ResultsTable.getResultsTable(EvaluateSegmentationCommand.TABLE);
        if (old != null) {
            old.reset();
        }
        Recorder recorder = new Recorder(false);
        Recorder.record = true;

        new ij.Executer(TITLE, WindowManager.getCurrentImage());
        GenericDialog dialog = null;
        for (int i = 0; i < 100 && dialog == null; i++) {
            IJ.wait(100);
            for (Window w : Window.getWindows()) {
                if (w instanceof GenericDialog gd && w.isVisible() && TITLE.equals(gd.getTitle())) {
                    dialog = gd;
                }
            }
        }
        assertNotNull(dialog, "the dialog appears");
        GenericDialog gd = dialog;
        java.awt.EventQueue.invokeAndWait(() -> {
            @SuppressWarnings("unchecked")
            java.util.Vector<Choice> choices = gd.getChoices();
            choices.get(0).select(EvaluateSegmentationCommand.ROI_MANAGER); // prediction
            choices.get(1).select("truth");                                 // ground truth
            choices.get(2).select("scores");                                // probability map
            gd.actionPerformed(new ActionEvent(gd.getButtons()[0], ActionEvent.ACTION_PERFORMED, "OK"));
        });
        String recorded = null;
        for (int i = 0; i < 300 && recorded == null; i++) {
            IJ.wait(100);
            String text = recorder.getText();
            for (String line : text == null ? new String[0] : text.split("\n")) {
                if (line.startsWith("run(\"" + TITLE + "\"")) {
                    recorded = line;
                }
            }
        }
        Recorder.record = false;
        recorder.close();
        assertNotNull(recorded, "recorded: " + recorder.getText());
        assertTrue(recorded.contains("prediction=[ROI Manager]") && recorded.contains("ground=truth")
                && recorded.contains("probability=scores"), recorded);
        double[] fromMenu = firstRow();
        assertTrue(fromMenu[0] > 0 && fromMenu[1] > 0, "dice and auc of the menu run");

        ResultsTable.getResultsTable(EvaluateSegmentationCommand.TABLE).reset();
        String result = new Interpreter().run(recorded + "\nreturn 'done';", null);
        assertEquals("done", result, "replayed; error: " + CommandDialog.lastError);
        double[] replayed = firstRow();
        assertEquals(fromMenu[0], replayed[0], 0.0, "same Dice");
        assertEquals(fromMenu[1], replayed[1], 0.0, "same AUC");
        assertEquals(2.0 * 72 / 160, replayed[0], 1e-12, "Dice of two 10 x 8 rectangles shifted by 1");
    }

    @org.junit.jupiter.api.AfterEach
    void tearDown() {
        Recorder.record = false;
        RoiManager rm = RoiManager.getInstance();
        if (rm != null) {
            rm.reset();
        }
        ImageJMenus.closeEverything();
    }

    private static double[] firstRow() {
        ResultsTable rt = ResultsTable.getResultsTable(EvaluateSegmentationCommand.TABLE);
        assertNotNull(rt, "the table is shown");
        assertTrue(rt.size() > 0, "the table has rows");
        return new double[] {rt.getValue("dice", 0), rt.getValue("auc", 0)};
    }
}
