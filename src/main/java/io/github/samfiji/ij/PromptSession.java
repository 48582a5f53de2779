package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.gui.ImageRoi;
import ij.gui.Overlay;
import ij.gui.PointRoi;
import ij.gui.Roi;
import ij.process.ColorProcessor;
import io.github.samfiji.inference.Embedding;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.io.Progress;
import io.github.samfiji.inference.Prompt;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import io.github.samfiji.imagejio.RoiOutput;

/**
 * The prompts of one object being segmented interactively on one image plane, and its current mask. The first
 * prompt asks for 3 candidates and keeps the best; every later prompt also passes the previous low-resolution
 * logits as mask prompt, as SAM's interactive use does, so clicks refine the object.
 */
public final class PromptSession {

    private static final Color MASK_COLOR = new Color(255, 64, 64);
    private static final double MASK_OPACITY = 0.4;

    private final ImagePlus image;
    private final int stackIndex;
    private final List<Prompt.Point> points = new ArrayList<>();
    private Prompt.Box box;
    private Prediction last;
    private int lastChosen;
    private int objectNumber = 1;

    public PromptSession(ImagePlus image, int stackIndex) {
        this.image = image;
        this.stackIndex = stackIndex;
    }

    public ImagePlus image() {
        return image;
    }

    public int stackIndex() {
        return stackIndex;
    }

    public synchronized void addPoint(double x, double y, boolean object) {
        points.add(new Prompt.Point(x, y, object ? 1 : 0));
    }

    public synchronized void setBox(double x0, double y0, double x1, double y1) {
        box = new Prompt.Box(Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1));
    }

    public synchronized boolean isEmpty() {
        return points.isEmpty() && box == null;
    }

    /** Runs the model on the current prompts (encoding the plane first if needed) and shows the mask. */
    public Prediction update(EmbeddingCache cache, Progress progress) {
        Prompt prompt;
        boolean first;
        synchronized (this) {
            if (isEmpty()) {
                return null;
            }
            first = last == null;
            prompt = new Prompt(points, box, first ? null : last.lowRes()[lastChosen]);
        }
        Embedding embedding = cache.embedding(image, stackIndex, progress);
        Prediction p = cache.promptPredictor().predict(embedding, prompt, first);
        synchronized (this) {
            last = p;
            lastChosen = p.best();
        }
        showOverlay();
        return p;
    }

    /** The current mask, or null before the first prediction. */
    public synchronized boolean[] mask() {
        return last == null ? null : last.mask(lastChosen);
    }

    public synchronized float predictedIou() {
        return last == null ? Float.NaN : last.iou()[lastChosen];
    }

    /** Adds the current mask to the ROI Manager and starts a new object; false if there is nothing to add. */
    public boolean commit() {
        boolean[] mask = mask();
        if (mask == null) {
            return false;
        }
        int n;
        synchronized (this) {
            n = objectNumber++;
        }
        RoiOutput.addToManager(RoiOutput.manager(), image,
                List.of(new RoiOutput.SegmentedObject(n, stackIndex, mask, predictedIou(), lastChosen)));
        clear();
        return true;
    }

    /** Forgets the prompts and the mask of the current object. */
    public void clear() {
        synchronized (this) {
            points.clear();
            box = null;
            last = null;
        }
        image.setOverlay(null);
    }

    /** The mask as a translucent colour layer, with the prompt points and box drawn on top. */
    private void showOverlay() {
        boolean[] mask = mask();
        int w = image.getWidth();
        int h = image.getHeight();
        int[] argb = new int[w * h];
        for (int i = 0; i < argb.length; i++) {
            argb[i] = mask[i] ? MASK_COLOR.getRGB() : 0;
        }
        ImageRoi layer = new ImageRoi(0, 0, new ColorProcessor(w, h, argb));
        layer.setZeroTransparent(true);
        layer.setOpacity(MASK_OPACITY);
        Overlay overlay = new Overlay(layer);
        synchronized (this) {
            for (Prompt.Point p : points) {
                PointRoi marker = new PointRoi(p.x(), p.y());
                marker.setStrokeColor(p.label() == 1 ? Color.GREEN : Color.MAGENTA);
                overlay.add(marker);
            }
            if (box != null) {
                Roi r = new Roi(box.x0(), box.y0(), box.x1() - box.x0() + 1, box.y1() - box.y0() + 1);
                r.setStrokeColor(Color.YELLOW);
                overlay.add(r);
            }
        }
        if (image.getStackSize() > 1) {
            for (Roi r : overlay.toArray()) {
                r.setPosition(stackIndex);
            }
        }
        image.setOverlay(overlay);
    }
}
