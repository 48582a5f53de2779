package io.github.samfiji.ij;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.gui.GenericDialog;
import ij.gui.ImageCanvas;
import ij.gui.Toolbar;
import ij.plugin.tool.PlugInTool;
import java.awt.event.KeyAdapter;
import java.awt.event.KeyEvent;
import java.awt.event.MouseEvent;
import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The SAM prompt tool: click = object point, alt- or shift-click = background point, drag = box. The mask is shown
 * as an overlay after each prompt (the plane is encoded in the background on first use, then each click costs only
 * the decoder). Enter or 'a' adds the object to the ROI Manager, Escape clears it. Double-click the tool icon to
 * choose the model.
 */
public class SamPromptTool_ extends PlugInTool {

    /** The model file shared with Segment with Prompt. */
    static final String MODEL_PREF = "samfiji.SegmentWithPromptCommand.model";
    private static final int DRAG_THRESHOLD = 4;

    private final Map<Integer, PromptSession> sessions = new HashMap<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "SAM prompt tool");
        t.setDaemon(true);
        return t;
    });
    private int pressX;
    private int pressY;
    private volatile Future<?> pending;

    @Override
    public void run(String arg) {
        Toolbar.addPlugInTool(this);
    }

    @Override
    public String getToolName() {
        return "SAM Prompt Tool (click: object, alt-click: background, drag: box; Enter: add, Esc: clear)";
    }

    @Override
    public String getToolIcon() {
        return "C000T0f10ST9f10AC0a0o6644";
    }

    @Override
    public void showOptionsDialog() {
        GenericDialog gd = new GenericDialog("SAM Prompt Tool");
        gd.addFileField("Model file", Prefs.get(MODEL_PREF, ""));
        gd.showDialog();
        if (!gd.wasCanceled()) {
            Prefs.set(MODEL_PREF, gd.getNextString().trim());
        }
    }

    @Override
    public void mousePressed(ImagePlus imp, MouseEvent e) {
        ImageCanvas c = imp.getCanvas();
        pressX = c.offScreenX(e.getX());
        pressY = c.offScreenY(e.getY());
    }

    @Override
    public void mouseReleased(ImagePlus imp, MouseEvent e) {
        ImageCanvas c = imp.getCanvas();
        int x = c.offScreenX(e.getX());
        int y = c.offScreenY(e.getY());
        PromptSession session = session(imp);
        if (Math.abs(x - pressX) >= DRAG_THRESHOLD || Math.abs(y - pressY) >= DRAG_THRESHOLD) {
            session.setBox(pressX, pressY, x, y);
        } else {
            boolean background = e.isAltDown() || e.isShiftDown();
            session.addPoint(x, y, !background);
        }
        predict(session);
    }

    /** The session of the image's current plane; a new plane starts a new object. */
    PromptSession session(ImagePlus imp) {
        PromptSession s = sessions.get(imp.getID());
        if (s == null || s.stackIndex() != imp.getCurrentSlice()) {
            if (s != null) {
                s.clear();
            }
            s = new PromptSession(imp, imp.getCurrentSlice());
            sessions.put(imp.getID(), s);
            listenToKeys(imp);
        }
        return s;
    }

    /** Runs the prediction off the event thread; returns its future (tests wait on it). */
    Future<?> predict(PromptSession session) {
        String path = Prefs.get(MODEL_PREF, "");
        if (path.isEmpty() || !new File(path).isFile()) {
            IJ.error("SAM Prompt Tool", "Choose a model file first: double-click the SAM tool icon"
                    + (path.isEmpty() ? "." : " (" + path + " not found)."));
            session.clear();
            return null;
        }
        pending = worker.submit(() -> {
            IJProgress progress = new IJProgress("prompt tool");
            try {
                session.update(ModelCache.embeddings(ModelCache.load(new File(path).toPath(), null)), progress);
                IJ.showStatus(String.format("SAM: predicted IoU %.3f (Enter adds it, Esc clears)", session.predictedIou()));
            } catch (java.util.concurrent.CancellationException e) {
                IJ.showStatus("SAM: cancelled");
            } catch (Exception e) {
                IJ.error("SAM Prompt Tool", e.getMessage() == null ? e.toString() : e.getMessage());
            } finally {
                progress.done();
            }
        });
        return pending;
    }

    /** Handles Enter / 'a' (add) and Escape (clear) for an image the tool was used on. */
    void key(ImagePlus imp, int keyCode, char keyChar) {
        PromptSession s = sessions.get(imp.getID());
        if (s == null) {
            return;
        }
        if (keyCode == KeyEvent.VK_ENTER || keyChar == 'a') {
            awaitPending();
            if (s.commit()) {
                IJ.showStatus("SAM: object added to the ROI Manager");
            }
        } else if (keyCode == KeyEvent.VK_ESCAPE) {
            s.clear();
        }
    }

    void awaitPending() {
        Future<?> f = pending;
        if (f != null) {
            try {
                f.get();
            } catch (Exception e) {
                // reported by the task itself
            }
        }
    }

    private void listenToKeys(ImagePlus imp) {
        ImageCanvas canvas = imp.getCanvas();
        if (canvas == null) {
            return;
        }
        canvas.addKeyListener(new KeyAdapter() {
            @Override
            public void keyPressed(KeyEvent e) {
                if (Toolbar.getToolName() != null && Toolbar.getToolName().startsWith("SAM Prompt Tool")) {
                    key(imp, e.getKeyCode(), e.getKeyChar());
                }
            }
        });
    }
}
