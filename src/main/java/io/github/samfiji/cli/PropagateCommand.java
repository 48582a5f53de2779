package io.github.samfiji.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.Calibration;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.checkpoint.ModelIdentity;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.imagejio.ImageFiles;
import io.github.samfiji.imagejio.RoiOutput;
import io.github.samfiji.imagejio.RoiOutput.SegmentedObject;
import io.github.samfiji.imagejio.RoiSets;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.StackEmbeddings;
import io.github.samfiji.inference.StackPropagation;
import io.github.samfiji.inference.VolumePropagator;
import io.github.samfiji.inference.VolumePropagator.Projection;
import io.github.samfiji.inference.VolumePropagator.SlicePrompt;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.inference.sam2.Sam2VolumePropagator;
import io.github.samfiji.inference.sam2.Sam2VolumePropagator.SliceResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code propagate}: objects prompted on one or a few slices, segmented through the whole stack. */
@Command(name = "propagate", mixinStandardHelpOptions = true,
        description = {"Segment objects through a stack from prompts on one or several slices.",
            "Slices z are 1-based, as ImageJ counts. Prompts after --object N belong to object N (default 1). Writes "
                + "PREFIX.labels.tif (16-bit stack, one label per object), PREFIX.rois.zip (one ROI per object and "
                + "slice) and PREFIX.json (per object: slices reached, why it stopped, volume).",
            "With a SAM 2.1 checkpoint the object is tracked with the model's memory, as its video predictor tracks "
                + "through frames: prompted slices first, then forward and backward from the first prompted slice "
                + "through the whole stack (--projection, --iou-threshold and --box-extension do not apply); "
                + "--logits also writes each slice's final logits."})
public final class PropagateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--image", required = true, description = "stack file")
    Path image;

    @Option(names = "--projection", defaultValue = "mask",
            description = "how a slice's mask prompts the next: mask, box, points, points_and_mask, single_point "
                    + "(default ${DEFAULT-VALUE})")
    String projection;

    @Option(names = "--iou-threshold", defaultValue = "0.5",
            description = "stop when consecutive slices' masks overlap less than this IoU (default ${DEFAULT-VALUE})")
    double iouThreshold;

    @Option(names = "--box-extension", defaultValue = "0.05",
            description = "enlarge derived boxes by this fraction per side (default ${DEFAULT-VALUE})")
    double boxExtension;

    @Option(names = "--cache", description = "folder keeping slice embeddings between runs")
    Path cache;

    @Option(names = "--logits", description = "also write PREFIX.logits.tif: each slice's final float logits (> 0 = "
            + "object; -1024 where the object is absent), one slice per z and object (SAM 2.1 models)")
    boolean writeLogits;

    @Option(names = "--prob", description = "also write PREFIX.prob.tif: the 32-bit probability map (sigmoid of the "
            + "logits, > 0.5 = object), one slice per object and z in the labels' geometry; 0 on slices the object "
            + "did not reach, 0/1 on slices given as --mask")
    boolean writeProbabilities;

    @Mixin
    OutputOptions output;

    private int currentObject = 1;
    /** object -> 1-based slice -> prompt being built */
    private final Map<Integer, Map<Integer, Prompt.Builder>> prompts = new TreeMap<>();

    @Option(names = "--object", paramLabel = "N", description = "the following prompts belong to object N (1..65535)")
    void object(int n) {
        if (n < 1 || n > 65535) {
            throw new IllegalArgumentException("--object must be 1..65535, got " + n);
        }
        currentObject = n;
    }

    @Option(names = "--point", paramLabel = "x,y,z[,label]",
            description = "a point on slice z; label 1 = object (default), 0 = background; repeatable")
    void point(String spec) {
        double[] v = SegmentCommand.numbers(spec, "--point", 3, 4);
        int label = v.length == 4 ? (int) v[3] : 1;
        if (v.length == 4 && v[3] != 0 && v[3] != 1) {
            throw new IllegalArgumentException("--point " + spec + ": label must be 1 (object) or 0 (background)");
        }
        builder(v[2], "--point " + spec).point(v[0], v[1], label);
    }

    @Option(names = "--box", paramLabel = "x0,y0,x1,y1,z", description = "a box on slice z; repeatable")
    void box(String spec) {
        double[] v = SegmentCommand.numbers(spec, "--box", 5, 5);
        builder(v[4], "--box " + spec).box(v[0], v[1], v[2], v[3]);
    }

    /** object -> 1-based slice -> a mask file taken as that slice's result */
    private final Map<Integer, Map<Integer, Path>> masks = new TreeMap<>();

    @Option(names = "--mask", paramLabel = "MASK,z",
            description = "a finished (e.g. hand-corrected) mask of the object on slice z, non-zero = object; taken as it "
                    + "is and carried to the other slices (SAM 2.1: it conditions the memory, as the video predictor's "
                    + "add_new_mask); repeatable")
    void mask(String spec) {
        int comma = spec.lastIndexOf(',');
        String z = comma < 0 ? "" : spec.substring(comma + 1).trim();
        if (comma < 1 || !z.matches("\\d+") || Integer.parseInt(z) < 1) {
            throw new IllegalArgumentException("--mask " + spec + ": give a mask file and a 1-based slice, as MASK.tif,z");
        }
        masks.computeIfAbsent(currentObject, k -> new TreeMap<>()).put(Integer.parseInt(z), Path.of(spec.substring(0, comma)));
        prompts.computeIfAbsent(currentObject, k -> new TreeMap<>());
    }

    private Prompt.Builder builder(double z, String what) {
        if (z != Math.rint(z) || z < 1) {
            throw new IllegalArgumentException(what + ": slice z must be a whole number from 1");
        }
        return prompts.computeIfAbsent(currentObject, k -> new TreeMap<>())
                .computeIfAbsent((int) z, k -> Prompt.builder());
    }

    @Override
    public Integer call() throws Exception {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompt given: add --point x,y,z, --box x0,y0,x1,y1,z or --mask MASK,z");
        }
        VolumePropagator.Settings settings = new VolumePropagator.Settings(Projection.parse(projection), iouThreshold,
                boxExtension);
        Path labelsFile = output.imageFile(".labels", image);
        Path roisFile = output.file(".rois.zip");
        Path jsonFile = output.file(".json");
        output.requireWritable(labelsFile, roisFile, jsonFile);
        boolean overwrite = output.overwrite;
        ImagePlus imp = ImageFiles.open(image);
        StackSlices planes = StackSlices.of(imp);
        if (planes.depth() < 2) {
            throw new IllegalArgumentException(image.getFileName() + " is a 2D image: propagation needs a stack "
                    + "(use 'segment' for a single image)");
        }
        Map<Integer, Map<Integer, boolean[]>> givenMasks = new TreeMap<>();
        for (Map.Entry<Integer, Map<Integer, Path>> e : masks.entrySet()) {
            for (Map.Entry<Integer, Path> m : e.getValue().entrySet()) {
                if (prompts.get(e.getKey()).containsKey(m.getKey())) {
                    throw new IllegalArgumentException("object " + e.getKey() + " has both prompts and a mask on slice "
                            + m.getKey() + ": give one or the other");
                }
                givenMasks.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put(m.getKey(),
                        SegmentCommand.readTruth(m.getValue(), imp.getWidth(), imp.getHeight()));
            }
        }
        for (Map.Entry<Integer, Map<Integer, Prompt.Builder>> e : prompts.entrySet()) {
            java.util.Set<Integer> slices = new java.util.TreeSet<>(e.getValue().keySet());
            slices.addAll(givenMasks.getOrDefault(e.getKey(), Map.of()).keySet());
            for (int z : slices) {
                if (z > planes.depth()) {
                    throw new IllegalArgumentException("object " + e.getKey() + " has a prompt on slice " + z + ", but "
                            + image.getFileName() + " has " + planes.depth() + " slices");
                }
            }
        }
        ConsoleProgress progress = new ConsoleProgress();
        List<SegmentedObject> segmented = new ArrayList<>();
        JsonArray objects = new JsonArray();
        Calibration cal = imp.getCalibration();
        double voxelVolume = cal.pixelWidth * cal.pixelHeight * cal.pixelDepth;
        Path probFile = writeProbabilities ? output.imageFile(".prob", image) : null;
        List<float[]> probSlices = new ArrayList<>();
        List<String> probLabels = new ArrayList<>();
        try (LoadedModel loaded = ModelLoader.loadAny(model.checkpoint, model.config)) {
            if (loaded instanceof LoadedModel.Sam2 sam2) {
                propagateSam2(sam2, imp, planes, givenMasks, labelsFile, roisFile, jsonFile, progress);
                return 0;
            }
            if (writeLogits) {
                throw new IllegalArgumentException("--logits is available with SAM 2.1 models only");
            }
            SamModel sam = ((LoadedModel.Sam1) loaded).model();
            SamPredictor predictor = new SamPredictor(sam);
            if (probFile != null) {
                output.requireWritable(probFile);
            }
            try (StackEmbeddings stack = new StackEmbeddings(predictor, planes.asFunction(), planes.depth(), cache,
                    this::identity)) {
                VolumePropagator.SliceSegmenter segmenter = VolumePropagator.withModel(predictor, stack, imp.getWidth(),
                        imp.getHeight());
                List<StackPropagation.ObjectPrompts> todo = new ArrayList<>();
                for (Map.Entry<Integer, Map<Integer, Prompt.Builder>> e : prompts.entrySet()) {
                    List<SlicePrompt> slicePrompts = new ArrayList<>();
                    e.getValue().forEach((z, b) -> slicePrompts.add(new SlicePrompt(z - 1, b.build())));
                    givenMasks.getOrDefault(e.getKey(), Map.of())
                            .forEach((z, m) -> slicePrompts.add(SlicePrompt.ofMask(z - 1, m)));
                    todo.add(new StackPropagation.ObjectPrompts(e.getKey(), slicePrompts));
                }
                for (StackPropagation.ObjectResult found : StackPropagation.run(segmenter, settings, todo, progress)) {
                    VolumePropagator.Result r = found.result();
                    if (probFile != null) {
                        addProbabilities(predictor, stack, found.object(), r, planes.depth(), imp.getWidth(),
                                imp.getHeight(), probSlices, probLabels);
                    }
                    r.slices().forEach((z, m) -> segmented.add(new SegmentedObject(found.object(),
                            planes.stackIndex(z), m.mask(), m.predictedIou(), 0)));
                    JsonObject o = new JsonObject();
                    o.addProperty("object", found.object());
                    o.addProperty("first_slice", r.first() + 1);
                    o.addProperty("last_slice", r.last() + 1);
                    o.addProperty("slices", r.slices().size());
                    o.addProperty("stop_below", r.stopBelow());
                    o.addProperty("stop_above", r.stopAbove());
                    o.addProperty("voxels", r.voxelCount());
                    o.addProperty("volume", r.voxelCount() * voxelVolume);
                    o.addProperty("volume_unit", cal.getUnit() + "^3");
                    objects.add(o);
                }
                System.err.printf("slices encoded: %d, from the embedding cache: %d%n", stack.encodedCount(),
                        stack.diskHits());
            }
        }
        ImagePlus labels = RoiOutput.labelImage(imp, segmented);
        List<Roi> rois = new ArrayList<>();
        for (SegmentedObject o : segmented) {
            Roi roi = RoiOutput.toRoi(imp, o);
            if (roi != null) {
                rois.add(roi);
            }
        }
        ImageFiles.save(labels, labelsFile, overwrite);
        RoiSets.write(roisFile, rois, overwrite);
        if (probFile != null) {
            saveProbabilities(imp, probSlices, probLabels, probFile, overwrite);
        }
        JsonObject json = new JsonObject();
        json.addProperty("image", image.toString());
        json.addProperty("checkpoint", model.checkpoint.toString());
        json.addProperty("projection", settings.projection().id());
        json.addProperty("iou_threshold", iouThreshold);
        json.addProperty("box_extension", boxExtension);
        json.add("objects", objects);
        OutputFiles.writeJson(jsonFile, overwrite, json);
        System.out.printf("%s: %d object(s) propagated; wrote %s.labels.tif, .rois.zip, .json%s%n", image.getFileName(),
                objects.size(), output.out, probFile != null ? ", .prob.tif" : "");
        return 0;
    }

    /** Writes the probability stack with the image's calibration, as the labels have it. */
    private static void saveProbabilities(ImagePlus imp, List<float[]> slices, List<String> labels, Path file,
                                          boolean overwrite) throws java.io.IOException {
        ImagePlus maps = ImageFiles.floatStack("probabilities", imp.getWidth(), imp.getHeight(), slices, labels);
        maps.setCalibration(imp.getCalibration().copy());
        ImageFiles.save(maps, file, overwrite);
    }

    /**
     * One object's probability slices (SAM 1): the sigmoid of each reached slice's logits at the image size, upscaled
     * as its mask was (every slice has the same geometry, so one slice's embedding serves them all); 0 on slices not
     * reached, the mask itself (0/1) on slices given as masks.
     */
    private static void addProbabilities(SamPredictor predictor, StackEmbeddings stack, int object,
                                         VolumePropagator.Result r, int depth, int w, int h, List<float[]> slices,
                                         List<String> labels) {
        ImageEmbedding reference = r.slices().isEmpty() ? null
                : stack.get(r.slices().firstKey(), io.github.samfiji.io.Progress.NONE);
        for (int z = 0; z < depth; z++) {
            VolumePropagator.SliceMask m = r.slices().get(z);
            float[] p = new float[w * h];
            if (m != null && m.lowRes() != null) {
                p = io.github.samfiji.inference.SemanticClasses.probabilities(
                        predictor.upscale(reference, new float[][] {m.lowRes()})[0]);
            } else if (m != null) {
                for (int k = 0; k < p.length; k++) {
                    p[k] = m.mask()[k] ? 1f : 0f;
                }
            }
            slices.add(p);
            labels.add("object " + object + ", z " + (z + 1));
        }
    }

    /** The model's identity for the embedding cache, computed only when --cache is used. */
    private String identity() {
        try {
            return ModelIdentity.of(model.checkpoint, model.config);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + model.checkpoint, e);
        }
    }

    /**
     * SAM 2.1: each object is tracked with memory as the reference video predictor does: one prompt call per prompted
     * slice (its box and clicks together, or its mask) in increasing z, then a forward and a reverse pass from the
     * first prompted slice; every slice keeps its last result. Slices come from the embedding store (with --cache,
     * also from disk). Projection, IoU threshold and box extension are SAM 1 settings and are not used.
     */
    private void propagateSam2(LoadedModel.Sam2 sam, ImagePlus imp, StackSlices planes,
                               Map<Integer, Map<Integer, boolean[]>> givenMasks, Path labelsFile, Path roisFile,
                               Path jsonFile, ConsoleProgress progress) throws java.io.IOException {
        Path logitsFile = writeLogits ? output.imageFile(".logits", image) : null;
        if (logitsFile != null) {
            output.requireWritable(logitsFile);
        }
        Path probFile = writeProbabilities ? output.imageFile(".prob", image) : null;
        if (probFile != null) {
            output.requireWritable(probFile);
        }
        boolean overwrite = output.overwrite;
        int w = imp.getWidth();
        int h = imp.getHeight();
        Calibration cal = imp.getCalibration();
        double voxelVolume = cal.pixelWidth * cal.pixelHeight * cal.pixelDepth;
        List<SegmentedObject> segmented = new ArrayList<>();
        List<float[]> logitSlices = new ArrayList<>();
        List<String> logitLabels = new ArrayList<>();
        JsonArray objects = new JsonArray();
        Map<Integer, Map<Integer, Prompt>> byObject = new java.util.TreeMap<>();
        prompts.forEach((object, slices) -> {
            Map<Integer, Prompt> built = new java.util.TreeMap<>();
            slices.forEach((z, b) -> built.put(z - 1, b.build()));
            byObject.put(object, built);
        });
        // A drawn mask conditions the memory as the reference's add_new_mask does.
        Map<Integer, Map<Integer, boolean[]>> masksByObject = new java.util.TreeMap<>();
        givenMasks.forEach((object, slices) -> {
            Map<Integer, boolean[]> zeroBased = new java.util.TreeMap<>();
            slices.forEach((z, m) -> zeroBased.put(z - 1, m));
            masksByObject.put(object, zeroBased);
        });
        Sam2VolumePropagator.Tracked tracked;
        int encoded;
        int fromDisk;
        try (StackEmbeddings stack = new StackEmbeddings(io.github.samfiji.inference.PromptPredictor.of(sam),
                planes.asFunction(), planes.depth(), cache, this::identity)) {
            tracked = Sam2VolumePropagator.trackOnStore(sam.model(),
                    z -> (io.github.samfiji.inference.sam2.Sam2ImageEmbedding) stack.embedding(z, progress),
                    planes.depth(), w, h, byObject, masksByObject, progress);
            encoded = stack.encodedCount();
            fromDisk = stack.diskHits();
        }
        for (int object : new java.util.TreeSet<>(tracked.objects().keySet())) {
            SliceResult[] results = tracked.objects().get(object);
            long voxels = 0;
            int present = 0;
            for (int z = 0; z < results.length; z++) {
                float[] logits = results[z].logits();
                boolean[] mask = new boolean[logits.length];
                long count = 0;
                for (int k = 0; k < logits.length; k++) {
                    mask[k] = logits[k] > 0;
                    count += mask[k] ? 1 : 0;
                }
                if (count > 0) {
                    segmented.add(new SegmentedObject(object, planes.stackIndex(z), mask, results[z].predictedIou(), 0));
                    present++;
                }
                voxels += count;
                logitSlices.add(logits);
                logitLabels.add("object " + object + ", z " + (z + 1));
            }
            JsonObject o = new JsonObject();
            o.addProperty("object", object);
            JsonArray prompted = new JsonArray();
            java.util.TreeSet<Integer> promptedSlices = new java.util.TreeSet<>(prompts.getOrDefault(object, Map.of())
                    .keySet());
            promptedSlices.addAll(givenMasks.getOrDefault(object, Map.of()).keySet());
            promptedSlices.forEach(prompted::add);
            o.add("prompted_slices", prompted);
            o.addProperty("slices", present);
            o.addProperty("voxels", voxels);
            o.addProperty("volume", voxels * voxelVolume);
            o.addProperty("volume_unit", cal.getUnit() + "^3");
            JsonArray scores = new JsonArray();
            for (SliceResult r : results) {
                scores.add(r.objectScore());
            }
            o.add("object_score_logits", scores);
            objects.add(o);
        }
        System.err.printf("slices encoded: %d, from the embedding cache: %d%n", encoded, fromDisk);
        List<Roi> rois = new ArrayList<>();
        for (SegmentedObject o : segmented) {
            Roi roi = RoiOutput.toRoi(imp, o);
            if (roi != null) {
                rois.add(roi);
            }
        }
        ImageFiles.save(RoiOutput.labelImage(imp, segmented), labelsFile, overwrite);
        RoiSets.write(roisFile, rois, overwrite);
        if (logitsFile != null) {
            ImageFiles.save(ImageFiles.floatStack("logits", w, h, logitSlices, logitLabels), logitsFile, overwrite);
        }
        if (probFile != null) {
            saveProbabilities(imp, logitSlices.stream().map(io.github.samfiji.inference.SemanticClasses::probabilities)
                    .toList(), logitLabels, probFile, overwrite);
        }
        JsonObject json = new JsonObject();
        json.addProperty("image", image.toString());
        json.addProperty("checkpoint", model.checkpoint.toString());
        json.addProperty("model_family", "sam2.1");
        json.addProperty("method", "memory tracking (SAM 2.1 video predictor semantics along z)");
        json.add("objects", objects);
        OutputFiles.writeJson(jsonFile, overwrite, json);
        System.out.printf("%s: %d object(s) propagated; wrote %s.labels.tif, .rois.zip, .json%s%s%n",
                image.getFileName(), objects.size(), output.out, logitsFile != null ? ", .logits.tif" : "",
                probFile != null ? ", .prob.tif" : "");
    }
}
