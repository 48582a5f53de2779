package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.macro.Interpreter;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Collecting errors in a macro: a failing command leaves its message and the macro goes on; only the macro that
 * asked collects, so a later macro stops on an error as before.
 */
@NeedsDisplay
class BatchErrorsTest {

    private static final String FAILING = "newImage('x', '8-bit black', 20, 20, 1);"
            + " newImage('y', '8-bit black', 30, 20, 1);\n"
            + "run('Evaluate Segmentation', 'prediction=x ground=y bootstrap=0');\n";

    @TempDir
    Path temp;

    @BeforeEach
    void setUp() {
        ImageJMenus.registerCommands();
    }

    @AfterEach
    void tearDown() {
        ImageJMenus.closeEverything();
    }

    @Test
    void aCollectingMacroGoesOnAndReadsTheError() {
        String result = new Interpreter().run("setBatchMode(true);\n"
                + "call('io.github.samfiji.ij.BatchErrors.collect', 'true');\n" + FAILING
                + "first = call('io.github.samfiji.ij.BatchErrors.take');\n"
                + "second = call('io.github.samfiji.ij.BatchErrors.take');\n"
                + "return first + '|' + second;", null);
        assertTrue(result != null && result.startsWith("Evaluate Segmentation: ") && result.contains("differ in size"),
                "the macro went on with the message: " + result);
        assertTrue(result.endsWith("|"), "taken once: " + result);

        // The next macro did not ask: it stops at the error.
        CommandDialog.lastError = null;
        String later = new Interpreter().run("setBatchMode(true);\n" + FAILING + "return 'went on';", null);
        assertTrue(later == null || !later.equals("went on"), "a later macro stops");
        assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.contains("differ in size"));
    }

    @Test
    void openReportsUnreadableFiles() throws Exception {
        Path text = Files.writeString(temp.resolve("notes.png"), "not an image");
        String missing = BatchErrors.open(temp.resolve("nothing.tif").toString());
        assertTrue(missing.startsWith("file not found: "), missing);
        String unreadable = BatchErrors.open(text.toString());
        assertTrue(unreadable.startsWith("cannot read ") && unreadable.contains("notes.png as an image"), unreadable);
        assertTrue(!unreadable.contains("Exception") && unreadable.length() < 300, "one short line: " + unreadable);
        assertEquals("", BatchErrors.open(Path.of("samples/fixture-image.png").toAbsolutePath().toString()));
        String rois = BatchErrors.checkRois(text.toString());
        assertTrue(rois.startsWith("cannot read the ROI set notes.png"), rois);
    }
}
