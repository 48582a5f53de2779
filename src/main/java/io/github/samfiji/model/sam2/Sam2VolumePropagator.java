package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.sam2.Sam2Tracking.FrameOutput;
import io.github.samfiji.model.sam2.Sam2Tracking.MemoryFrame;
import io.github.samfiji.model.sam2.Sam2Tracking.Pointer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

/**
 * Segments one object through a z-stack with SAM 2.1's memory, as the reference video predictor tracks it through
 * frames. Slices with prompts become conditioning slices, decoded without memory; {@link #propagate} then decodes
 * every other slice from memories of the conditioning slices and of up to 6 slices just before it (in the
 * direction of travel) plus the object pointers of up to 15 slices, starting at the first prompted slice. A prompt on
 * a slice that was already tracked is a correction: decoded with memory and its previous logits as mask prompt.
 * Call order as the reference: prompts (in any order), {@code propagate(false)}, {@code propagate(true)}; more
 * prompts and passes may follow. Holds native memory for a few slices' features until closed.
 */
public final class Sam2VolumePropagator implements AutoCloseable {

    /** Encoded slices kept for re-use; older ones are encoded again when needed (deterministic, only slower). */
    private static final int CACHED_SLICES = 4;

    /**
     * One slice's result: whether it was tracked from memory (false: stored result of a prompt), its low-res logits,
     * logits at the slice size (> 0 = object), the chosen mask's predicted IoU and the object score (<= 0: the object
     * is absent and every logit is -1024).
     */
    public record SliceResult(int z, boolean tracked, float[] lowRes, float[] logits, float predictedIou,
                              float objectScore) {
        public boolean objectPresent() {
            return objectScore > 0;
        }
    }

    private final Sam2Model model;
    private final Sam2Tracking tracking;
    private final IntFunction<Rgb8Image> slices;
    private final int depth;
    private final int width;
    private final int height;
    private final NDManager manager;
    private final LinkedHashMap<Integer, NDList> features = new LinkedHashMap<>(16, 0.75f, true);

    /** Outputs used as memory, in the reference's insertion order for conditioning slices. */
    private final LinkedHashMap<Integer, FrameOutput> conditioning = new LinkedHashMap<>();
    private final Map<Integer, FrameOutput> tracked = new HashMap<>();
    /** Prompted outputs not yet used as memory (their memory is encoded when propagation starts). */
    private final LinkedHashMap<Integer, FrameOutput> newConditioning = new LinkedHashMap<>();
    private final LinkedHashMap<Integer, FrameOutput> newCorrections = new LinkedHashMap<>();
    /** Direction in which each slice was last tracked (a correction is decoded as if in that pass). */
    private final Map<Integer, Boolean> trackedReverse = new HashMap<>();
    private final SliceResult[] last;
    private BiConsumer<String, NDArray> probe;
    private int encodedSlices;

    /**
     * @param slices the stack's slices (0-based z) as RGB images of {@code width} x {@code height}
     */
    public Sam2VolumePropagator(Sam2Model model, IntFunction<Rgb8Image> slices, int depth, int width, int height) {
        if (depth < 2) {
            throw new IllegalArgumentException("propagation needs a stack of at least 2 slices, got " + depth);
        }
        this.model = model;
        this.tracking = new Sam2Tracking(model);
        this.slices = slices;
        this.depth = depth;
        this.width = width;
        this.height = height;
        this.manager = model.manager().newSubManager();
        this.last = new SliceResult[depth];
    }

    /**
     * Receives memory attention's inputs and output of every slice decoded with memory (for parity tests), named
     * {@code f<z>__memory}, {@code f<z>__memory_pos}, {@code f<z>__pix_feat_with_mem}.
     */
    void setProbe(BiConsumer<String, NDArray> probe) {
        this.probe = probe;
    }

    /**
     * Adds clicks and/or a box on slice z (replacing earlier ones there) and decodes that slice: a slice never tracked
     * becomes a conditioning slice; an already tracked one is corrected with memory. The memory of the result is
     * encoded when propagation starts.
     */
    public SliceResult addPrompt(int z, Prompt prompt) {
        checkSlice(z);
        if (prompt.points().isEmpty() && prompt.box() == null) {
            throw new IllegalArgumentException("slice " + (z + 1) + ": a prompt needs a click or a box");
        }
        checkInside(prompt);
        boolean initial = !trackedReverse.containsKey(z);
        // As the reference: the slice's latest logits (not yet in memory first), clamped, prompt the decoder too.
        FrameOutput previous = initial ? newConditioning.get(z) : newCorrections.get(z);
        if (previous == null) {
            previous = conditioning.containsKey(z) ? conditioning.get(z) : tracked.get(z);
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
            newConditioning.put(z, out);
        } else {
            out = decodeWithMemory(z, input, trackedReverse.get(z), false);
            newCorrections.put(z, out);
        }
        return result(z, false, out);
    }

    /**
     * Tracks from the first prompted slice to the end of the stack (forward) or to slice 0 (reverse), returning each
     * slice's result in order; prompted slices return their stored result.
     */
    public List<SliceResult> propagate(boolean reverse) {
        return propagate(reverse, -1);
    }

    /**
     * As {@link #propagate(boolean)} from slice {@code start} (0-based; -1 = the first prompted slice). Several objects
     * tracked together start where the first of them is prompted, as in the reference, so an object prompted later
     * is tracked on the slices before its prompt from the memory of that prompt.
     */
    public List<SliceResult> propagate(boolean reverse, int start) {
        encodePendingMemories();
        if (conditioning.isEmpty()) {
            throw new IllegalStateException("no prompted slice to propagate from: add a prompt first");
        }
        if (start < 0) {
            start = conditioning.keySet().stream().mapToInt(Integer::intValue).min().getAsInt();
        }
        checkSlice(start);
        List<SliceResult> out = new ArrayList<>();
        if (reverse && start == 0) {
            return out;
        }
        int end = reverse ? 0 : depth - 1;
        int step = reverse ? -1 : 1;
        for (int z = start; z != end + step; z += step) {
            SliceResult r;
            if (conditioning.containsKey(z)) {
                r = result(z, false, conditioning.get(z));
            } else {
                FrameOutput o = decodeWithMemory(z, null, reverse, true);
                tracked.put(z, o);
                r = result(z, true, o);
            }
            trackedReverse.put(z, reverse);
            out.add(r);
        }
        return out;
    }

    /** The latest logits (slice size) produced for each slice, null where none was produced yet. */
    public float[][] lastLogits() {
        float[][] copy = new float[depth][];
        for (int z = 0; z < depth; z++) {
            copy[z] = last[z] == null ? null : last[z].logits().clone();
        }
        return copy;
    }

    /** The latest result produced for each slice (what a user sees after all calls), null where none yet. */
    public SliceResult[] lastResults() {
        return last.clone();
    }

    public int depth() {
        return depth;
    }

    /** How many slice encodings ran (a slice evicted from the small cache and needed again counts twice). */
    public int encodedSlices() {
        return encodedSlices;
    }

    /** The reference moves new prompted outputs into memory, corrections first, encoding their binarized masks. */
    private void encodePendingMemories() {
        for (Map.Entry<Integer, FrameOutput> e : newCorrections.entrySet()) {
            tracked.put(e.getKey(), withMemory(e.getKey(), e.getValue()));
        }
        newCorrections.clear();
        for (Map.Entry<Integer, FrameOutput> e : newConditioning.entrySet()) {
            conditioning.put(e.getKey(), withMemory(e.getKey(), e.getValue()));
        }
        newConditioning.clear();
        conditioning.keySet().forEach(tracked::remove);
    }

    private FrameOutput withMemory(int z, FrameOutput o) {
        return o.memory() != null ? o : o.withMemory(tracking.encodeMemory(features(z), o, true));
    }

    /**
     * Decodes slice z from memory. Memories: every conditioning slice, then the tracked slices 6, 5, ..., 1 before z
     * (after z in reverse) that exist. Pointers: conditioning slices not ahead of z, then tracked slices 1 to
     * min(depth, 16) - 1 away, nearest first.
     */
    private FrameOutput decodeWithMemory(int z, Prompt prompt, boolean reverse, boolean encodeMemory) {
        int numMaskmem = model.config().numMaskmem();
        int sign = reverse ? -1 : 1;
        List<MemoryFrame> memories = new ArrayList<>();
        for (FrameOutput c : conditioning.values()) {
            memories.add(new MemoryFrame(0, c.memory()));
        }
        for (int tPos = 1; tPos < numMaskmem; tPos++) {
            FrameOutput o = tracked.get(z - sign * (numMaskmem - tPos));
            if (o != null) {
                memories.add(new MemoryFrame(tPos, o.memory()));
            }
        }
        List<Pointer> pointers = new ArrayList<>();
        for (Map.Entry<Integer, FrameOutput> c : conditioning.entrySet()) {
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
            FrameOutput o = tracked.get(t);
            if (o != null) {
                pointers.add(new Pointer(d, o.objectPointer()));
            }
        }
        BiConsumer<String, NDArray> named = probe == null ? null : (n, a) -> probe.accept("f" + z + "__" + n, a);
        return tracking.decode(features(z), prompt, width, height, memories, pointers, range - 1, encodeMemory, named);
    }

    private SliceResult result(int z, boolean wasTracked, FrameOutput o) {
        int low = model.config().lowResSize();
        float[] logits;
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            logits = Ops.resizeBilinear(Ops.constant(m, o.lowRes(), new Shape(1, 1, low, low)), height, width)
                    .toFloatArray();
        }
        last[z] = new SliceResult(z, wasTracked, o.lowRes().clone(), logits, o.predictedIou(), o.objectScore());
        return new SliceResult(z, wasTracked, o.lowRes().clone(), logits.clone(), o.predictedIou(), o.objectScore());
    }

    /** The encoder features of slice z, from the small cache or encoded now. */
    private NDList features(int z) {
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

    @Override
    public void close() {
        features.clear();
        manager.close();
    }
}
