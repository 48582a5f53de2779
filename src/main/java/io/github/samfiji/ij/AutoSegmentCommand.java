package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.inference.AmgSettings;
import io.github.samfiji.inference.AutoSegmentation;
import io.github.samfiji.inference.InstanceMask;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.inference.PromptPredictor;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.imagejio.RoiOutput;
import io.github.samfiji.imagejio.InstanceOutput;

/**
 * Auto-segment: every object of the image (SAM's automatic mask generation) or, with a model fine-tuned without
 * prompts, a semantic mask. Objects go to the ROI Manager (with their scores as ROI properties), a 16-bit label
 * image (largest first, labels unique over the stack) and a table "Auto-segment Objects".
 */
@Plugin(type = Command.class, label = "Auto-segment")
public class AutoSegmentCommand implements Command {

    public static final String AMG = "Everything (automatic mask generation)";
    public static final String SEMANTIC = "Semantic (prompt-free fine-tuned model)";
    public static final String TABLE = "Auto-segment Objects";

    @Parameter
    ImagePlus image;

    @Parameter(label = "Installed model", style = "models", description = "a model of the models folder, or the file below")
    String installed = ModelFolder.FILE_BELOW;

    @Parameter(label = "Model file", style = "open", description = "SAM checkpoint (.pth), SAM 2.1 checkpoint (.pt) or a sam-fiji model (.safetensors)")
    File model;

    @Parameter(label = "Preprocessing", choices = {PreprocessingChoice.AS_MODEL, PreprocessingChoice.SAM,
            PreprocessingChoice.MEDSAM}, description = PreprocessingChoice.DESCRIPTION)
    String preprocessing = PreprocessingChoice.AS_MODEL;

    @Parameter(label = "Mode", choices = {AMG, SEMANTIC})
    String mode = AMG;

    @Parameter(label = "Class models", required = false, description = "semantic mode: more prompt-free models, one "
            + "class each (the model above is class 1), as files separated by ';'; a pixel takes the most confident class")
    String classModels = "";

    @Parameter(label = "Points per side", min = "1", description = "grid of n x n point prompts")
    int pointsPerSide = 32;

    @Parameter(label = "Predicted IoU threshold", min = "0", max = "1", stepSize = "0.01",
            description = "keep masks whose predicted IoU is above this (the SAM reference uses 0.88, SAM 2.1's 0.8)")
    double predIouThresh = 0.88;

    @Parameter(label = "Stability score threshold", min = "0", max = "1", stepSize = "0.01")
    double stabilityScoreThresh = 0.95;

    @Parameter(label = "Box NMS threshold", min = "0", max = "1", stepSize = "0.05")
    double boxNmsThresh = 0.7;

    @Parameter(label = "Crop layers", min = "0", max = "4", description = "extra layers of overlapping crops at full detail")
    int cropNLayers = 0;

    @Parameter(label = "Minimum region area", min = "0", description = "remove islands and fill holes smaller than this (pixels)")
    int minMaskRegionArea = 0;

    @Parameter(label = "Tile size", min = "0", description = "cut larger images into overlapping tiles of this size, "
            + "each encoded at full detail (0 = whole image at once)")
    int tileSize = 0;

    @Parameter(label = "Overlap of tiles", min = "0", description = "overlap of tiles in pixels (larger than the objects)")
    int tileOverlap = 256;

    @Parameter(label = "All slices", description = "segment every slice of the stack (else the current one)")
    boolean allSlices = false;

    @Parameter(label = "Add to ROI Manager")
    boolean addToManager = true;

    @Parameter(label = "Label image")
    boolean labelImage = true;

    @Parameter(label = "Probability map", description = "semantic mode: also show each class's 32-bit probability "
            + "map (sigmoid of the logits), with the label image's geometry")
    boolean probabilityMap = false;

    @Parameter(type = ItemIO.OUTPUT)
    ImagePlus labels;

    /** Class 1's probability map when asked for (the maps of further classes are shown beside it). */
    @Parameter(type = ItemIO.OUTPUT, required = false)
    ImagePlus probability;

    /** Objects per plane of the last run, for callers and tests. */
    List<InstanceOutput.PlaneInstances> results = List.of();

    @Override
    public void run() {
        if (image == null) {
            throw new IllegalArgumentException("no image is open");
        }
        File file = ModelFolder.chosen(installed, model);
        AutoSegmentation.Mode chosen = SEMANTIC.equals(mode) ? AutoSegmentation.Mode.SEMANTIC
                : AutoSegmentation.Mode.AMG;
        AmgSettings settings = AmgSettings.defaults().pointsPerSide(pointsPerSide).predIouThresh(predIouThresh)
                .stabilityScoreThresh(stabilityScoreThresh).boxNmsThresh(boxNmsThresh).cropNLayers(cropNLayers)
                .minMaskRegionArea(minMaskRegionArea).tileSize(tileSize).tileOverlap(tileOverlap);
        StackSlices planes = StackSlices.of(image);
        List<Integer> todo = allSlices ? AutoSegmentation.planes("all", planes.depth())
                : List.of(Math.max(0, planes.planeOf(image.getCurrentSlice())));
        List<File> extraFiles = new ArrayList<>();
        for (String part : classModels == null ? new String[0] : classModels.split(";")) {
            if (!part.isBlank()) {
                extraFiles.add(new File(part.trim()));
            }
        }
        IJProgress progress = new IJProgress("Auto-segment");
        List<InstanceOutput.PlaneInstances> out;
        List<LoadedModel> extra = new ArrayList<>();
        try {
            LoadedModel sam = ModelCache.load(file.toPath(), null, PreprocessingChoice.of(preprocessing));
            List<PromptPredictor> classPredictors = new ArrayList<>();
            for (File f : extraFiles) {
                if (!f.isFile()) {
                    throw new IllegalArgumentException("class model not found: " + f);
                }
                LoadedModel m = io.github.samfiji.checkpoint.ModelLoader.loadAny(f.toPath(), null);
                extra.add(m);
                classPredictors.add(PromptPredictor.of(m));
            }
            AutoSegmentation job = new AutoSegmentation(chosen, ModelCache.embeddings(sam).promptPredictor(),
                    classPredictors, settings);
            // Planes prompted or propagated before are not encoded again (the session's embedding store).
            AutoSegmentation.Result result = job.keepProbabilities(probabilityMap).run(planes::slice, todo,
                    ModelCache.stack(sam, image, null), progress);
            out = InstanceOutput.of(result, planes);
            for (int k = 1; probabilityMap && k <= job.classCount(); k++) {
                ImagePlus map = InstanceOutput.probabilityImage(image, result, planes, k);
                if (k == 1) {
                    probability = map;
                } else {
                    map.show();
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            extra.forEach(LoadedModel::close);
            progress.done();
        }
        results = List.copyOf(out);
        if (addToManager) {
            RoiManager manager = RoiOutput.manager();
            for (Roi roi : InstanceOutput.rois(image, results)) {
                manager.addRoi(roi);
            }
        }
        if (labelImage) {
            labels = InstanceOutput.labelImage(image, results);
        }
        table().show(TABLE);
    }

    private ResultsTable table() {
        ResultsTable table = new ResultsTable();
        for (InstanceOutput.PlaneInstances plane : results) {
            int label = plane.firstLabel();
            for (InstanceMask m : plane.masks()) {
                table.addRow();
                table.addValue("Label", label);
                table.addValue("Slice", plane.stackIndex());
                table.addValue("Area (pixels)", m.area());
                table.addValue("Predicted IoU", m.predictedIou());
                table.addValue("Stability score", m.stabilityScore());
                table.addValue("X", m.x0());
                table.addValue("Y", m.y0());
                table.addValue("Width", m.width());
                table.addValue("Height", m.height());
                if (!SEMANTIC.equals(mode)) {
                    label++;
                }
            }
        }
        return table;
    }
}
