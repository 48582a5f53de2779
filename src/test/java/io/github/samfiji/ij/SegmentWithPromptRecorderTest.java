package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.macro.Interpreter;
import ij.plugin.frame.Recorder;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.testing.NeedsDisplay;
import java.awt.Window;
import java.awt.event.ActionEvent;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import io.github.samfiji.imagejio.MaskRois;

/**
 * Recordable: running Segment with Prompt from its menu (the dialog answered as a user would) with the Macro
 * Recorder open records one line; replaying that line gives the same ROI.
 */
@NeedsDisplay
class SegmentWithPromptRecorderTest {

    private static boolean recorderHasLine(Recorder recorder) {
        return recorder.getText() != null && recorder.getText().contains("Segment with Prompt");
    }

    @Test
    void menuRunAndRecordedLineGiveTheSameRoi() throws Exception {
        ImageJMenus.registerCommands();
        String model = Path.of("samples/sam_tiny.pth").toAbsolutePath().toString();
        Prefs.set("samfiji.SegmentWithPromptCommand.model", model);
        Prefs.set("samfiji.SegmentWithPromptCommand.prompts", SegmentWithPromptCommand.FROM_SELECTION);
        // The dialog starts from the last values used (another test may have left "Add to ROI Manager" off).
        Prefs.set("samfiji.SegmentWithPromptCommand.addToManager", true);
        ImagePlus imp = IJ.openImage(Path.of("samples/fixture-image.png").toAbsolutePath().toString());
        imp.show();
        IJ.wait(300);
        WindowManager.setTempCurrentImage(imp);
        imp.setRoi(30, 29, 48, 48);
        RoiManager rm = RoiManager.getRoiManager();
        rm.reset();
        Recorder recorder = new Recorder(false);
        Recorder.record = true;

        // What a menu click does: ImageJ's Executer runs the command in its own thread and records it.
        new ij.Executer("Segment with Prompt", imp);
        GenericDialog dialog = null;
        for (int i = 0; i < 100 && dialog == null; i++) {
            IJ.wait(100);
            for (Window w : Window.getWindows()) {
                if (w instanceof GenericDialog gd && w.isVisible() && "Segment with Prompt".equals(gd.getTitle())) {
                    dialog = gd;
                }
            }
        }
        assertNotNull(dialog, "the dialog appears");
        GenericDialog gd = dialog;
        java.awt.EventQueue.invokeAndWait(() -> gd.actionPerformed(
                new ActionEvent(gd.getButtons()[0], ActionEvent.ACTION_PERFORMED, "OK")));
        // Up to a minute: on a loaded machine the first encode alone can take seconds.
        for (int i = 0; i < 600 && (rm.getCount() == 0 || !recorderHasLine(recorder)); i++) {
            IJ.wait(100);
        }
        assertEquals(1, rm.getCount(), "the menu run added one ROI");
        boolean[] fromMenu = MaskRois.toMask(rm.getRoi(0), 97, 150);

        String recorded = null;
        for (String line : recorder.getText().split("\n")) {
            if (line.startsWith("run(\"Segment with Prompt\"")) {
                recorded = line;
            }
        }
        assertNotNull(recorded, "recorded: " + recorder.getText());
        assertTrue(recorded.contains("model=") && recorded.contains("prompts=[Image selection]"), recorded);
        Recorder.record = false;
        recorder.close();

        rm.reset();
        imp.setRoi(30, 29, 48, 48);
        WindowManager.setTempCurrentImage(imp);
        new Interpreter().run(recorded, null);
        assertEquals(1, rm.getCount(), "the recorded line added one ROI");
        assertArrayEquals(fromMenu, MaskRois.toMask(rm.getRoi(0), 97, 150), "same ROI from the recorded line");
        rm.reset();
        imp.changes = false;
        imp.close();
    }
}
