package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import io.github.samfiji.image.Rgb8Image;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The auto-segment job, once for every front end: each chosen plane of an image is segmented without prompts, by
 * SAM's automatic mask generation (objects labelled 1, 2, ... over the whole stack, in the order found) or
 * semantically by one or more prompt-free models (one region per class present, labelled by its class). The front
 * ends only open the image, pick the planes and write or show the result.
 */
public final class AutoSegmentation {

    /** What "auto" means. */
    public enum Mode {
        /** Every object: a grid of point prompts, filtered and de-duplicated. */
        AMG,
        /** Prompt-free models fine-tuned for it, one class each. */
        SEMANTIC;

        public static Mode parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "amg" -> AMG;
                case "semantic" -> SEMANTIC;
                default -> throw new IllegalArgumentException("the mode must be amg or semantic, got '" + s + "'");
            };
        }
    }

    /**
     * Masks of one plane (0-based) labelled {@code firstLabel}, {@code firstLabel + 1}, ... (semantic: one region,
     * labelled by its class).
     */
    public record Plane(int plane, int firstLabel, List<InstanceMask> masks) {
    }

    /** Semantic mode: each class's probability (sigmoid of its logits) on one plane, class order. */
    public record PlaneProbabilities(int plane, List<float[]> perClass) {
    }

    /**
     * Planes in the order segmented; the probability maps when asked for ({@link #keepProbabilities}, else empty);
     * encoder and decoder time of the automatic mask generator (0 if semantic).
     */
    public record Result(List<Plane> planes, List<PlaneProbabilities> probabilities, double encodeMillis,
                         double decodeMillis) {

        public int objectCount() {
            return planes.stream().mapToInt(p -> p.masks().size()).sum();
        }
    }

    private final Mode mode;
    private final AmgSettings settings;
    private final PromptPredictor predictor;
    private final List<PromptFreeSegmenter> classes = new ArrayList<>();
    private boolean keepProbabilities;

    /**
     * @param predictor     the model (class 1 in semantic mode)
     * @param classModels   semantic mode only: more prompt-free models, classes 2, 3, ...
     * @param settings      the generator's settings; their tile size and overlap also apply to the semantic mode
     */
    public AutoSegmentation(Mode mode, SamPredictor predictor, List<SamPredictor> classModels, AmgSettings settings) {
        this(mode, PromptPredictor.of(predictor), classModels.stream().map(PromptPredictor::of).toList(), settings);
    }

    /** As above, with models of either family (SAM 1 or SAM 2.1). */
    public AutoSegmentation(Mode mode, PromptPredictor predictor, List<PromptPredictor> classModels,
                            AmgSettings settings) {
        if (mode != Mode.SEMANTIC && !classModels.isEmpty()) {
            throw new IllegalArgumentException("class models need the semantic mode");
        }
        this.mode = mode;
        this.settings = settings;
        this.predictor = predictor;
        classes.add(new PromptFreeSegmenter(predictor, settings.tileSize(), settings.tileOverlap()));
        for (PromptPredictor p : classModels) {
            classes.add(new PromptFreeSegmenter(p, settings.tileSize(), settings.tileOverlap()));
        }
    }

    public Mode mode() {
        return mode;
    }

    /** Also return each class's probability map per plane (semantic mode only: the generator has no such map). */
    public AutoSegmentation keepProbabilities(boolean keep) {
        if (keep && mode != Mode.SEMANTIC) {
            throw new IllegalArgumentException("probability maps come from the semantic mode (automatic mask "
                    + "generation gives separate objects, not a map)");
        }
        this.keepProbabilities = keep;
        return this;
    }

    /** The number of classes (semantic) or 1. */
    public int classCount() {
        return mode == Mode.SEMANTIC ? classes.size() : 1;
    }

    /** Segments {@code planes} (0-based) of the image whose planes {@code slice} returns; cancellable. */
    public Result run(IntFunction<Rgb8Image> slice, List<Integer> planes, Progress progress) {
        return run(slice, planes, null, progress);
    }

    /**
     * As above, taking each whole plane's embedding for the main model from {@code store} (may be null), so a plane
     * already encoded for prompting or propagation is not encoded again; crops and tiles are encoded here.
     */
    public Result run(IntFunction<Rgb8Image> slice, List<Integer> planes, StackEmbeddings store, Progress progress) {
        List<Plane> out = new ArrayList<>();
        List<PlaneProbabilities> maps = new ArrayList<>();
        double encodeMs = 0;
        double decodeMs = 0;
        int next = 1;
        for (int i = 0; i < planes.size(); i++) {
            progress.checkCancelled();
            int z = planes.get(i);
            Progress part = Progress.scaled(progress, i / (double) planes.size(), 1.0 / planes.size());
            Rgb8Image image = slice.apply(z);
            java.util.function.Function<Progress, Embedding> stored = store == null ? null
                    : p -> store.embedding(z, p);
            if (mode == Mode.SEMANTIC) {
                List<float[]> logits = SemanticClasses.logits(classes, image, stored, part);
                for (SemanticClasses.ClassRegion r : SemanticClasses.regions(logits, image.width())) {
                    out.add(new Plane(z, r.label(), List.of(r.region())));
                }
                if (keepProbabilities) {
                    maps.add(new PlaneProbabilities(z, logits.stream().map(SemanticClasses::probabilities).toList()));
                }
            } else {
                AutomaticMaskGenerator.Result r = new AutomaticMaskGenerator(predictor, settings).generate(image, stored,
                        part);
                encodeMs += r.encodeMillis();
                decodeMs += r.decodeMillis();
                out.add(new Plane(z, next, r.masks()));
                next += r.masks().size();
            }
        }
        progress.update(1, "done");
        return new Result(List.copyOf(out), List.copyOf(maps), encodeMs, decodeMs);
    }

    /** 0-based planes from "all", "N" or "A-B" (1-based, inclusive) of a stack of {@code depth} planes. */
    public static List<Integer> planes(String spec, int depth) {
        String s = spec.trim();
        int a;
        int b;
        try {
            if (s.equals("all")) {
                a = 1;
                b = depth;
            } else if (s.matches("\\d+")) {
                a = b = Integer.parseInt(s);
            } else if (s.matches("\\d+-\\d+")) {
                a = Integer.parseInt(s.substring(0, s.indexOf('-')));
                b = Integer.parseInt(s.substring(s.indexOf('-') + 1));
            } else {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("slices '" + spec + "': use all, N or A-B (1-based)");
        }
        if (a < 1 || b > depth || a > b) {
            throw new IllegalArgumentException("slices " + spec + " are outside the image's " + depth + " slice(s)");
        }
        List<Integer> out = new ArrayList<>();
        for (int z = a - 1; z < b; z++) {
            out.add(z);
        }
        return out;
    }
}
