package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.gui.PointRoi;
import ij.gui.Roi;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.inference.Prompt;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.github.samfiji.imagejio.MaskRois;

/**
 * Reads SAM prompts from ImageJ selections:
 * <ul>
 * <li>a point selection (multi-point tool): points of counter 0 are object points, points of counter 1 (choose
 * it in the multi-point tool's options) are background points; equivalently, every point of a selection whose
 * name starts with "background" (e.g. {@code Roi.setName("background")} in a macro) is a background point;</li>
 * <li>a rectangle: a box from its first to its last pixel; any other area selection: its bounding box;</li>
 * <li>in the ROI Manager: each ROI is one object, except ROIs given the same group number (&gt; 0), which together
 * form one object (e.g. a rectangle and a few background points). The ROI's position gives its slice.</li>
 * </ul>
 */
public final class ImagePrompts {

    /** The prompts of one object on one plane (1-based stack index). */
    public record ObjectPrompt(Prompt prompt, int stackIndex, String source) {
    }

    private ImagePrompts() {
    }

    /** From the image's current selection, on the current plane. */
    public static ObjectPrompt fromSelection(ImagePlus image) {
        Roi roi = image.getRoi();
        if (roi == null) {
            throw new IllegalArgumentException("no selection on " + image.getTitle() + ": draw a rectangle around the "
                    + "object or click points on it (multi-point tool), or use prompts from the ROI Manager");
        }
        Prompt.Builder b = Prompt.builder();
        add(b, roi);
        return new ObjectPrompt(b.build(), image.getCurrentSlice(), "selection");
    }

    /** From every ROI of the manager, grouped into objects as described above. */
    public static List<ObjectPrompt> fromManager(RoiManager manager, ImagePlus image) {
        Roi[] rois = manager == null ? new Roi[0] : manager.getRoisAsArray();
        if (rois.length == 0) {
            throw new IllegalArgumentException("the ROI Manager is empty: add prompt selections to it first "
                    + "(points or rectangles, press T), or use the image's own selection");
        }
        Map<String, List<Roi>> objects = new LinkedHashMap<>();
        for (int i = 0; i < rois.length; i++) {
            Roi r = rois[i];
            String key = r.getGroup() > 0 ? "group " + r.getGroup() + " slice " + stackIndex(r, image) : "roi " + i;
            objects.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        List<ObjectPrompt> out = new ArrayList<>();
        for (Map.Entry<String, List<Roi>> e : objects.entrySet()) {
            Prompt.Builder b = Prompt.builder();
            for (Roi r : e.getValue()) {
                add(b, r);
            }
            out.add(new ObjectPrompt(b.build(), stackIndex(e.getValue().get(0), image), e.getValue().get(0).getName()));
        }
        return out;
    }

    /**
     * One object's input over a stack: per plane either prompts (its ROIs combined) or, for a plane whose only ROI
     * is a non-rectangular area (a drawn or corrected outline), that outline as a finished mask.
     */
    public record VolumeObject(int number, List<ObjectPrompt> planes, Map<Integer, boolean[]> masks) {
    }

    /**
     * For propagation: every ROI of the manager is one object, except ROIs with the same group number (&gt; 0),
     * which form one object whatever their slices (e.g. boxes on its first and last slices). A plane holding one
     * polygon, freehand, traced or composite ROI of the object gives its mask as it is.
     */
    public static List<VolumeObject> objectsFromManager(RoiManager manager, ImagePlus image) {
        Roi[] rois = manager == null ? new Roi[0] : manager.getRoisAsArray();
        if (rois.length == 0) {
            throw new IllegalArgumentException("the ROI Manager is empty: add a prompt (a rectangle or points, press T) "
                    + "on a slice of the object first");
        }
        Map<String, Map<Integer, List<Roi>>> objects = new LinkedHashMap<>();
        for (int i = 0; i < rois.length; i++) {
            Roi r = rois[i];
            String key = r.getGroup() > 0 ? "group " + r.getGroup() : "roi " + i;
            objects.computeIfAbsent(key, k -> new java.util.TreeMap<>())
                    .computeIfAbsent(stackIndex(r, image), k -> new ArrayList<>()).add(r);
        }
        List<VolumeObject> out = new ArrayList<>();
        for (Map<Integer, List<Roi>> planes : objects.values()) {
            List<ObjectPrompt> prompts = new ArrayList<>();
            Map<Integer, boolean[]> masks = new LinkedHashMap<>();
            planes.forEach((index, list) -> {
                Roi only = list.size() == 1 ? list.get(0) : null;
                if (only != null && only.isArea() && only.getType() != Roi.RECTANGLE) {
                    masks.put(index, MaskRois.toMask(only, image.getWidth(), image.getHeight()));
                } else {
                    Prompt.Builder b = Prompt.builder();
                    list.forEach(r -> add(b, r));
                    prompts.add(new ObjectPrompt(b.build(), index, list.get(0).getName()));
                }
            });
            out.add(new VolumeObject(out.size() + 1, prompts, masks));
        }
        return out;
    }

    private static void add(Prompt.Builder b, Roi roi) {
        if (roi instanceof PointRoi points) {
            String name = roi.getName() == null ? "" : roi.getName().toLowerCase(java.util.Locale.ROOT);
            boolean background = name.startsWith("background");
            float[] xs = points.getFloatPolygon().xpoints;
            float[] ys = points.getFloatPolygon().ypoints;
            for (int i = 0; i < points.size(); i++) {
                int counter = points.getCounter(i);
                if (counter > 1) {
                    throw new IllegalArgumentException("point " + (i + 1) + " uses multi-point counter " + counter
                            + "; use counter 0 for object points and counter 1 for background points");
                }
                // ImageJ stores a clicked pixel by its index, as SAM expects (SAM itself adds the half pixel).
                b.point(xs[i], ys[i], counter == 0 && !background ? 1 : 0);
            }
        } else if (roi.isArea()) {
            // ImageJ bounds end after the last pixel; SAM's box corners are the first and last pixels.
            Rectangle2D r = roi.getFloatBounds();
            b.box(r.getMinX(), r.getMinY(), Math.max(r.getMinX(), r.getMaxX() - 1), Math.max(r.getMinY(), r.getMaxY() - 1));
        } else {
            throw new IllegalArgumentException("a " + roi.getTypeAsString() + " selection cannot be a SAM prompt: use "
                    + "points or a rectangle");
        }
    }

    /** The 1-based stack index a ROI belongs to; 0 (no position) means the current plane. */
    static int stackIndex(Roi roi, ImagePlus image) {
        if (roi.hasHyperStackPosition()) {
            return image.getStackIndex(Math.max(1, roi.getCPosition()), Math.max(1, roi.getZPosition()),
                    Math.max(1, roi.getTPosition()));
        }
        return roi.getPosition() > 0 ? roi.getPosition() : image.getCurrentSlice();
    }

}
