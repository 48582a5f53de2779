package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.WindowManager;
import ij.gui.Roi;
import ij.macro.Interpreter;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsDisplay;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.github.samfiji.imagejio.MaskRois;

/**
 * Segment with Prompt run the way a user's macro runs it: a real ImageJ 1 macro through the macro interpreter,
 * calling the command by its menu name with recorded-style options. The ROIs it produces must equal the reference
 * predictor's masks for the same prompts.
 */
@NeedsDisplay
class SegmentWithPromptMacroTest {

    private static final String SAMPLE = Path.of("samples/fixture-image.png").toAbsolutePath().toString();
    private static final String MODEL = Path.of("samples/sam_tiny.pth").toAbsolutePath().toString();

    @BeforeAll
    static void registerMenuCommands() {
        ImageJMenus.registerCommands();
    }

    private static String run(String macro) {
        return new Interpreter().run("setBatchMode(true);\n" + macro, null);
    }

    @TempDir
    Path temp;

    /** The ROIs a macro saved as a RoiSet.zip (the batch-mode ROI Manager ends with the macro). */
    private static Roi[] saved(Path roiSet) {
        RoiManager hidden = new RoiManager(true);
        assertTrue(hidden.open(roiSet.toString()), "RoiSet readable: " + roiSet);
        return hidden.getRoisAsArray();
    }

    /** The masks of a RoiManager's ROIs as arrays of the image's size. */
    private static boolean[] maskOf(Roi roi, int w, int h) {
        return MaskRois.toMask(roi, w, h);
    }

    @Test
    @NeedsSharedData
    void boxSelectionGivesTheReferenceMask() {
        String result = run("open('" + SAMPLE + "');\n"
                + "makeRectangle(30, 29, 48, 48);\n" // pixels 30..77 and 29..76: the reference box [30, 29, 77, 76]
                + "run('Segment with Prompt', 'model=[" + MODEL + "] prompts=[Image selection] multimask "
                + "candidate=[Best predicted IoU] add');\n"
                + "roiManager('save', '" + temp.resolve("box.zip") + "');\n"
                + "return '' + roiManager('count');");
        assertEquals("1", result, "one ROI added");
        Roi roi = saved(temp.resolve("box.zip"))[0];
        assertEquals("fixture-image.png-1-1", roi.getName());
        float[] logits = Fixtures.npy("sam_tiny", "box__mmT__logits_orig").floats();
        byte[] masks = Fixtures.npy("sam_tiny", "box__mmT__masks").bytes();
        float[] iou = Fixtures.npy("sam_tiny", "box__mmT__iou_predictions").floats();
        int best = 0;
        for (int i = 1; i < iou.length; i++) {
            best = iou[i] > iou[best] ? i : best;
        }
        assertEquals(iou[best], Float.parseFloat(roi.getProperty("sam.predicted_iou")), 1e-4);
        boolean[] mine = maskOf(roi, 97, 150);
        int area = 97 * 150;
        for (int k = 0; k < area; k++) {
            if (Math.abs(logits[best * area + k]) > 1e-4) {
                assertEquals(masks[best * area + k] != 0, mine[k], "pixel " + k);
            }
        }
    }

    @Test
    @NeedsSharedData
    void refiningWithThePreviousResultMatchesTheReferenceMaskPrompt() {
        // The reference box_mask case: the same box plus the best multimask low-res logits of the box case.
        String result = run("open('" + SAMPLE + "'); roiManager('reset'); makeRectangle(30, 29, 48, 48);\n"
                + "run('Segment with Prompt', 'model=[" + MODEL + "] prompts=[Image selection] multimask candidate=[Best predicted IoU]');\n"
                + "makeRectangle(30, 29, 48, 48);\n"
                + "run('Segment with Prompt', 'model=[" + MODEL + "] prompts=[Image selection] refine candidate=[Best predicted IoU] add');\n"
                + "roiManager('save', '" + temp.resolve("refined.zip") + "');\n"
                + "return '' + roiManager('count');");
        assertEquals("1", result);
        boolean[] mine = maskOf(saved(temp.resolve("refined.zip"))[0], 97, 150);
        float[] logits = Fixtures.npy("sam_tiny", "box_mask__mmF__logits_orig").floats();
        for (int k = 0; k < mine.length; k++) {
            if (Math.abs(logits[k]) > 1e-4) {
                assertEquals(logits[k] > 0, mine[k], "pixel " + k);
            }
        }
    }

    @Test
    void modelFromTheModelsFolder() throws Exception {
        Path folder = java.nio.file.Files.createDirectories(temp.resolve("models"));
        java.nio.file.Files.copy(Path.of("samples/sam_tiny.pth"), folder.resolve("tiny.pth"));
        java.nio.file.Files.copy(Path.of("samples/sam_tiny.json"), folder.resolve("tiny.json"));
        ij.Prefs.set(ModelFolder.PREF, folder.toString());
        try {
            assertEquals(java.util.List.of("tiny.pth"), ModelFolder.names());
            String result = run("open('" + SAMPLE + "'); roiManager('reset'); makeRectangle(30, 29, 48, 48);\n"
                    + "run('Segment with Prompt', 'installed=tiny.pth prompts=[Image selection] multimask "
                    + "candidate=[Best predicted IoU] add');\nreturn '' + roiManager('count');");
            assertEquals("1", result);
            CommandDialog.lastError = null;
            String missing = run("open('" + SAMPLE + "'); makeRectangle(30, 29, 48, 48);\n"
                    + "run('Segment with Prompt', 'installed=absent.pth prompts=[Image selection]');\nreturn 'went on';");
            assertTrue(missing == null || !missing.equals("went on"));
        } finally {
            ij.Prefs.set(ModelFolder.PREF, "");
        }
    }

    @Test
    @NeedsSharedData
    void allSlicesOfAStack() {
        String result = run("open('" + SAMPLE + "'); rename('one'); open('" + SAMPLE + "'); rename('two');\n"
                + "run('Images to Stack', 'name=fixture-stack title=[] use');\n"
                + "roiManager('reset'); setSlice(2); makeRectangle(30, 29, 48, 48);\n"
                + "run('Segment with Prompt', 'model=[" + MODEL + "] prompts=[Image selection] all multimask "
                + "candidate=[Best predicted IoU] add');\n"
                + "roiManager('save', '" + temp.resolve("stack.zip") + "');\n"
                + "return '' + nSlices + ' ' + roiManager('count');");
        String[] v = result.split(" ");
        assertEquals(v[0], v[1], "one ROI per slice: " + result);
        Roi[] rois = saved(temp.resolve("stack.zip"));
        for (int s = 0; s < rois.length; s++) {
            assertEquals(s + 1, rois[s].getPosition(), "ROI on its slice");
            assertEquals("fixture-stack-1-" + (s + 1), rois[s].getName());
        }
        // Every slice is the same image, so every ROI is the reference box mask.
        float[] iou = Fixtures.npy("sam_tiny", "box__mmT__iou_predictions").floats();
        int best = 0;
        for (int i = 1; i < iou.length; i++) {
            best = iou[i] > iou[best] ? i : best;
        }
        float[] logits = Fixtures.npy("sam_tiny", "box__mmT__logits_orig").floats();
        int area = 97 * 150;
        for (Roi roi : rois) {
            boolean[] mine = maskOf(roi, 97, 150);
            for (int k = 0; k < area; k++) {
                if (Math.abs(logits[best * area + k]) > 1e-4) {
                    assertEquals(logits[best * area + k] > 0, mine[k], "pixel " + k);
                }
            }
        }
    }

    @Test
    @NeedsSharedData
    void pointsFromTheRoiManagerWithABackgroundPoint() {
        // points3 of the reference: 2 object points and 1 background point (multi-point counter 1), single mask.
        String result = run("open('" + SAMPLE + "');\n"
                + "roiManager('reset');\n"
                + "makeSelection('point', newArray(53, 72), newArray(52, 120));\n"
                + "Roi.setGroup(1); roiManager('add');\n"
                + "makePoint(30, 110); Roi.setName('background');\n"
                + "Roi.setGroup(1); roiManager('add');\n"
                + "run('Segment with Prompt', 'model=[" + MODEL + "] prompts=[ROI Manager] candidate=1 add');\n"
                + "roiManager('save', '" + temp.resolve("points.zip") + "');\n"
                + "return '' + roiManager('count');");
        assertEquals("3", result, "the two prompt ROIs stay and one object is added");
        Roi[] rois = saved(temp.resolve("points.zip"));
        assertEquals(Roi.POINT, rois[0].getType(), "the user's prompt ROIs are untouched");
        boolean[] mine = maskOf(rois[2], 97, 150);
        float[] logits = Fixtures.npy("sam_tiny", "points3__mmF__logits_orig").floats();
        byte[] masks = Fixtures.npy("sam_tiny", "points3__mmF__masks").bytes();
        int checked = 0;
        for (int k = 0; k < mine.length; k++) {
            if (Math.abs(logits[k]) > 1e-4) {
                assertEquals(masks[k] != 0, mine[k], "pixel " + k);
                checked++;
            }
        }
        assertTrue(checked > 14000);
    }

    @Test
    void badInputStopsTheMacroWithAMessageAndChangesNothing() {
        String[][] cases = {
            {"no selection", "", "model=[" + MODEL + "] prompts=[Image selection]", "no selection"},
            {"missing model", "makeRectangle(1, 1, 20, 20);", "model=[/no/such/model.pth] prompts=[Image selection]",
                "model file not found"},
            {"empty manager", "roiManager('reset');", "model=[" + MODEL + "] prompts=[ROI Manager]", "ROI Manager is empty"},
            {"line selection", "makeLine(1, 1, 20, 20);", "model=[" + MODEL + "] prompts=[Image selection]",
                "cannot be a SAM prompt"},
        };
        for (String[] c : cases) {
            CommandDialog.lastError = null;
            String result = run("open('" + SAMPLE + "'); roiManager('reset');" + c[1] + "\n"
                    + "run('Segment with Prompt', '" + c[2] + "');\nreturn 'went on';");
            assertTrue(result == null || !result.equals("went on"), c[0] + ": the macro must stop");
            String error = CommandDialog.lastError;
            assertTrue(error != null && error.contains(c[3]), c[0] + ": the message should say '" + c[3] + "': " + error);
        }
        WindowManager.closeAllWindows();
        CommandDialog.lastError = null;
        String rgb5 = run("newImage('rgb5', 'RGB black', 50, 50, 2, 3, 2); makeRectangle(5, 5, 20, 20);\n"
                + "run('Segment with Prompt', 'model=[" + MODEL + "] prompts=[Image selection]');\nreturn 'went on';");
        assertTrue(rgb5 == null || !rgb5.equals("went on"), "5-D RGB: the macro must stop");
        assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.contains("RGB image with 2 channels"),
                "message: " + CommandDialog.lastError);
        CommandDialog.lastError = null;
        String noImage = run("close('*');\nrun('Segment with Prompt', 'model=[" + MODEL + "]');\nreturn 'went on';");
        assertTrue(noImage == null || !noImage.equals("went on"), "no image: the macro must stop");
        assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.contains("no image is open"),
                "message: " + CommandDialog.lastError);
    }
}
