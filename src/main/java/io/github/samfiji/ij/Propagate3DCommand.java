package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.inference.StackEmbeddings;
import io.github.samfiji.inference.StackPropagation;
import io.github.samfiji.inference.VolumePropagator;
import io.github.samfiji.inference.VolumePropagator.Projection;
import io.github.samfiji.inference.VolumePropagator.SlicePrompt;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.inference.StackPropagator;
import io.github.samfiji.inference.sam2.Sam2StackPropagation;
import io.github.samfiji.imagejio.RoiOutput;

/**
 * Propagate in 3D: objects prompted in the ROI Manager on one or a few slices (a rectangle or points; ROIs with
 * the same group number are one object, e.g. boxes on its first and last slices) are segmented through the stack.
 * An outline drawn (or corrected) on a slice is taken as that slice's mask as it is, so a wrong slice is fixed by
 * drawing it right and running again.
 * Results: one ROI per object and slice in the ROI Manager (grouped by object, positioned on their slice), a 16-bit
 * label stack with the image's calibration, and a table of each object's extent and volume.
 */
@Plugin(type = Command.class, label = "Propagate in 3D")
public class Propagate3DCommand implements Command {

    public static final String TABLE = "Propagation Volumes";

    @Parameter
    ImagePlus image;

    @Parameter(label = "Installed model", style = "models", description = "a model of the models folder, or the file below")
    String installed = ModelFolder.FILE_BELOW;

    @Parameter(label = "Model file", style = "open", description = "SAM checkpoint (.pth), SAM 2.1 checkpoint (.pt, tracked with its "
            + "memory) or a sam-fiji model (.safetensors)")
    File model;

    @Parameter(label = "Preprocessing", choices = {PreprocessingChoice.AS_MODEL, PreprocessingChoice.SAM,
            PreprocessingChoice.MEDSAM}, description = PreprocessingChoice.DESCRIPTION)
    String preprocessing = PreprocessingChoice.AS_MODEL;

    @Parameter(label = "Projection", choices = {"mask", "box", "points", "points_and_mask", "single_point"},
            description = "how one slice's mask prompts the next slice")
    String projection = "mask";

    @Parameter(label = "IoU threshold", min = "0", max = "1", stepSize = "0.05",
            description = "stop when consecutive slices' masks overlap less than this")
    double iouThreshold = 0.5;

    @Parameter(label = "Box extension", min = "0", max = "1", stepSize = "0.01",
            description = "enlarge derived boxes by this fraction of their size per side")
    double boxExtension = 0.05;

    @Parameter(label = "Embedding cache folder", style = "directory", required = false,
            description = "keep slice embeddings on disk, so a later session on the same stack does not re-encode")
    File cacheFolder;

    @Parameter(label = "Add to ROI Manager", description = "add one ROI per object and slice")
    boolean addToManager = true;

    @Parameter(label = "Label image", description = "also show a 16-bit label stack (object n = n)")
    boolean labelImage = true;

    @Parameter(type = ItemIO.OUTPUT)
    ImagePlus labels;

    /** Per object, the propagation result, for callers and tests. */
    List<VolumePropagator.Result> results = List.of();

    @Override
    public void run() {
        if (image == null) {
            throw new IllegalArgumentException("no image is open");
        }
        StackSlices planes = StackSlices.of(image);
        if (planes.depth() < 2) {
            throw new IllegalArgumentException(image.getTitle() + " is a 2D image: propagation needs a stack (use "
                    + "Segment with Prompt for a single image)");
        }
        File file = ModelFolder.chosen(installed, model);
        VolumePropagator.Settings settings = new VolumePropagator.Settings(Projection.parse(projection), iouThreshold,
                boxExtension);
        RoiManager manager = RoiManager.getInstance2();
        List<ImagePrompts.VolumeObject> objects = ImagePrompts.objectsFromManager(manager, image);
        IJProgress progress = new IJProgress("Propagate in 3D");
        List<RoiOutput.SegmentedObject> segmented = new ArrayList<>();
        List<VolumePropagator.Result> out = new ArrayList<>();
        try {
            StackPropagator propagator = propagator(ModelCache.load(file.toPath(), null,
                    PreprocessingChoice.of(preprocessing)), planes, settings);
            List<StackPropagation.ObjectPrompts> todo = new ArrayList<>();
            for (ImagePrompts.VolumeObject o : objects) {
                List<SlicePrompt> prompts = new ArrayList<>();
                for (ImagePrompts.ObjectPrompt p : o.planes()) {
                    prompts.add(new SlicePrompt(plane(planes, o, p.stackIndex()), p.prompt()));
                }
                for (var m : o.masks().entrySet()) {
                    prompts.add(SlicePrompt.ofMask(plane(planes, o, m.getKey()), m.getValue()));
                }
                todo.add(new StackPropagation.ObjectPrompts(o.number(), prompts));
            }
            for (StackPropagation.ObjectResult found : propagator.run(todo, progress)) {
                out.add(found.result());
                found.result().slices().forEach((z, m) -> segmented.add(new RoiOutput.SegmentedObject(found.object(),
                        planes.stackIndex(z), m.mask(), m.predictedIou(), 0)));
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            progress.done();
        }
        results = List.copyOf(out);
        if (addToManager) {
            RoiManager target = RoiOutput.manager();
            for (RoiOutput.SegmentedObject s : segmented) {
                Roi roi = RoiOutput.toRoi(image, s);
                if (roi != null) {
                    roi.setGroup(Math.min(255, s.objectNumber()));
                    target.addRoi(roi);
                }
            }
        }
        if (labelImage) {
            labels = RoiOutput.labelImage(image, segmented);
        }
        volumes(objects).show(TABLE);
    }

    /**
     * SAM 1: the projection method on the session's slice embeddings (each slice encoded once for every command).
     * SAM 2.1: memory tracking on the same store, re-run from all prompts, as the command line does; projection, IoU
     * threshold and box extension are SAM 1 settings and do not apply.
     */
    private StackPropagator propagator(LoadedModel loaded, StackSlices planes, VolumePropagator.Settings settings) {
        StackEmbeddings stack = ModelCache.stack(loaded, image, cacheFolder == null ? null : cacheFolder.toPath());
        if (loaded instanceof LoadedModel.Sam2 sam2) {
            return new Sam2StackPropagation(sam2.model(), stack, image.getWidth(), image.getHeight());
        }
        return StackPropagation.projecting(VolumePropagator.withModel(ModelCache.embeddings(loaded).promptPredictor(),
                stack, image.getWidth(), image.getHeight()), settings);
    }

    private static int plane(StackSlices planes, ImagePrompts.VolumeObject o, int stackIndex) {
        int z = planes.planeOf(stackIndex);
        if (z < 0) {
            throw new IllegalArgumentException("object " + o.number() + ": a prompt lies on stack position " + stackIndex
                    + ", which is not a slice of the current channel and frame");
        }
        return z;
    }

    private ResultsTable volumes(List<ImagePrompts.VolumeObject> objects) {
        Calibration cal = image.getCalibration();
        double voxel = cal.pixelWidth * cal.pixelHeight * cal.pixelDepth;
        ResultsTable table = new ResultsTable();
        for (int i = 0; i < results.size(); i++) {
            VolumePropagator.Result r = results.get(i);
            table.addRow();
            table.addValue("Object", objects.get(i).number());
            table.addValue("First slice", r.slices().isEmpty() ? 0 : r.first() + 1);
            table.addValue("Last slice", r.slices().isEmpty() ? 0 : r.last() + 1);
            table.addValue("Slices", r.slices().size());
            table.addValue("Voxels", r.voxelCount());
            table.addValue("Volume (" + cal.getUnit() + "^3)", r.voxelCount() * voxel);
            table.addValue("Stop below", r.stopBelow());
            table.addValue("Stop above", r.stopAbove());
        }
        return table;
    }
}
