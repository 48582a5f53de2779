package io.github.samfiji.imagejio;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Roi;
import ij.process.ShortProcessor;
import io.github.samfiji.inference.InstanceMask;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns automatically found objects into a 16-bit label image and ROIs carrying their scores. */
public final class InstanceOutput {

    /** The objects found on one plane (1-based stack index), labelled from {@code firstLabel} on. */
    public record PlaneInstances(int stackIndex, int firstLabel, List<InstanceMask> masks) {
    }

    private InstanceOutput() {
    }

    /** The planes of an auto-segmentation of {@code slices}, at their ImageJ stack positions. */
    public static List<PlaneInstances> of(io.github.samfiji.inference.AutoSegmentation.Result result,
                                          StackSlices slices) {
        return result.planes().stream()
                .map(p -> new PlaneInstances(slices.stackIndex(p.plane()), p.firstLabel(), p.masks())).toList();
    }

    /**
     * A label stack of the image's size: 0 background, object k of a plane = firstLabel + k. Objects come largest
     * first, so a smaller object overlapping a larger one stays visible.
     */
    public static ImagePlus labelImage(ImagePlus image, List<PlaneInstances> planes) {
        int w = image.getWidth();
        int h = image.getHeight();
        ImageStack stack = new ImageStack(w, h);
        for (int s = 1; s <= image.getStackSize(); s++) {
            stack.addSlice(new ShortProcessor(w, h));
        }
        for (PlaneInstances plane : planes) {
            short[] pixels = (short[]) stack.getPixels(plane.stackIndex());
            int label = plane.firstLabel();
            for (InstanceMask m : plane.masks()) {
                if (label > 65535) {
                    throw new IllegalStateException("more than 65535 objects do not fit a 16-bit label image");
                }
                for (int y = 0; y < m.height(); y++) {
                    for (int x = 0; x < m.width(); x++) {
                        if (m.bits()[y * m.width() + x]) {
                            pixels[(m.y0() + y) * w + m.x0() + x] = (short) label;
                        }
                    }
                }
                label++;
            }
        }
        ImagePlus labels = new ImagePlus(image.getShortTitle() + "-labels", stack);
        io.github.samfiji.imagejio.medical.Nifti.copyGeometry(image, labels); // calibration, and a NIfTI affine
        if (image.isHyperStack()) {
            labels.setDimensions(image.getNChannels(), image.getNSlices(), image.getNFrames());
        }
        return labels;
    }

    /**
     * Class {@code k}'s probability map (1-based) as a 32-bit stack with the geometry of the label image: planes not
     * segmented are 0.
     */
    public static ImagePlus probabilityImage(ImagePlus image, io.github.samfiji.inference.AutoSegmentation.Result result,
                                             StackSlices slices, int k) {
        int w = image.getWidth();
        int h = image.getHeight();
        ImageStack stack = new ImageStack(w, h);
        for (int s = 1; s <= image.getStackSize(); s++) {
            stack.addSlice(new ij.process.FloatProcessor(w, h));
        }
        for (io.github.samfiji.inference.AutoSegmentation.PlaneProbabilities p : result.probabilities()) {
            stack.setPixels(p.perClass().get(k - 1).clone(), slices.stackIndex(p.plane()));
        }
        ImagePlus maps = new ImagePlus(image.getShortTitle() + "-probability" + (k == 1 ? "" : "-class" + k), stack);
        io.github.samfiji.imagejio.medical.Nifti.copyGeometry(image, maps); // calibration, and a NIfTI affine
        if (image.isHyperStack()) {
            maps.setDimensions(image.getNChannels(), image.getNSlices(), image.getNFrames());
        }
        maps.setDisplayRange(0, 1);
        return maps;
    }

    /** One ROI per object, named {@code <title>-<label>}, positioned on its plane, with its scores as properties. */
    public static List<Roi> rois(ImagePlus image, List<PlaneInstances> planes) {
        List<Roi> out = new ArrayList<>();
        int w = image.getWidth();
        int h = image.getHeight();
        for (PlaneInstances plane : planes) {
            int label = plane.firstLabel();
            for (InstanceMask m : plane.masks()) {
                Roi roi = MaskRois.toRoi(m.toFull(w, h), w, h);
                if (roi != null) {
                    roi.setName(image.getShortTitle() + "-" + label);
                    if (image.getStackSize() > 1) {
                        roi.setPosition(plane.stackIndex());
                    }
                    roi.setProperty("sam.label", Integer.toString(label));
                    roi.setProperty("sam.area", Long.toString(m.area()));
                    roi.setProperty("sam.predicted_iou", String.format(Locale.ROOT, "%.4f", m.predictedIou()));
                    roi.setProperty("sam.stability_score", String.format(Locale.ROOT, "%.4f", m.stabilityScore()));
                    out.add(roi);
                }
                label++;
            }
        }
        return out;
    }
}
