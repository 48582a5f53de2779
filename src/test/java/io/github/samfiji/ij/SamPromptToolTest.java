package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.gui.ImageCanvas;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsDisplay;
import io.github.samfiji.testing.NeedsSharedData;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.event.InputEvent;
import java.awt.event.KeyEvent;
import java.awt.event.MouseEvent;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The prompt tool as a person uses it, in a real ImageJ window (under Xvfb): a scripted click on the canvas, the
 * mask appears as an overlay (checked against the reference, and visible in a screenshot), an alt-click refines it,
 * Enter adds the object to the ROI Manager, Escape clears.
 */
@NeedsSharedData
@NeedsDisplay
class SamPromptToolTest {

    @Test
    void clickShowsTheMaskAndEnterAddsIt() throws Exception {
        Prefs.set(SamPromptTool_.MODEL_PREF, Path.of("samples/sam_tiny.pth").toAbsolutePath().toString());
        ImagePlus imp = IJ.openImage(Path.of("samples/fixture-image.png").toAbsolutePath().toString());
        imp.show();
        IJ.wait(500);
        imp.getCanvas().zoomIn(0, 0); // a 97 x 150 image is small on screen
        IJ.wait(300);
        SamPromptTool_ tool = new SamPromptTool_();
        ImageCanvas canvas = imp.getCanvas();

        click(tool, imp, canvas, 53, 52, 0); // the reference case point1: one object point
        tool.awaitPending();
        PromptSession session = tool.session(imp);
        boolean[] mask = session.mask();
        assertNotNull(mask, "a mask after the click");
        // First click: 3 candidates, the best kept: equals the reference point1 best multimask candidate.
        float[] iou = Fixtures.npy("sam_tiny", "point1__mmT__iou_predictions").floats();
        int best = 0;
        for (int i = 1; i < 3; i++) {
            best = iou[i] > iou[best] ? i : best;
        }
        float[] logits = Fixtures.npy("sam_tiny", "point1__mmT__logits_orig").floats();
        int area = 97 * 150;
        int inMask = 0;
        for (int k = 0; k < area; k++) {
            if (Math.abs(logits[best * area + k]) > 1e-4) {
                assertEquals(logits[best * area + k] > 0, mask[k], "pixel " + k);
            }
            inMask += mask[k] ? 1 : 0;
        }
        assertEquals(iou[best], session.predictedIou(), 1e-4);
        assertNotNull(imp.getOverlay(), "the mask is shown as an overlay");

        IJ.wait(300);
        Path shots = Files.createDirectories(Path.of("target/screenshots"));
        BufferedImage shot = new Robot().createScreenCapture(imp.getWindow().getBounds());
        ImageIO.write(shot, "png", shots.resolve("prompt-tool.png").toFile());
        assertTrue(reddish(shot, canvas, imp, mask) > 0.5, "the overlay is visible on screen over most mask pixels");

        click(tool, imp, canvas, 30, 110, InputEvent.ALT_DOWN_MASK); // a background point refines the object
        tool.awaitPending();
        assertNotNull(session.mask());
        assertTrue(inMask > 0);

        RoiManager rm = RoiManager.getRoiManager();
        int before = rm.getCount();
        tool.key(imp, KeyEvent.VK_ENTER, '\n');
        assertEquals(before + 1, rm.getCount(), "Enter adds the object");
        assertEquals("fixture-image.png-1-1", rm.getRoi(before).getName());
        assertEquals(null, imp.getOverlay(), "a new object starts with a clear overlay");

        click(tool, imp, canvas, 53, 52, 0);
        tool.awaitPending();
        tool.key(imp, KeyEvent.VK_ESCAPE, (char) 27);
        assertEquals(null, tool.session(imp).mask(), "Escape clears");
        assertEquals(before + 1, rm.getCount());
        rm.reset();
        imp.changes = false;
        imp.close();
    }

    /** With a SAM 2.1 model (its configuration beside it) a click gives the SAM 2.1 reference's best candidate. */
    @Test
    void aSam2ModelWorksTheSameWay(@org.junit.jupiter.api.io.TempDir Path models) throws Exception {
        Path set = Fixtures.set("sam2_tiny");
        Path model = Files.copy(set.resolve("sam2_tiny.pt"), models.resolve("sam2_tiny.pt"));
        Files.copy(set.resolve("config.json"), models.resolve("sam2_tiny.json"));
        Prefs.set(SamPromptTool_.MODEL_PREF, model.toString());
        ImagePlus imp = IJ.openImage(set.resolve("image.png").toString());
        imp.show();
        IJ.wait(500);
        imp.getCanvas().zoomIn(0, 0);
        IJ.wait(300);
        SamPromptTool_ tool = new SamPromptTool_();
        click(tool, imp, imp.getCanvas(), 41, 50, 0); // the SAM 2.1 reference case point1
        tool.awaitPending();
        PromptSession session = tool.session(imp);
        boolean[] mask = session.mask();
        assertNotNull(mask, "a mask after the click");
        float[] iou = Fixtures.npy("sam2_tiny", "point1__mmT__iou_predictions").floats();
        int best = 0;
        for (int i = 1; i < 3; i++) {
            best = iou[i] > iou[best] ? i : best;
        }
        float[] logits = Fixtures.npy("sam2_tiny", "point1__mmT__logits_orig").floats();
        int area = 97 * 150;
        int inMask = 0;
        for (int k = 0; k < area; k++) {
            if (Math.abs(logits[best * area + k]) > 1e-4) {
                assertEquals(logits[best * area + k] > 0, mask[k], "pixel " + k);
            }
            inMask += mask[k] ? 1 : 0;
        }
        assertTrue(inMask > 0);
        assertEquals(iou[best], session.predictedIou(), 1e-4);
        click(tool, imp, imp.getCanvas(), 30, 110, InputEvent.ALT_DOWN_MASK); // refined with the previous logits
        tool.awaitPending();
        assertNotNull(session.mask());
        tool.key(imp, KeyEvent.VK_ESCAPE, (char) 27);
        imp.changes = false;
        imp.close();
    }

    private static void click(SamPromptTool_ tool, ImagePlus imp, ImageCanvas c, int x, int y, int modifiers) {
        int sx = c.screenX(x) + 1;
        int sy = c.screenY(y) + 1;
        long now = System.currentTimeMillis();
        tool.mousePressed(imp, new MouseEvent(c, MouseEvent.MOUSE_PRESSED, now, modifiers, sx, sy, 1, false));
        tool.mouseReleased(imp, new MouseEvent(c, MouseEvent.MOUSE_RELEASED, now + 50, modifiers, sx, sy, 1, false));
    }

    /** Fraction of mask pixels whose on-screen colour is tinted red by the overlay. */
    private static double reddish(BufferedImage shot, ImageCanvas c, ImagePlus imp, boolean[] mask) {
        Rectangle window = imp.getWindow().getBounds();
        java.awt.Point canvasOnScreen = c.getLocationOnScreen();
        int tinted = 0;
        int total = 0;
        for (int y = 0; y < imp.getHeight(); y++) {
            for (int x = 0; x < imp.getWidth(); x++) {
                if (!mask[y * imp.getWidth() + x]) {
                    continue;
                }
                int px = canvasOnScreen.x - window.x + c.screenX(x) + 1;
                int py = canvasOnScreen.y - window.y + c.screenY(y) + 1;
                if (px < 0 || py < 0 || px >= shot.getWidth() || py >= shot.getHeight()) {
                    continue;
                }
                int rgb = shot.getRGB(px, py);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                total++;
                tinted += r > g + 20 && r > b + 20 ? 1 : 0;
            }
        }
        return total == 0 ? 0 : (double) tinted / total;
    }
}
