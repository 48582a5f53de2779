package io.github.samfiji.inference.sam2;

import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.model.sam2.Sam2Preprocessing;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.model.Ops;
import io.github.samfiji.inference.sam2.Sam2Tracking.FrameOutput;
import io.github.samfiji.inference.sam2.Sam2Tracking.MemoryFrame;
import io.github.samfiji.inference.sam2.Sam2Tracking.Pointer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

/**
 * Segments objects through a z-stack with SAM 2.1's memory, as the reference video predictor tracks them through
 * frames. Slices with prompts become an object's conditioning slices, decoded without memory; {@link #propagate} then
 * decodes every other slice from memories of the conditioning slices and of up to 6 slices just before it (in the
 * direction of travel) plus the object pointers of up to 15 slices, starting at the first prompted slice. A prompt on
 * a slice that was already tracked is a correction: decoded with memory and its previous logits as mask prompt.
 * Objects are tracked independently (each with its own memory) and share each slice's encoding. Call order as the
 * reference: prompts (in any order), {@code propagate(false)}, {@code propagate(true)}; more prompts and passes may
 * follow. Holds native memory for a few slices' features until closed.
 */
public final class Sam2VolumePropagator implements AutoCloseable {

    /** Encoded slices kept for re-use; older ones are encoded again when needed (deterministic, only slower). */
    private static final int CACHED_SLICES = 4;
    /** The object of the single-object methods. */
    public static final int DEFAULT_OBJECT = 1;

    /**
     * One object's result on one slice: whether it was tracked from memory (false: stored result of a prompt), its
     * low-res logits, logits at the slice size (> 0 = object), the chosen mask's predicted IoU and the object score
     * (<= 0: the object is absent and every logit is -1024).
     */
    public record SliceResult(int object, int z, boolean tracked, float[] lowRes, float[] logits, float predictedIou,
                              float objectScore) {
        public boolean objectPresent() {
            return objectScore > 0;
        }
    }

    /** One object's memory bank, as the reference keeps per object. */
    private final class Track {
        final int object;
        /** Outputs used as memory, in the reference's insertion order for conditioning slices. */
        final LinkedHashMap<Integer, FrameOutput> conditioning = new LinkedHashMap<>();
        final Map<Integer, FrameOutput> tracked = new HashMap<>();
        /** Prompted outputs not yet used as memory (their memory is encoded when propagation starts). */
        final LinkedHashMap<Integer, FrameOutput> newConditioning = new LinkedHashMap<>();
        final LinkedHashMap<Integer, FrameOutput> newCorrections = new LinkedHashMap<>();
        /** Direction in which each slice was last tracked (a correction is decoded as if in that pass). */
        final Map<Integer, Boolean> trackedReverse = new HashMap<>();
        final SliceResult[] last = new SliceResult[depth];

        Track(int object) {
            this.object = object;
        }
    }

    private final Sam2Model model;
    private final Sam2Tracking tracking;
    private final IntFunction<Rgb8Image> slices;
    private final IntFunction<Sam2ImageEmbedding> stored;
    private final int depth;
    private final int width;
    private final int height;
    private final NDManager manager;
    private final LinkedHashMap<Integer, NDList> features = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Integer, Track> tracks = new LinkedHashMap<>();
    private BiConsumer<String, NDArray> probe;
    private io.github.samfiji.io.Progress progress = io.github.samfiji.io.Progress.NONE;
    private int encodedSlices;

    /**
     * @param slices the stack's slices (0-based z) as RGB images of {@code width} x {@code height}
     */
    public Sam2VolumePropagator(Sam2Model model, IntFunction<Rgb8Image> slices, int depth, int width, int height) {
        this(model, slices, null, depth, width, height);
    }

    /**
     * A propagator reading each slice's encoding from an embedding store ({@code stored}: 0-based z to the slice's
     * image-predictor embedding, owned by the store), so a slice prompted or tracked before is not encoded again.
     */
    public static Sam2VolumePropagator onStore(Sam2Model model, IntFunction<Sam2ImageEmbedding> stored, int depth,
                                               int width, int height) {
        return new Sam2VolumePropagator(model, null, stored, depth, width, height);
    }

    private Sam2VolumePropagator(Sam2Model model, IntFunction<Rgb8Image> slices, IntFunction<Sam2ImageEmbedding> stored,
                                 int depth, int width, int height) {
        if (depth < 2) {
            throw new IllegalArgumentException("propagation needs a stack of at least 2 slices, got " + depth);
        }
        this.model = model;
        this.tracking = new Sam2Tracking(model);
        this.slices = slices;
        this.stored = stored;
        this.depth = depth;
        this.width = width;
        this.height = height;
        this.manager = model.manager().newSubManager();
    }

    /**
     * Receives memory attention's inputs and output of every slice decoded with memory (for parity tests), named
     * {@code f<z>__memory}, {@code f<z>__memory_pos}, {@code f<z>__pix_feat_with_mem}.
     */
    void setProbe(BiConsumer<String, NDArray> probe) {
        this.probe = probe;
    }

    /** {@link #addPrompt(int, int, Prompt)} for the single object {@link #DEFAULT_OBJECT}. */
    public SliceResult addPrompt(int z, Prompt prompt) {
        return addPrompt(DEFAULT_OBJECT, z, prompt);
    }

    /**
     * Adds clicks and/or a box for an object on slice z (replacing earlier ones there) and decodes that slice: a
     * slice never tracked for the object becomes a conditioning slice; an already tracked one is corrected with
     * memory. The memory of the result is encoded when propagation starts.
     */
    public SliceResult addPrompt(int object, int z, Prompt prompt) {
        checkSlice(z);
        if (prompt.points().isEmpty() && prompt.box() == null) {
            throw new IllegalArgumentException("slice " + (z + 1) + ": a prompt needs a click or a box");
        }
        checkInside(prompt);
        Track t = tracks.computeIfAbsent(object, Track::new);
        boolean initial = !t.trackedReverse.containsKey(z);
        // As the reference: the slice's latest logits (not yet in memory first), clamped, prompt the decoder too.
        FrameOutput previous = initial ? t.newConditioning.get(z) : t.newCorrections.get(z);
        if (previous == null) {
            previous = t.conditioning.containsKey(z) ? t.conditioning.get(z) : t.tracked.get(z);
        }
        Prompt input = withoutMask(prompt);
        if (previous != null) {
            float[] clamped = previous.lowRes().clone();
            for (int i = 0; i < clamped.length; i++) {
                clamped[i] = Math.max(-Sam2ImagePredictor.LOW_RES_LIMIT, Math.min(Sam2ImagePredictor.LOW_RES_LIMIT,
                        clamped[i]));
            }
            input = new Prompt(prompt.points(), prompt.box(), clamped);
        }
        FrameOutput out;
        if (initial) {
            out = tracking.decode(features(z), input, width, height, null, null, 0, false, probe);
            t.newConditioning.put(z, out);
        } else {
            out = decodeWithMemory(t, z, input, t.trackedReverse.get(z), false);
            t.newCorrections.put(z, out);
        }
        return result(t, z, false, out);
    }

    /** {@link #addMask(int, int, boolean[])} for the single object {@link #DEFAULT_OBJECT}. */
    public SliceResult addMask(int z, boolean[] mask) {
        return addMask(DEFAULT_OBJECT, z, mask);
    }

    /**
     * Gives an object's mask on slice z (slice size, row-major; replacing earlier prompts there), as the reference's
     * {@code add_new_mask}: the mask is taken as that slice's result and conditions the memory like a prompted
     * slice (a slice not tracked yet becomes a conditioning slice; a tracked one is a correction).
     */
    public SliceResult addMask(int object, int z, boolean[] mask) {
        checkSlice(z);
        if (mask.length != width * height) {
            throw new IllegalArgumentException("the mask on slice " + (z + 1) + " has " + mask.length
                    + " pixels, not the stack's " + width + " x " + height);
        }
        Track t = tracks.computeIfAbsent(object, Track::new);
        boolean initial = !t.trackedReverse.containsKey(z);
        FrameOutput out = tracking.maskAsOutput(features(z), mask, width, height);
        if (initial) {
            t.newConditioning.put(z, out);
        } else {
            t.newCorrections.put(z, out);
        }
        return result(t, z, false, out);
    }

    /** Reports each slice tracked by {@link #propagate} and is checked for cancellation there. */
    public void setProgress(io.github.samfiji.io.Progress progress) {
        this.progress = progress == null ? io.github.samfiji.io.Progress.NONE : progress;
    }

    /**
     * Tracks every object from the first prompted slice (of any object) to the end of the stack (forward) or to
     * slice 0 (reverse), returning the results slice by slice (objects in the order they were first prompted);
     * an object's prompted slices return their stored result. An object prompted later than the start is tracked on
     * the slices before its prompt from the memory of that prompt, as in the reference.
     */
    public List<SliceResult> propagate(boolean reverse) {
        for (Track t : tracks.values()) {
            encodePendingMemories(t);
        }
        if (tracks.values().stream().allMatch(t -> t.conditioning.isEmpty())) {
            throw new IllegalStateException("no prompted slice to propagate from: add a prompt first");
        }
        int start = tracks.values().stream().flatMap(t -> t.conditioning.keySet().stream())
                .mapToInt(Integer::intValue).min().getAsInt();
        List<SliceResult> out = new ArrayList<>();
        if (reverse && start == 0) {
            return out;
        }
        int end = reverse ? 0 : depth - 1;
        int step = reverse ? -1 : 1;
        int steps = Math.abs(end - start) + 1;
        for (int z = start; z != end + step; z += step) {
            progress.checkCancelled();
            progress.update(Math.abs(z - start) / (double) steps, "tracking " + (reverse ? "down" : "up")
                    + ": slice " + (z + 1));
            for (Track t : tracks.values()) {
                SliceResult r;
                if (t.conditioning.containsKey(z)) {
                    r = result(t, z, false, t.conditioning.get(z));
                } else {
                    FrameOutput o = decodeWithMemory(t, z, null, reverse, true);
                    t.tracked.put(z, o);
                    r = result(t, z, true, o);
                }
                t.trackedReverse.put(z, reverse);
                out.add(r);
            }
        }
        return out;
    }

    /** The objects prompted so far, in the order they were first prompted. */
    public List<Integer> objects() {
        return List.copyOf(tracks.keySet());
    }

    /** The latest logits (slice size) of the single object for each slice, null where none was produced yet. */
    public float[][] lastLogits() {
        SliceResult[] r = lastResults(DEFAULT_OBJECT);
        float[][] copy = new float[depth][];
        for (int z = 0; z < depth; z++) {
            copy[z] = r[z] == null ? null : r[z].logits().clone();
        }
        return copy;
    }

    /** The latest result produced for an object on each slice (what a user sees after all calls), null where none. */
    public SliceResult[] lastResults(int object) {
        Track t = tracks.get(object);
        if (t == null) {
            throw new IllegalArgumentException("object " + object + " has no prompt");
        }
        return t.last.clone();
    }

    public int depth() {
        return depth;
    }

    /** How many slice encodings ran (a slice evicted from the small cache and needed again counts twice). */
    public int encodedSlices() {
        return encodedSlices;
    }

    /** The reference moves new prompted outputs into memory, corrections first, encoding their binarized masks. */
    private void encodePendingMemories(Track t) {
        for (Map.Entry<Integer, FrameOutput> e : t.newCorrections.entrySet()) {
            t.tracked.put(e.getKey(), withMemory(e.getKey(), e.getValue()));
        }
        t.newCorrections.clear();
        for (Map.Entry<Integer, FrameOutput> e : t.newConditioning.entrySet()) {
            t.conditioning.put(e.getKey(), withMemory(e.getKey(), e.getValue()));
        }
        t.newConditioning.clear();
        t.conditioning.keySet().forEach(t.tracked::remove);
    }

    private FrameOutput withMemory(int z, FrameOutput o) {
        return o.memory() != null ? o : o.withMemory(tracking.encodeMemory(features(z), o, true));
    }

    /**
     * Decodes slice z from an object's memory. Memories: every conditioning slice, then the tracked slices 6, 5, ...,
     * 1 before z (after z in reverse) that exist. Pointers: conditioning slices not ahead of z, then tracked slices 1
     * to min(depth, 16) - 1 away, nearest first.
     */
    private FrameOutput decodeWithMemory(Track track, int z, Prompt prompt, boolean reverse, boolean encodeMemory) {
        int numMaskmem = model.config().numMaskmem();
        int sign = reverse ? -1 : 1;
        List<MemoryFrame> memories = new ArrayList<>();
        for (FrameOutput c : track.conditioning.values()) {
            memories.add(new MemoryFrame(0, c.memory()));
        }
        for (int tPos = 1; tPos < numMaskmem; tPos++) {
            FrameOutput o = track.tracked.get(z - sign * (numMaskmem - tPos));
            if (o != null) {
                memories.add(new MemoryFrame(tPos, o.memory()));
            }
        }
        List<Pointer> pointers = new ArrayList<>();
        for (Map.Entry<Integer, FrameOutput> c : track.conditioning.entrySet()) {
            int offset = (z - c.getKey()) * sign;
            if (offset >= 0) {
                pointers.add(new Pointer(offset, c.getValue().objectPointer()));
            }
        }
        int range = Math.min(depth, Sam2Tracking.MAX_POINTER_FRAMES);
        for (int d = 1; d < range; d++) {
            int t = z - sign * d;
            if (t < 0 || t >= depth) {
                break;
            }
            FrameOutput o = track.tracked.get(t);
            if (o != null) {
                pointers.add(new Pointer(d, o.objectPointer()));
            }
        }
        BiConsumer<String, NDArray> named = probe == null ? null : (n, a) -> probe.accept("f" + z + "__" + n, a);
        return tracking.decode(features(z), prompt, width, height, memories, pointers, range - 1, encodeMemory, named);
    }

    private SliceResult result(Track t, int z, boolean wasTracked, FrameOutput o) {
        int low = model.config().lowResSize();
        float[] logits;
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            logits = Ops.resizeBilinear(Ops.constant(m, o.lowRes(), new Shape(1, 1, low, low)), height, width)
                    .toFloatArray();
        }
        t.last[z] = new SliceResult(t.object, z, wasTracked, o.lowRes().clone(), logits, o.predictedIou(),
                o.objectScore());
        return new SliceResult(t.object, z, wasTracked, o.lowRes().clone(), logits.clone(), o.predictedIou(),
                o.objectScore());
    }

    /** The encoder features of slice z, from the small cache or encoded now. */
    private NDList features(int z) {
        if (stored != null) {
            Sam2ImageEmbedding e = stored.apply(z);
            if (e.originalWidth() != width || e.originalHeight() != height) {
                throw new IllegalArgumentException("slice " + (z + 1) + " is " + e.originalWidth() + " x "
                        + e.originalHeight() + ", not " + width + " x " + height);
            }
            return e.frameFeatures();
        }
        NDList cached = features.get(z);
        if (cached != null) {
            return cached;
        }
        Rgb8Image image = slices.apply(z);
        if (image.width() != width || image.height() != height) {
            throw new IllegalArgumentException("slice " + (z + 1) + " is " + image.width() + " x " + image.height()
                    + ", not " + width + " x " + height);
        }
        int size = model.config().imageSize();
        float[] input = Sam2Preprocessing.preprocess(image, size);
        NDManager owner = manager.newSubManager();
        try (NDManager scratch = manager.newSubManager(); NDScope scope = new NDScope()) {
            NDList f = model.encodeFrame(Ops.constant(scratch, input, new Shape(1, 3, size, size)));
            for (NDArray a : f) {
                NDScope.unregister(a);
            }
            f.attach(owner);
            features.put(z, f);
            encodedSlices++;
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
        while (features.size() > CACHED_SLICES) {
            Map.Entry<Integer, NDList> eldest = features.entrySet().iterator().next();
            eldest.getValue().get(0).getManager().close();
            features.remove(eldest.getKey());
        }
        return features.get(z);
    }

    private static Prompt withoutMask(Prompt p) {
        return p.maskInput() == null ? p : new Prompt(p.points(), p.box(), null);
    }

    private void checkSlice(int z) {
        if (z < 0 || z >= depth) {
            throw new IllegalArgumentException("slice " + (z + 1) + " does not exist: the stack has " + depth + " slices");
        }
    }

    private void checkInside(Prompt prompt) {
        for (Prompt.Point p : prompt.points()) {
            if (p.x() < 0 || p.y() < 0 || p.x() > width || p.y() > height) {
                throw new IllegalArgumentException(String.format("point (%s, %s) lies outside the %d x %d slices",
                        p.x(), p.y(), width, height));
            }
        }
        Prompt.Box b = prompt.box();
        if (b != null && (b.x1() < 0 || b.y1() < 0 || b.x0() > width || b.y0() > height)) {
            throw new IllegalArgumentException(String.format("box (%s, %s, %s, %s) lies outside the %d x %d slices",
                    b.x0(), b.y0(), b.x1(), b.y1(), width, height));
        }
    }

    /** What {@link #track} found: each object's last result per slice (0-based z), and the slices encoded. */
    public record Tracked(Map<Integer, SliceResult[]> objects, int encodedSlices) {
    }

    /**
     * The propagate job with SAM 2.1, once for every front end: each object's prompts (object -> 0-based slice ->
     * prompt; a slice's box and clicks together) are added object by object in increasing z, then one pass runs
     * forward and one in reverse, as the reference's video predictor does; each slice keeps its last result.
     */
    public static Tracked track(Sam2Model model, IntFunction<Rgb8Image> slices, int depth, int width, int height,
                                Map<Integer, ? extends Map<Integer, Prompt>> prompts) {
        return track(model, slices, depth, width, height, prompts, Map.of(), io.github.samfiji.io.Progress.NONE);
    }

    /**
     * As above, with masks as prompts too (object -> 0-based slice -> mask of the slice's size, the reference's
     * {@code add_new_mask}); a slice has either a mask or a prompt. Objects come in the order of {@code prompts},
     * then those with masks only; cancellable through {@code progress}.
     */
    public static Tracked track(Sam2Model model, IntFunction<Rgb8Image> slices, int depth, int width, int height,
                                Map<Integer, ? extends Map<Integer, Prompt>> prompts,
                                Map<Integer, ? extends Map<Integer, boolean[]>> masks,
                                io.github.samfiji.io.Progress progress) {
        try (Sam2VolumePropagator propagator = new Sam2VolumePropagator(model, slices, depth, width, height)) {
            return propagator.track(prompts, masks, progress);
        }
    }

    /** As above, the slices' encodings read from an embedding store (see {@link #onStore}). */
    public static Tracked trackOnStore(Sam2Model model, IntFunction<Sam2ImageEmbedding> stored, int depth, int width,
                                       int height, Map<Integer, ? extends Map<Integer, Prompt>> prompts,
                                       Map<Integer, ? extends Map<Integer, boolean[]>> masks,
                                       io.github.samfiji.io.Progress progress) {
        try (Sam2VolumePropagator propagator = onStore(model, stored, depth, width, height)) {
            return propagator.track(prompts, masks, progress);
        }
    }

    private Tracked track(Map<Integer, ? extends Map<Integer, Prompt>> prompts,
                          Map<Integer, ? extends Map<Integer, boolean[]>> masks, io.github.samfiji.io.Progress progress) {
        java.util.Set<Integer> objects = new java.util.LinkedHashSet<>(prompts.keySet());
        objects.addAll(masks.keySet());
        for (int object : objects) {
            Map<Integer, Prompt> p = prompts.containsKey(object) ? prompts.get(object) : Map.of();
            Map<Integer, boolean[]> m = masks.containsKey(object) ? masks.get(object) : Map.of();
            java.util.TreeSet<Integer> zs = new java.util.TreeSet<>(p.keySet());
            zs.addAll(m.keySet());
            for (int z : zs) {
                progress.checkCancelled();
                if (p.containsKey(z) && m.containsKey(z)) {
                    throw new IllegalArgumentException("object " + object + " has both a mask and a prompt on slice "
                            + (z + 1) + ": give one of them");
                }
                if (m.containsKey(z)) {
                    addMask(object, z, m.get(z));
                } else {
                    addPrompt(object, z, p.get(z));
                }
            }
        }
        setProgress(io.github.samfiji.io.Progress.scaled(progress, 0, 0.5));
        propagate(false);
        setProgress(io.github.samfiji.io.Progress.scaled(progress, 0.5, 0.5));
        propagate(true);
        Map<Integer, SliceResult[]> out = new LinkedHashMap<>();
        for (Integer object : objects) {
            out.put(object, lastResults(object));
        }
        progress.update(1, "tracked " + objects.size() + " object(s) through " + depth + " slices");
        return new Tracked(out, encodedSlices);
    }

    @Override
    public void close() {
        features.clear();
        manager.close();
    }
}
