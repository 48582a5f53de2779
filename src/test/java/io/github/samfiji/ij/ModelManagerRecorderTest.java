package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.Prefs;
import ij.gui.GenericDialog;
import ij.macro.Interpreter;
import ij.plugin.frame.Recorder;
import io.github.samfiji.testing.NeedsDisplay;
import java.awt.Window;
import java.awt.event.ActionEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recordable: the Model Manager run from its menu (the dialog answered as a user would) with the Macro Recorder
 * open records one line, and replaying that line does the same (adds the model again after it was removed).
 */
@NeedsDisplay
class ModelManagerRecorderTest {

    @TempDir
    Path temp;

    @Test
    void menuRunRecordsALineThatReplays() throws Exception {
        ImageJMenus.registerCommands();
        String savedFolder = Prefs.get(ModelFolder.PREF, "");
        Path folder = temp.resolve("models");
        Path tiny = Path.of("samples/sam_tiny.pth").toAbsolutePath();
        Prefs.set(ModelFolder.PREF, folder.toString());
        Prefs.set("samfiji.ModelManagerCommand.action", ModelManagerCommand.ADD);
        Prefs.set("samfiji.ModelManagerCommand.file", tiny.toString());
        Prefs.set("samfiji.ModelManagerCommand.link", false);
        Prefs.set("samfiji.ModelManagerCommand.overwrite", false);
        Recorder recorder = new Recorder(false);
        Recorder.record = true;
        try {
            new ij.Executer("SAM Model Manager", null);
            GenericDialog dialog = null;
            for (int i = 0; i < 100 && dialog == null; i++) {
                IJ.wait(100);
                for (Window w : Window.getWindows()) {
                    if (w instanceof GenericDialog gd && w.isVisible() && "SAM Model Manager".equals(gd.getTitle())) {
                        dialog = gd;
                    }
                }
            }
            assertNotNull(dialog, "the dialog appears");
            GenericDialog gd = dialog;
            java.awt.EventQueue.invokeAndWait(() -> gd.actionPerformed(
                    new ActionEvent(gd.getButtons()[0], ActionEvent.ACTION_PERFORMED, "OK")));
            Path installed = folder.resolve("sam_tiny.pth");
            String recorded = null;
            for (int i = 0; i < 100 && (recorded == null || !Files.exists(installed)); i++) {
                IJ.wait(100);
                for (String line : String.valueOf(recorder.getText()).split("\n")) {
                    if (line.startsWith("run(\"SAM Model Manager\"")) {
                        recorded = line;
                    }
                }
            }
            assertNotNull(recorded, "recorded: " + recorder.getText());
            assertTrue(recorded.contains("action=[Add a local model file]") && recorded.contains("local=" + tiny), recorded);
            assertArrayEquals(Files.readAllBytes(tiny), Files.readAllBytes(installed), "the menu run added the model");
            Recorder.record = false;

            Files.delete(installed);
            Files.delete(folder.resolve("sam_tiny.json"));
            new Interpreter().run(recorded, null);
            assertArrayEquals(Files.readAllBytes(tiny), Files.readAllBytes(installed), "the replayed line added it again");
        } finally {
            Recorder.record = false;
            recorder.close();
            Prefs.set(ModelFolder.PREF, savedFolder);
        }
    }
}
