package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Segments one object through a stack from prompts on one or several slices: the mask of each slice gives the
 * prompt of the next (by the chosen projection), in both directions, until the mask changes too much (IoU with the
 * previous slice's mask below the threshold), becomes empty, or the stack ends. Between two prompted slices the
 * object is carried from both ends toward the middle. Slice embeddings come from a {@link StackEmbeddings}, so each
 * slice is encoded at most once however many objects or re-runs use it.
 */
public final class VolumePropagator {

    /** How a slice's mask becomes the next slice's prompt. */
    public enum Projection {
        /** The mask's (extended) box plus its low-resolution logits as mask prompt. */
        MASK,
        /** The mask's (extended) box only. */
        BOX,
        /** Object point at the mask's deepest pixel, background points at the deepest pixels around it in the box. */
        POINTS,
        POINTS_AND_MASK,
        /** Only the mask's deepest pixel (three candidates, best predicted IoU kept). */
        SINGLE_POINT;

        public static Projection parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown projection '" + name + "': use mask, box, points, "
                        + "points_and_mask or single_point");
            }
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** @param boxExtension each side of a derived box moves out by this fraction of the box's width/height */
    public record Settings(Projection projection, double iouThreshold, double boxExtension) {
        public static final Settings DEFAULTS = new Settings(Projection.MASK, 0.5, 0.05);

        public Settings {
            if (!(iouThreshold >= 0 && iouThreshold <= 1)) {
                throw new IllegalArgumentException("IoU threshold must lie in 0..1, got " + iouThreshold);
            }
            if (!(boxExtension >= 0 && boxExtension <= 1)) {
                throw new IllegalArgumentException("box extension must lie in 0..1, got " + boxExtension);
            }
        }
    }

    /**
     * The user's input for one object on one slice (0-based): a prompt to segment that slice from, or a finished mask
     * (drawn or corrected by hand) that is taken as it is and carried to the neighbouring slices.
     */
    public record SlicePrompt(int slice, Prompt prompt, boolean[] mask) {
        public SlicePrompt(int slice, Prompt prompt) {
            this(slice, prompt, null);
        }

        public static SlicePrompt ofMask(int slice, boolean[] mask) {
            return new SlicePrompt(slice, null, mask);
        }
    }

    /** The mask on one slice, the decoder's IoU estimate, and the low-resolution logits that made it. */
    public record SliceMask(boolean[] mask, float predictedIou, float[] lowRes) {
    }

    /** Segments one slice of a stack from a prompt; the model behind it is SAM (see {@link #withModel}). */
    public interface SliceSegmenter {
        int depth();

        int width();

        int height();

        /** The best mask for the prompt on 0-based slice {@code z} (three candidates compared when multimask). */
        SliceMask segment(int z, Prompt prompt, boolean multimask, Progress progress);
    }

    /** A segmenter running SAM on the stack's embeddings (each slice encoded at most once). */
    public static SliceSegmenter withModel(SamPredictor predictor, StackEmbeddings stack, int width, int height) {
        return withModel(PromptPredictor.of(predictor), stack, width, height);
    }

    /** As above, for a model of either family (the projection method; SAM 2.1's own tracking is memory-based). */
    public static SliceSegmenter withModel(PromptPredictor predictor, StackEmbeddings stack, int width, int height) {
        return new SliceSegmenter() {
            @Override
            public int depth() {
                return stack.depth();
            }

            @Override
            public int width() {
                return width;
            }

            @Override
            public int height() {
                return height;
            }

            @Override
            public SliceMask segment(int z, Prompt prompt, boolean multimask, Progress progress) {
                Prediction p = predictor.predict(stack.embedding(z, progress), prompt, multimask);
                int best = p.best();
                return new SliceMask(p.mask(best), p.iou()[best], p.lowRes()[best]);
            }
        };
    }

    /**
     * Masks by 0-based slice, with why propagation stopped going down (toward slice 0) and up.
     */
    public record Result(SortedMap<Integer, SliceMask> slices, String stopBelow, String stopAbove) {
        public int first() {
            return slices.firstKey();
        }

        public int last() {
            return slices.lastKey();
        }

        public long voxelCount() {
            return slices.values().stream().mapToLong(s -> MaskGeometry.area(s.mask())).sum();
        }
    }

    private final Settings settings;

    public VolumePropagator(Settings settings) {
        this.settings = settings;
    }

    public Result propagate(SliceSegmenter stack, List<SlicePrompt> prompts, Progress progress) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompt given: put a point or box on at least one slice");
        }
        int depth = stack.depth();
        if (depth < 2) {
            throw new IllegalArgumentException("propagation needs a stack: this image has a single slice (use Segment with Prompt)");
        }
        List<SlicePrompt> sorted = new ArrayList<>(prompts);
        sorted.sort(Comparator.comparingInt(SlicePrompt::slice));
        for (int i = 0; i < sorted.size(); i++) {
            int z = sorted.get(i).slice();
            if (z < 0 || z >= depth) {
                throw new IllegalArgumentException("a prompt lies on slice " + (z + 1) + ", which does not exist: the stack has "
                        + depth + " slices");
            }
            if (i > 0 && sorted.get(i - 1).slice() == z) {
                throw new IllegalArgumentException("two prompts for the same object on slice " + (z + 1)
                        + ": combine them into one (same object number)");
            }
        }
        int steps = depth + sorted.size();
        int[] done = {0};
        Progress perSlice = new Progress() {
            @Override
            public void update(double fraction, String message) {
                progress.update(Math.min(1, (done[0] + fraction) / steps), message);
            }

            @Override
            public boolean isCancelled() {
                return progress.isCancelled();
            }
        };
        SortedMap<Integer, SliceMask> out = new TreeMap<>();
        for (SlicePrompt p : sorted) {
            progress.checkCancelled();
            SliceMask start;
            if (p.mask() != null) {
                if (p.mask().length != stack.width() * stack.height()) {
                    throw new IllegalArgumentException("the mask on slice " + (p.slice() + 1) + " has "
                            + p.mask().length + " pixels, not the image's " + stack.width() + " x " + stack.height());
                }
                if (MaskGeometry.area(p.mask()) == 0) {
                    throw new IllegalArgumentException("the mask given on slice " + (p.slice() + 1) + " is empty");
                }
                // A given mask has no logits: the next slice is prompted by its box (and points) alone.
                start = new SliceMask(p.mask(), Float.NaN, null);
            } else {
                Prompt prompt = p.prompt();
                boolean single = prompt.box() == null && prompt.points().size() == 1 && prompt.maskInput() == null;
                start = stack.segment(p.slice(), prompt, single, perSlice);
                if (MaskGeometry.area(start.mask()) == 0) {
                    throw new IllegalArgumentException("the prompt on slice " + (p.slice() + 1) + " gives an empty mask: "
                            + "move or add prompts there so the object is found before propagating");
                }
            }
            out.put(p.slice(), start);
            done[0]++;
        }
        int lowest = sorted.get(0).slice();
        int highest = sorted.get(sorted.size() - 1).slice();
        String below = carry(stack, out, lowest, -1, 0, perSlice, done);
        for (int i = 0; i + 1 < sorted.size(); i++) {
            int a = sorted.get(i).slice();
            int b = sorted.get(i + 1).slice();
            if (b - a > 1) {
                int middle = (a + b) / 2;
                carry(stack, out, a, +1, middle, perSlice, done);
                carry(stack, out, b, -1, middle + 1, perSlice, done);
            }
        }
        String above = carry(stack, out, highest, +1, depth - 1, perSlice, done);
        progress.update(1, "propagated over slices " + (out.firstKey() + 1) + "-" + (out.lastKey() + 1));
        return new Result(out, below, above);
    }

    /** Carries the mask of slice {@code from} step by step up to slice {@code limit}; returns why it stopped. */
    private String carry(SliceSegmenter stack, Map<Integer, SliceMask> out, int from, int step, int limit,
                         Progress progress, int[] done) {
        if ((step > 0 && from >= limit) || (step < 0 && from <= limit)) {
            return from == 0 || from == stack.depth() - 1 ? "end of stack" : "met the other side at slice " + (from + 1);
        }
        SliceMask previous = out.get(from);
        for (int z = from + step; step > 0 ? z <= limit : z >= limit; z += step) {
            progress.checkCancelled();
            Prompt prompt = project(previous, stack.width(), stack.height());
            boolean multimask = settings.projection() == Projection.SINGLE_POINT;
            SliceMask next = stack.segment(z, prompt, multimask, progress);
            boolean[] mask = next.mask();
            done[0]++;
            progress.update(0, "propagating: slice " + (z + 1));
            if (MaskGeometry.area(mask) == 0) {
                return "empty mask at slice " + (z + 1);
            }
            double iou = MaskGeometry.iou(previous.mask(), mask);
            if (iou < settings.iouThreshold()) {
                return String.format(Locale.ROOT, "IoU %.3f with the previous slice below %.3f at slice %d", iou,
                        settings.iouThreshold(), z + 1);
            }
            previous = next;
            out.put(z, previous);
        }
        return limit == 0 || limit == stack.depth() - 1 ? "end of stack" : "met the other side at slice " + (limit + 1);
    }

    /** The next slice's prompt from this slice's mask. */
    Prompt project(SliceMask previous, int w, int h) {
        boolean[] mask = previous.mask();
        Prompt.Box box = extendedBox(mask, w, h, settings.boxExtension());
        return switch (settings.projection()) {
            case MASK -> new Prompt(List.of(), box, previous.lowRes());
            case BOX -> new Prompt(List.of(), box, null);
            case POINTS -> new Prompt(points(mask, w, h, box), null, null);
            case POINTS_AND_MASK -> new Prompt(points(mask, w, h, box), null, previous.lowRes());
            case SINGLE_POINT -> {
                int p = MaskGeometry.deepest(mask, w, h, null);
                yield new Prompt(List.of(new Prompt.Point(p % w, p / w, 1)), null, null);
            }
        };
    }

    /** The mask's pixel bounds, each side moved out by {@code extension} of the box's size, clipped to the image. */
    static Prompt.Box extendedBox(boolean[] mask, int w, int h, double extension) {
        int[] b = MaskGeometry.bounds(mask, w);
        double dx = extension * (b[2] - b[0]);
        double dy = extension * (b[3] - b[1]);
        return new Prompt.Box(Math.max(0, b[0] - dx), Math.max(0, b[1] - dy), Math.min(w - 1, b[2] + dx),
                Math.min(h - 1, b[3] + dy));
    }

    /**
     * One object point at the mask's deepest pixel; a background point in each quadrant around it (split at that
     * point) at the deepest pixel of the part of the extended box outside the mask: clearly outside the object, yet
     * close to it, and spread around it.
     */
    static List<Prompt.Point> points(boolean[] mask, int w, int h, Prompt.Box box) {
        List<Prompt.Point> out = new ArrayList<>();
        int inside = MaskGeometry.deepest(mask, w, h, null);
        int cx = inside % w;
        int cy = inside / w;
        out.add(new Prompt.Point(cx, cy, 1));
        int x0 = (int) Math.floor(box.x0());
        int y0 = (int) Math.floor(box.y0());
        int x1 = (int) Math.ceil(box.x1());
        int y1 = (int) Math.ceil(box.y1());
        for (int quadrant = 0; quadrant < 4; quadrant++) {
            boolean right = (quadrant & 1) != 0;
            boolean below = (quadrant & 2) != 0;
            boolean[] region = new boolean[mask.length];
            for (int y = below ? cy : y0; y <= (below ? y1 : cy); y++) {
                for (int x = right ? cx : x0; x <= (right ? x1 : cx); x++) {
                    region[y * w + x] = !mask[y * w + x];
                }
            }
            int p = MaskGeometry.deepest(region, w, h, null);
            if (p >= 0) {
                out.add(new Prompt.Point(p % w, p / w, 0));
            }
        }
        return out;
    }
}
