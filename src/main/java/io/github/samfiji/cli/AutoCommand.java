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
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.AmgSettings;
import io.github.samfiji.inference.AutomaticMaskGenerator;
import io.github.samfiji.inference.InstanceMask;
import io.github.samfiji.inference.PromptFreeSegmenter;
import io.github.samfiji.inference.SemanticClasses;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.SamModel;
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
                + "PREFIX.rois.zip (a RoiSet) and PREFIX.json (per object: label, slice, area, scores)."})
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
    @Option(names = "--pred-iou-thresh", defaultValue = "0.88") double predIouThresh;
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

    @Mixin
    OutputOptions output;

    AmgSettings settings() {
        return AmgSettings.defaults().pointsPerSide(pointsPerSide).pointsPerBatch(pointsPerBatch)
                .predIouThresh(predIouThresh).stabilityScoreThresh(stabilityScoreThresh)
                .stabilityScoreOffset(stabilityScoreOffset).boxNmsThresh(boxNmsThresh).cropNLayers(cropNLayers)
                .cropNmsThresh(cropNmsThresh).cropOverlapRatio(cropOverlapRatio)
                .cropNPointsDownscaleFactor(cropPointsDownscale).minMaskRegionArea(minMaskRegionArea)
                .tileSize(tileSize).tileOverlap(tileOverlap);
    }

    @Override
    public Integer call() throws Exception {
        boolean semantic = switch (mode) {
            case "amg" -> false;
            case "semantic" -> true;
            default -> throw new IllegalArgumentException("--mode must be amg or semantic, got '" + mode + "'");
        };
        if (!semantic && !classModels.isEmpty()) {
            throw new IllegalArgumentException("--class-model needs --mode semantic");
        }
        AmgSettings settings = settings();
        Path labelsFile = output.file(".labels.tif");
        Path roisFile = output.file(".rois.zip");
        Path jsonFile = output.file(".json");
        output.requireWritable(labelsFile, roisFile, jsonFile);
        boolean overwrite = output.overwrite;
        ImagePlus imp = ImageFiles.open(image);
        StackSlices planes = StackSlices.of(imp);
        int[] range = sliceRange(slices, planes.depth());
        ConsoleProgress progress = new ConsoleProgress();
        List<PlaneInstances> found = new ArrayList<>();
        JsonArray objects = new JsonArray();
        double encodeMs = 0;
        double decodeMs = 0;
        List<SamModel> extra = new ArrayList<>();
        try (SamModel sam = model.load()) {
            for (Path file : classModels) {
                extra.add(ModelLoader.load(file, null));
            }
            SamPredictor predictor = new SamPredictor(sam);
            List<PromptFreeSegmenter> classes = new ArrayList<>();
            classes.add(new PromptFreeSegmenter(predictor, tileSize, tileOverlap));
            for (SamModel m : extra) {
                classes.add(new PromptFreeSegmenter(new SamPredictor(m), tileSize, tileOverlap));
            }
            int nextLabel = 1;
            for (int z = range[0]; z <= range[1]; z++) {
                Rgb8Image slice = planes.slice(z);
                if (semantic) {
                    // One region per class present on this slice, labelled by its class (1 with a single model).
                    for (SemanticClasses.ClassRegion r : SemanticClasses.regions(classes, slice, progress)) {
                        found.add(new PlaneInstances(planes.stackIndex(z), r.label(), List.of(r.region())));
                        objects.add(describe(r.region(), r.label(), z + 1));
                    }
                } else {
                    AutomaticMaskGenerator.Result r = new AutomaticMaskGenerator(predictor, settings).generate(slice, progress);
                    encodeMs += r.encodeMillis();
                    decodeMs += r.decodeMillis();
                    found.add(new PlaneInstances(planes.stackIndex(z), nextLabel, r.masks()));
                    for (InstanceMask m : r.masks()) {
                        objects.add(describe(m, nextLabel++, z + 1));
                    }
                }
            }
        } finally {
            extra.forEach(SamModel::close);
        }
        ImagePlus labels = InstanceOutput.labelImage(imp, found);
        List<Roi> rois = InstanceOutput.rois(imp, found);
        ImageFiles.saveTiff(labels, labelsFile, overwrite);
        RoiSets.write(roisFile, rois, overwrite);
        JsonObject json = new JsonObject();
        json.addProperty("image", image.toString());
        json.addProperty("checkpoint", model.checkpoint.toString());
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
        json.addProperty("slices", (range[0] + 1) + "-" + (range[1] + 1));
        json.add(semantic ? "regions" : "objects", objects);
        JsonObject timings = new JsonObject();
        timings.addProperty("encode_ms", encodeMs);
        timings.addProperty("decode_ms", decodeMs);
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

    /** 0-based inclusive range from "all", "N" or "A-B" (1-based). */
    static int[] sliceRange(String spec, int depth) {
        String s = spec.trim();
        int a;
        int b;
        try {
            if (s.equals("all")) {
                return new int[] {0, depth - 1};
            } else if (s.matches("\\d+")) {
                a = b = Integer.parseInt(s);
            } else if (s.matches("\\d+-\\d+")) {
                a = Integer.parseInt(s.substring(0, s.indexOf('-')));
                b = Integer.parseInt(s.substring(s.indexOf('-') + 1));
            } else {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--slices '" + spec + "': use all, N or A-B (1-based)");
        }
        if (a < 1 || b > depth || a > b) {
            throw new IllegalArgumentException("--slices " + spec + " is outside the image's " + depth + " slice(s)");
        }
        return new int[] {a - 1, b - 1};
    }
}
