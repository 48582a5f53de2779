package io.github.samfiji.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.TorchRuntime;
import io.github.samfiji.model.sam2.MaskSelection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Training on stacks as videos, the way SAM 2 and MedSAM2 train: a clip of consecutive slices, a prompt (box, point
 * or mask) on its first slice, every later slice decoded from the memories of the slices before it (the prompted
 * slice and up to 6 tracked ones) and their object pointers, exactly as tracking composes them, with gradients
 * through the whole chain. Every slice adds a loss: where the object is present, Dice + cross-entropy of the mask
 * (the best of the three candidates where tracking asks for three, as SAM's multi-mask loss), the squared error of
 * the predicted IoUs, and cross-entropy of the object score against "present"; where it is absent, only the object
 * score's cross-entropy against "absent", which is how the object-score head learns to end a track.
 */
final class Sam2Clips {

    /** A mask prompt's logits: the label scaled to +-10, as the memory encoder reads masks. */
    static final float MASK_PROMPT_LOGIT = 10f;

    /** What the first slice of a clip is prompted with. */
    enum PromptKind {
        BOX, POINT, MASK;

        static List<PromptKind> parse(String list) {
            List<PromptKind> out = new ArrayList<>();
            for (String s : list.split(",")) {
                switch (s.trim().toLowerCase(Locale.ROOT)) {
                    case "box" -> out.add(BOX);
                    case "point" -> out.add(POINT);
                    case "mask" -> out.add(MASK);
                    default -> throw new IllegalArgumentException("unknown clip prompt '" + s.trim()
                            + "' (box, point or mask)");
                }
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("no clip prompt given (box, point and/or mask)");
            }
            return out;
        }
    }

    private Sam2Clips() {
    }

    /**
     * One decoded slice: the decoder's outputs, the mask tokens the loss compares ({@code candidates}), whether the
     * object score says "present", the chosen mask after the object-score gate (1, 1, low, low), the object pointer
     * and the memory.
     */
    record Decoded(NDList out, int[] candidates, boolean present, NDArray gated, NDArray pointer, NDArray memory) {
    }

    /**
     * One object's track through a stack: its prompted slice and the slices tracked so far, keyed by slice number,
     * from which each next slice takes its memories and pointers as the reference video predictor composes them
     * (a backward pass also sees the slices the forward pass tracked beyond the prompt).
     */
    static final class Track {
        private final Sam2Heads heads;
        private final int depth;
        private int conditioning = -1;
        private Decoded prompted;
        private final Map<Integer, Decoded> tracked = new HashMap<>();

        /** @param depth the number of slices of the stack (normalizes the pointer distances) */
        Track(Sam2Heads heads, int depth) {
            this.heads = heads;
            this.depth = depth;
        }

        /** Decodes the prompted slice {@code z} without memory. */
        Decoded prompt(int z, NDList features, NDList prompts, boolean multimask, NDManager m) {
            prompted = decode(heads, features, heads.withoutMemory(features.get(2)), prompts, multimask, true, m);
            conditioning = z;
            return prompted;
        }

        /** Decodes slice {@code z} from memory alone, going forward ({@code sign} 1) or backward (-1) through the stack. */
        Decoded track(int z, int sign, NDList features, NDManager m) {
            int numMaskmem = heads.model().config().numMaskmem();
            List<Sam2Heads.Memory> memories = new ArrayList<>();
            memories.add(new Sam2Heads.Memory(0, prompted.memory()));
            for (int tPos = 1; tPos < numMaskmem; tPos++) {
                Decoded o = tracked.get(z - sign * (numMaskmem - tPos));
                if (o != null) {
                    memories.add(new Sam2Heads.Memory(tPos, o.memory()));
                }
            }
            List<Sam2Heads.Pointer> pointers = new ArrayList<>();
            int offset = (z - conditioning) * sign;
            if (offset >= 0) {
                pointers.add(new Sam2Heads.Pointer(offset, prompted.pointer()));
            }
            int range = Math.min(depth, Sam2Heads.MAX_POINTER_FRAMES);
            for (int d = 1; d < range; d++) {
                int t = z - sign * d;
                if (t < 0 || t >= depth) {
                    break;
                }
                Decoded o = tracked.get(t);
                if (o != null) {
                    pointers.add(new Sam2Heads.Pointer(d, o.pointer()));
                }
            }
            NDArray pix = heads.conditionOnMemory(features.get(2), memories, pointers, range - 1, m);
            Decoded d = decode(heads, features, pix, heads.noPrompt(m), true, false, m);
            tracked.put(z, d);
            return d;
        }

        /** Keeps only what later slices read of slice {@code z} (pointer and memory), moved to {@code keep}. */
        void keepOnly(int z, NDManager keep) {
            Decoded d = z == conditioning ? prompted : tracked.get(z);
            // A pointer may be the model's own "no object" tensor: a copy is kept.
            NDArray pointer = d.pointer().duplicate();
            NDArray memory = d.memory();
            NDScope.unregister(pointer, memory);
            pointer.attach(keep);
            memory.attach(keep);
            Decoded slim = new Decoded(null, d.candidates(), d.present(), null, pointer, memory);
            if (z == conditioning) {
                prompted = slim;
            } else {
                tracked.put(z, slim);
            }
        }
    }

    /**
     * The decoder on {@code pix}, the mask chosen as tracking chooses it (the stability fallback in single-mask
     * mode, then the highest predicted IoU), the object pointer and the memory ({@code binarize} for prompted slices).
     */
    static Decoded decode(Sam2Heads heads, NDList features, NDArray pix, NDList prompts, boolean multimask,
                          boolean binarize, NDManager m) {
        NDList out = heads.decode(pix, features, prompts, m);
        int area = heads.low * heads.low;
        float[] masks = out.get(0).toFloatArray();
        float[] iou = out.get(1).toFloatArray();
        boolean present = out.get(2).toFloatArray()[0] > 0;
        int[] candidates = MaskSelection.choose(masks, iou, area, multimask);
        int chosen = candidates[0];
        for (int c : candidates) {
            chosen = iou[c] > iou[chosen] ? c : chosen;
        }
        NDArray logits = out.get(0).get(new NDIndex(":, {}:{}", chosen, chosen + 1));
        NDArray gated = present ? logits : m.full(logits.getShape(), Sam2Heads.NO_OBJECT_LOGIT);
        NDArray pointer = heads.pointer(out, multimask ? chosen : 0, present);
        NDArray memory = heads.memory(features.get(2), gated, present, binarize, m);
        int[] trained = multimask ? new int[] {1, 2, 3} : new int[] {0};
        return new Decoded(out, trained, present, gated, pointer, memory);
    }

    /**
     * The mean loss over the slices of one clip.
     *
     * @param inputs  preprocessed slices (3, S, S) in clip order; the first holds the object
     * @param targets their labels on the decoder's grid (low, low), 1 = object
     */
    static NDArray loss(Sam2Heads heads, List<float[]> inputs, List<float[]> targets, PromptKind kind, Random random,
                        NDManager m) {
        Track track = new Track(heads, inputs.size());
        NDArray total = null;
        for (int t = 0; t < inputs.size(); t++) {
            NDList features = heads.encode(inputs.get(t), m);
            Decoded d = t == 0
                    // A box counts as two points: one mask; a point or a mask alone asks for three candidates.
                    ? track.prompt(0, features, prompt(heads, targets.get(0), kind, random, m), kind != PromptKind.BOX, m)
                    : track.track(t, 1, features, m);
            NDArray term = sliceLoss(d, targets.get(t), m);
            total = total == null ? term : total.add(term);
        }
        return total.div(m.full(new Shape(), (float) inputs.size()));
    }

    /** The prompt of a clip's first slice, from its label: a noisy box, a deep point, or the mask itself. */
    static NDList prompt(Sam2Heads heads, float[] target, PromptKind kind, Random random, NDManager m) {
        int low = heads.low;
        float cell = heads.size / (float) low;
        boolean[] object = new boolean[target.length];
        for (int i = 0; i < object.length; i++) {
            object[i] = target[i] > 0.5f;
        }
        return switch (kind) {
            case BOX -> heads.prompts(List.of(), InteractiveObjective.noisyBox(object, low, cell, random), null, m);
            case POINT -> {
                int p = InteractiveObjective.deepPoint(object, low, random);
                yield heads.prompts(List.<float[]>of(new float[] {(p % low + 0.5f) * cell, (p / low + 0.5f) * cell, 1}),
                        null, null, m);
            }
            case MASK -> {
                float[] logits = new float[target.length];
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = object[i] ? MASK_PROMPT_LOGIT : -MASK_PROMPT_LOGIT;
                }
                yield heads.prompts(List.of(), null, Ops.constant(m, logits, new Shape(1, 1, low, low)), m);
            }
        };
    }

    /** One slice's loss (see the class comment). */
    static NDArray sliceLoss(Decoded d, float[] target, NDManager m) {
        boolean[] object = new boolean[target.length];
        boolean any = false;
        for (int i = 0; i < target.length; i++) {
            object[i] = target[i] > 0.5f;
            any |= object[i];
        }
        NDArray score = d.out().get(2);
        NDArray objectTerm = Losses.binaryCrossEntropy(score, any ? m.ones(score.getShape()) : m.zeros(score.getShape()));
        if (!any) {
            return objectTerm;
        }
        int low = (int) Math.round(Math.sqrt(target.length));
        NDArray targetNd = Ops.constant(m, target, new Shape(1, 1, low, low));
        NDArray best = null;
        float bestValue = Float.POSITIVE_INFINITY;
        NDArray iouTerm = null;
        for (int k : d.candidates()) {
            NDArray mask = d.out().get(0).get(new NDIndex(":, {}:{}", k, k + 1));
            NDArray term = Losses.diceCrossEntropy(mask, targetNd);
            float value = term.getFloat();
            if (value < bestValue) {
                bestValue = value;
                best = term;
            }
            NDArray e = InteractiveObjective.iouError(d.out().get(1).get(new NDIndex(":, {}", k)),
                    InteractiveObjective.positive(mask), object, m);
            iouTerm = iouTerm == null ? e : iouTerm.add(e);
        }
        iouTerm = iouTerm.div(m.full(new Shape(), (float) d.candidates().length));
        return best.add(iouTerm).add(objectTerm);
    }

    /**
     * Tracks an object through a whole volume from a box on slice {@code prompted}, forward to the last slice and
     * backward to the first, without gradients: the gated low-resolution logits of every slice.
     *
     * @param input the preprocessed slice z (3, S, S)
     * @param box   (x0, y0, x1, y1) in input pixels
     */
    static float[][] propagate(Sam2Heads heads, IntFunction<float[]> input, int depth, int prompted, float[] box) {
        float[][] out = new float[depth][];
        TorchRuntime.withoutGradients(() -> {
            try (NDManager keep = heads.model().manager().newSubManager()) {
                Track t = new Track(heads, depth);
                for (int sign : new int[] {1, -1}) {
                    for (int z = prompted; z >= 0 && z < depth; z += sign) {
                        if (sign < 0 && z == prompted) {
                            continue;
                        }
                        try (NDManager m = heads.model().manager().newSubManager(); NDScope scope = new NDScope()) {
                            NDList features = heads.encode(input.apply(z), m);
                            Decoded d = z == prompted ? t.prompt(z, features, heads.prompts(List.of(), box, null, m),
                                    false, m) : t.track(z, sign, features, m);
                            out[z] = d.gated().toFloatArray();
                            t.keepOnly(z, keep);
                        }
                    }
                }
            }
            return null;
        });
        return out;
    }
}
