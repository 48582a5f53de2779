package io.github.samfiji.inference.sam2;

import io.github.samfiji.inference.MaskGeometry;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.StackEmbeddings;
import io.github.samfiji.inference.StackPropagation;
import io.github.samfiji.inference.StackPropagator;
import io.github.samfiji.inference.VolumePropagator;
import io.github.samfiji.io.Progress;
import io.github.samfiji.model.sam2.Sam2Model;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * SAM 2.1's propagation behind {@link StackPropagator}: all objects are tracked with memory in one run of
 * {@link Sam2VolumePropagator#trackOnStore} (prompts and drawn masks object by object in increasing z, a forward and a
 * reverse pass) on the slices' embeddings from the embedding store, so a correction is a new prompt and a re-run from the prompts, as on the command line. An object's
 * result lists the slices where its mask is not empty; {@link #lastTracked()} keeps the logits and object scores.
 */
public final class Sam2StackPropagation implements StackPropagator {

    private final Sam2Model model;
    private final StackEmbeddings store;
    private final int depth;
    private final int width;
    private final int height;
    private Sam2VolumePropagator.Tracked last;

    /**
     * @param store the stack's embedding store of this SAM 2.1 model (the session's: a slice prompted before is not
     *              encoded again, and slices encoded here serve later prompts)
     */
    public Sam2StackPropagation(Sam2Model model, StackEmbeddings store, int width, int height) {
        if (!"sam2.1".equals(store.predictor().family())) {
            throw new IllegalArgumentException("the embedding store holds " + store.predictor().family()
                    + " embeddings, not SAM 2.1 ones");
        }
        this.model = model;
        this.store = store;
        this.depth = store.depth();
        this.width = width;
        this.height = height;
    }

    @Override
    public String method() {
        return "memory tracking (SAM 2.1 video predictor semantics along z)";
    }

    @Override
    public List<StackPropagation.ObjectResult> run(List<StackPropagation.ObjectPrompts> objects, Progress progress) {
        if (objects.isEmpty()) {
            throw new IllegalArgumentException("no object to propagate: give at least one prompt");
        }
        Map<Integer, Map<Integer, Prompt>> prompts = new LinkedHashMap<>();
        Map<Integer, Map<Integer, boolean[]>> masks = new LinkedHashMap<>();
        for (StackPropagation.ObjectPrompts o : objects) {
            if (prompts.containsKey(o.object())) {
                throw new IllegalArgumentException("object " + o.object() + " is given twice");
            }
            Map<Integer, Prompt> p = new TreeMap<>();
            Map<Integer, boolean[]> m = new TreeMap<>();
            for (VolumePropagator.SlicePrompt s : o.prompts()) {
                if (s.slice() < 0 || s.slice() >= depth) {
                    throw new IllegalArgumentException("object " + o.object() + ": a prompt lies on slice "
                            + (s.slice() + 1) + ", which does not exist: the stack has " + depth + " slices");
                }
                if (p.containsKey(s.slice()) || m.containsKey(s.slice())) {
                    throw new IllegalArgumentException("object " + o.object() + ": two prompts on slice "
                            + (s.slice() + 1) + ": combine them into one");
                }
                if (s.mask() != null) {
                    m.put(s.slice(), s.mask());
                } else {
                    p.put(s.slice(), s.prompt());
                }
            }
            prompts.put(o.object(), p);
            masks.put(o.object(), m);
        }
        // Encoding a slice only checks for cancellation: the tracker reports progress slice by slice.
        Progress quiet = new Progress() {
            @Override
            public void update(double fraction, String message) {
            }

            @Override
            public boolean isCancelled() {
                return progress.isCancelled();
            }
        };
        last = Sam2VolumePropagator.trackOnStore(model, z -> (Sam2ImageEmbedding) store.embedding(z, quiet), depth,
                width, height, prompts, masks, progress);
        List<StackPropagation.ObjectResult> out = new ArrayList<>();
        for (StackPropagation.ObjectPrompts o : objects) {
            out.add(new StackPropagation.ObjectResult(o.object(), result(last.objects().get(o.object()))));
        }
        return List.copyOf(out);
    }

    /** The per-slice results of the last {@link #run}, or null before it. */
    public Sam2VolumePropagator.Tracked lastTracked() {
        return last;
    }

    /**
     * An object's slices as the projection method reports them: the non-empty masks, and where the object is absent
     * nearest below and above them (tracking itself runs through the whole stack).
     */
    private VolumePropagator.Result result(Sam2VolumePropagator.SliceResult[] slices) {
        SortedMap<Integer, VolumePropagator.SliceMask> found = new TreeMap<>();
        for (int z = 0; z < slices.length; z++) {
            boolean[] mask = mask(slices[z].logits());
            if (MaskGeometry.area(mask) > 0) {
                found.put(z, new VolumePropagator.SliceMask(mask, slices[z].predictedIou(), slices[z].lowRes()));
            }
        }
        if (found.isEmpty()) {
            return new VolumePropagator.Result(found, "object absent on every slice", "object absent on every slice");
        }
        String below = found.firstKey() == 0 ? "end of stack" : "object absent at slice " + found.firstKey();
        String above = found.lastKey() == slices.length - 1 ? "end of stack"
                : "object absent at slice " + (found.lastKey() + 2);
        return new VolumePropagator.Result(found, below, above);
    }

    /** Logits above 0: the object, as everywhere. */
    static boolean[] mask(float[] logits) {
        boolean[] m = new boolean[logits.length];
        for (int k = 0; k < logits.length; k++) {
            m[k] = logits[k] > 0;
        }
        return m;
    }
}
