package io.github.samfiji.imagejio;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Roi;
import ij.plugin.frame.RoiManager;
import ij.process.ShortProcessor;
import java.util.List;
import java.util.Locale;

/** Puts segmented objects into the ROI Manager and/or a label image, never touching the user's existing ROIs. */
public final class RoiOutput {

    /** One segmented object on one plane. */
    public record SegmentedObject(int objectNumber, int stackIndex, boolean[] mask, float predictedIou, int candidate) {
    }

    private RoiOutput() {
    }

    /** The selection of one object, named {@code <image>-<object>-<slice>}, with its scores as properties. */
    public static Roi toRoi(ImagePlus image, SegmentedObject o) {
        Roi roi = MaskRois.toRoi(o.mask(), image.getWidth(), image.getHeight());
        if (roi == null) {
            return null;
        }
        roi.setName(image.getTitle() + "-" + o.objectNumber() + "-" + o.stackIndex());
        if (image.getStackSize() > 1) {
            if (image.isHyperStack()) {
                int[] czt = image.convertIndexToPosition(o.stackIndex());
                roi.setPosition(czt[0], czt[1], czt[2]);
            } else {
                roi.setPosition(o.stackIndex());
            }
        }
        roi.setProperty("sam.predicted_iou", String.format(Locale.ROOT, "%.4f", o.predictedIou()));
        roi.setProperty("sam.candidate", Integer.toString(o.candidate() + 1));
        roi.setProperty("sam.object", Integer.toString(o.objectNumber()));
        return roi;
    }

    /**
     * The ROI Manager to add to: the open one, a macro's batch-mode one, or a new one (hidden when headless).
     */
    public static RoiManager manager() {
        RoiManager manager = RoiManager.getInstance2();
        if (manager != null) {
            return manager;
        }
        boolean hidden = java.awt.GraphicsEnvironment.isHeadless() && !ij.macro.Interpreter.isBatchMode();
        return hidden ? new RoiManager(true) : RoiManager.getRoiManager();
    }

    /** Adds the objects' ROIs after the manager's existing ones; returns how many were added (empty masks are not). */
    public static int addToManager(RoiManager manager, ImagePlus image, List<SegmentedObject> objects) {
        int added = 0;
        for (SegmentedObject o : objects) {
            Roi roi = toRoi(image, o);
            if (roi != null) {
                manager.addRoi(roi);
                added++;
            }
        }
        return added;
    }

    /** A 16-bit label image (stack) of the image's size: 0 background, object n = n; later objects win overlaps. */
    public static ImagePlus labelImage(ImagePlus image, List<SegmentedObject> objects) {
        int w = image.getWidth();
        int h = image.getHeight();
        ImageStack stack = new ImageStack(w, h);
        for (int s = 1; s <= image.getStackSize(); s++) {
            stack.addSlice(new ShortProcessor(w, h));
        }
        for (SegmentedObject o : objects) {
            short[] pixels = (short[]) stack.getPixels(o.stackIndex());
            boolean[] m = o.mask();
            for (int i = 0; i < m.length; i++) {
                if (m[i]) {
                    pixels[i] = (short) o.objectNumber();
                }
            }
        }
        ImagePlus labels = new ImagePlus(image.getShortTitle() + "-labels", stack);
        io.github.samfiji.imagejio.medical.Nifti.copyGeometry(image, labels); // calibration, and a NIfTI affine
        if (image.isHyperStack()) {
            labels.setDimensions(image.getNChannels(), image.getNSlices(), image.getNFrames());
        }
        return labels;
    }
}
