package io.github.samfiji.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import ij.ImagePlus;
import ij.gui.Roi;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.imagejio.ImageFiles;
import io.github.samfiji.imagejio.InstanceOutput;
import io.github.samfiji.imagejio.InstanceOutput.PlaneInstances;
import io.github.samfiji.imagejio.RoiSets;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.inference.AmgSettings;
import io.github.samfiji.inference.AutoSegmentation;
import io.github.samfiji.inference.InstanceMask;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.inference.PromptPredictor;
import io.github.samfiji.io.OutputFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code auto}: every object of an image (SAM's automatic mask generation) or a prompt-free semantic mask. */
@Command(name = "auto", mixinStandardHelpOptions = true,
        description = {"Segment everything in an image without prompts.",
            "amg: SAM's automatic mask generation (a grid of point prompts, filtered and de-duplicated); semantic: one "
                + "prompt-free pass of a model fine-tuned for it. Writes PREFIX.labels.tif (16-bit, 0 = background), "
                + "PREFIX.rois.zip (a RoiSet) and PREFIX.json (per object: label, slice, area, scores).",
            "With a SAM 2.1 checkpoint amg follows the reference SAM2AutomaticMaskGenerator (each grid point decoded as "
                + "a single click; predicted IoU threshold 0.8 unless --pred-iou-thresh is given)."})
public final class AutoCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--image", required = true, description = "image or stack file")
    Path image;

    @Option(names = "--mode", defaultValue = "amg", description = "amg or semantic (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--class-model", description = "with --mode semantic: another prompt-free model, one more class "
            + "(repeatable; --checkpoint is class 1, these are 2, 3, ...); a pixel takes the class whose model is most "
            + "confident among those that call it foreground")
    List<Path> classModels = new ArrayList<>();

    @Option(names = "--slices", defaultValue = "all", description = "all, N or A-B (1-based; default ${DEFAULT-VALUE})")
    String slices;

    @Option(names = "--points-per-side", defaultValue = "32") int pointsPerSide;
    @Option(names = "--points-per-batch", defaultValue = "0",
            description = "points decoded together; 0 = automatic (64 on a GPU, 1 on the CPU, where batching is slower)")
    int pointsPerBatch;
    @Option(names = "--pred-iou-thresh", description = "keep masks whose predicted IoU is above this (default: the "
            + "reference generator's, 0.88 for SAM models, 0.8 for SAM 2.1)")
    Double predIouThresh;
    @Option(names = "--stability-score-thresh", defaultValue = "0.95") double stabilityScoreThresh;
    @Option(names = "--stability-score-offset", defaultValue = "1.0") double stabilityScoreOffset;
    @Option(names = "--box-nms-thresh", defaultValue = "0.7") double boxNmsThresh;
    @Option(names = "--crop-n-layers", defaultValue = "0") int cropNLayers;
    @Option(names = "--crop-nms-thresh", defaultValue = "0.7") double cropNmsThresh;
    @Option(names = "--crop-overlap-ratio", defaultValue = "0.3413333") double cropOverlapRatio;
    @Option(names = "--crop-n-points-downscale-factor", defaultValue = "1") int cropPointsDownscale;
    @Option(names = "--min-mask-region-area", defaultValue = "0") int minMaskRegionArea;

    @Option(names = "--tile-size", defaultValue = "0",
            description = "cut images larger than this into overlapping tiles, each at full detail (0 = off)")
    int tileSize;

    @Option(names = "--tile-overlap", defaultValue = "256", description = "tile overlap in pixels")
    int tileOverlap;

    @Option(names = "--prob", description = "with --mode semantic: also write PREFIX.prob.tif, the 32-bit probability "
            + "map (sigmoid of the logits) of class 1 with the labels' geometry, and PREFIX.probK.tif for class K > 1")
    boolean probabilities;

    @Mixin
    OutputOptions output;

    /** The settings given, with the model family's reference default where an option was left out. */
    AmgSettings settings(PromptPredictor predictor) {
        double iou = predIouThresh != null ? predIouThresh : predictor.amgDefaults().predIouThresh();
        return AmgSettings.defaults().pointsPerSide(pointsPerSide).pointsPerBatch(pointsPerBatch)
                .predIouThresh(iou).stabilityScoreThresh(stabilityScoreThresh)
                .stabilityScoreOffset(stabilityScoreOffset).boxNmsThresh(boxNmsThresh).cropNLayers(cropNLayers)
                .cropNmsThresh(cropNmsThresh).cropOverlapRatio(cropOverlapRatio)
                .cropNPointsDownscaleFactor(cropPointsDownscale).minMaskRegionArea(minMaskRegionArea)
                .tileSize(tileSize).tileOverlap(tileOverlap);
    }

    @Override
    public Integer call() throws Exception {
        AutoSegmentation.Mode chosen = AutoSegmentation.Mode.parse(mode);
        boolean semantic = chosen == AutoSegmentation.Mode.SEMANTIC;
        if (!semantic && !classModels.isEmpty()) {
            throw new IllegalArgumentException("--class-model needs --mode semantic");
        }
        Path labelsFile = output.imageFile(".labels", image);
        Path roisFile = output.file(".rois.zip");
        Path jsonFile = output.file(".json");
        if (probabilities && !semantic) {
            throw new IllegalArgumentException("--prob needs --mode semantic: automatic mask generation gives separate "
                    + "objects, not a probability map");
        }
        List<Path> probabilityFiles = new ArrayList<>();
        for (int k = 1; probabilities && k <= 1 + classModels.size(); k++) {
            probabilityFiles.add(output.imageFile(k == 1 ? ".prob" : ".prob" + k, image));
        }
        List<Path> outputs = new ArrayList<>(List.of(labelsFile, roisFile, jsonFile));
        outputs.addAll(probabilityFiles);
        output.requireWritable(outputs.toArray(new Path[0]));
        boolean overwrite = output.overwrite;
        ImagePlus imp = ImageFiles.open(image);
        StackSlices planes = StackSlices.of(imp);
        List<Integer> chosenPlanes = AutoSegmentation.planes(slices, planes.depth());
        AutoSegmentation.Result result;
        List<LoadedModel> extra = new ArrayList<>();
        String family;
        try (LoadedModel sam = ModelLoader.loadAny(model.checkpoint, model.config)) {
            family = sam.family();
            List<PromptPredictor> classPredictors = new ArrayList<>();
            for (Path file : classModels) {
                LoadedModel m = ModelLoader.loadAny(file, null);
                extra.add(m);
                classPredictors.add(PromptPredictor.of(m));
            }
            PromptPredictor predictor = PromptPredictor.of(sam);
            result = new AutoSegmentation(chosen, predictor, classPredictors, settings(predictor))
                    .keepProbabilities(probabilities).run(planes::slice, chosenPlanes, new ConsoleProgress());
        } finally {
            extra.forEach(LoadedModel::close);
        }
        List<PlaneInstances> found = InstanceOutput.of(result, planes);
        JsonArray objects = new JsonArray();
        for (AutoSegmentation.Plane p : result.planes()) {
            for (int i = 0; i < p.masks().size(); i++) {
                objects.add(describe(p.masks().get(i), p.firstLabel() + i, p.plane() + 1));
            }
        }
        ImagePlus labels = InstanceOutput.labelImage(imp, found);
        List<Roi> rois = InstanceOutput.rois(imp, found);
        ImageFiles.save(labels, labelsFile, overwrite);
        RoiSets.write(roisFile, rois, overwrite);
        for (int k = 1; k <= probabilityFiles.size(); k++) {
            ImageFiles.save(InstanceOutput.probabilityImage(imp, result, planes, k), probabilityFiles.get(k - 1),
                    overwrite);
        }
        JsonObject json = new JsonObject();
        json.addProperty("image", image.toString());
        json.addProperty("checkpoint", model.checkpoint.toString());
        json.addProperty("model_family", family);
        json.addProperty("mode", mode);
        if (semantic) {
            JsonArray classList = new JsonArray();
            List<Path> all = new ArrayList<>(List.of(model.checkpoint));
            all.addAll(classModels);
            for (int k = 0; k < all.size(); k++) {
                JsonObject c = new JsonObject();
                c.addProperty("label", k + 1);
                c.addProperty("model", all.get(k).toString());
                classList.add(c);
            }
            json.add("classes", classList);
        }
        json.addProperty("width", imp.getWidth());
        json.addProperty("height", imp.getHeight());
        json.addProperty("slices", (chosenPlanes.get(0) + 1) + "-" + (chosenPlanes.get(chosenPlanes.size() - 1) + 1));
        json.add(semantic ? "regions" : "objects", objects);
        JsonObject timings = new JsonObject();
        timings.addProperty("encode_ms", result.encodeMillis());
        timings.addProperty("decode_ms", result.decodeMillis());
        json.add("timings", timings);
        OutputFiles.writeJson(jsonFile, overwrite, json);
        System.out.printf("%s: %d %s; wrote %s.labels.tif, .rois.zip, .json%n", image.getFileName(), objects.size(),
                semantic ? "region(s)" : "object(s)", output.out);
        return 0;
    }

    private static JsonObject describe(InstanceMask m, int label, int slice) {
        JsonObject o = new JsonObject();
        o.addProperty("label", label);
        o.addProperty("slice", slice);
        o.addProperty("area", m.area());
        if (!Double.isNaN(m.predictedIou())) {
            o.addProperty("predicted_iou", m.predictedIou());
            o.addProperty("stability_score", m.stabilityScore());
            JsonArray point = new JsonArray();
            point.add(m.pointX());
            point.add(m.pointY());
            o.add("point", point);
        }
        JsonArray box = new JsonArray();
        box.add(m.x0());
        box.add(m.y0());
        box.add(m.x1());
        box.add(m.y1());
        o.add("box", box);
        return o;
    }
}
