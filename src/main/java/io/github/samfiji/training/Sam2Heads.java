package io.github.samfiji.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.PromptEncoder;
import io.github.samfiji.model.sam2.PositionEmbeddingSine;
import io.github.samfiji.model.sam2.Sam2MemoryModules;
import io.github.samfiji.model.sam2.Sam2Model;
import java.util.List;

/**
 * The SAM 2.1 computations training runs, as differentiable arrays (nothing leaves the graph): encoding a frame,
 * encoding prompts as the reference predictor does (box corners then clicks, closed by a padding point), the mask
 * decoder, the object pointer, the memory encoder and memory attention. The same arithmetic as the inference
 * classes, which keep Java arrays between steps; {@code Sam2TrainingForwardTest} checks that both agree.
 * Every array is created in the caller's manager or scope.
 */
final class Sam2Heads {

    static final float NO_OBJECT_LOGIT = Sam2Model.NO_OBJECT_LOGIT;
    static final int MAX_POINTER_FRAMES = Sam2Model.MAX_POINTER_FRAMES;

    private final Sam2Model model;
    final int size;
    final int low;
    final int grid;

    Sam2Heads(Sam2Model model) {
        this.model = model;
        this.size = model.config().imageSize();
        this.low = model.config().lowResSize();
        this.grid = model.config().embeddingSize();
    }

    Sam2Model model() {
        return model;
    }

    /** high_res_feats0, high_res_feats1 and the raw stride-16 features of a preprocessed (3, S, S) input. */
    NDList encode(float[] input, NDManager m) {
        return model.encodeFrame(Ops.constant(m, input, new Shape(1, 3, size, size)));
    }

    /** The stride-16 features of a frame decoded without memory (a single image, or a newly prompted frame). */
    NDArray withoutMemory(NDArray level2) {
        return level2.add(model.noMemEmbed().value().reshape(1, -1, 1, 1));
    }

    /**
     * Sparse and dense prompt embeddings. Points are (x, y, label) and the box (x0, y0, x1, y1), both in input
     * pixels; {@code mask} is a (1, 1, low, low) logit prompt. Nothing at all: no tokens (the prompt-free path).
     */
    NDList prompts(List<float[]> points, float[] box, NDArray mask, NDManager m) {
        PromptEncoder encoder = model.promptEncoder();
        NDList maskOnly = encoder.forward(null, null, null, mask, m);
        if (points.isEmpty() && box == null) {
            return maskOnly;
        }
        NDList tokens = new NDList();
        if (box != null) {
            tokens.add(encoder.forward(null, null, Ops.constant(m, box, new Shape(1, 4)), null, m).get(0));
        }
        int n = points.size();
        float[] xy = new float[2 * n];
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            xy[2 * i] = points.get(i)[0];
            xy[2 * i + 1] = points.get(i)[1];
            labels[i] = points.get(i)[2];
        }
        tokens.add(encoder.forward(Ops.constant(m, xy, new Shape(1, n, 2)), Ops.constant(m, labels, new Shape(1, n)),
                null, null, m).get(0));
        NDArray sparse = tokens.size() == 1 ? tokens.get(0) : NDArrays.concat(tokens, 1);
        return new NDList(sparse, maskOnly.get(1));
    }

    /** The prompt of a frame tracked from memory alone: one "not a point" token (then the padding token). */
    NDList noPrompt(NDManager m) {
        return model.promptEncoder().forward(m.zeros(new Shape(1, 1, 2)), m.full(new Shape(1, 1), -1f), null, null, m);
    }

    /**
     * The mask decoder on features {@code pix} (with or without memory) and the frame's high-resolution levels.
     *
     * @return masks of every token (1, 4, low, low), IoU predictions (1, 4), object score (1, 1), mask tokens (1, 4, C)
     */
    NDList decode(NDArray pix, NDList features, NDList prompts, NDManager m) {
        NDArray pe = model.promptEncoder().densePositionalEncoding(m);
        return model.maskDecoder().forward(pix, pe, prompts.get(0), prompts.get(1), features.get(0), features.get(1),
                null);
    }

    /** The object pointer (1, C) of a decoded frame from mask token {@code token}, or the learned "no object" one. */
    NDArray pointer(NDList decoded, int token, boolean present) {
        if (!present) {
            return model.noObjPtr().value();
        }
        return model.objPtrProj().forward(decoded.get(3).get(new NDIndex(":, {}, :", token)));
    }

    /**
     * A frame's memory (1, memDim, g, g): its low-res logits (already set to {@link #NO_OBJECT_LOGIT} where absent)
     * resized to the input, binarized (prompted frames) or squashed by a sigmoid (tracked frames), scaled to +-10,
     * fused with the raw stride-16 features; the no-object embedding added where the object is absent.
     */
    NDArray memory(NDArray level2, NDArray lowRes, boolean present, boolean binarize, NDManager m) {
        return model.encodeMemory(level2, lowRes, present, binarize, m);
    }

    /** A stored memory and its temporal position (0 = conditioning frame, 1..6 = oldest to newest). */
    record Memory(int temporalPosition, NDArray features) {
    }

    /** An object pointer and its distance in frames from the frame being decoded. */
    record Pointer(int offset, NDArray pointer) {
    }

    /**
     * Memory attention: the frame's stride-16 features attend to the memories (each with its sine position and the
     * learned encoding of its temporal position) and the pointers (with the projected sine of their distance over
     * {@code pointerRange}). Returns the conditioned features (1, C, g, g).
     */
    NDArray conditionOnMemory(NDArray level2, List<Memory> memories, List<Pointer> pointers, int pointerRange,
                              NDManager m) {
        int hidden = model.config().hiddenDim();
        int memDim = model.config().memDim();
        int numMaskmem = model.config().numMaskmem();
        int perPointer = hidden / memDim;
        NDArray spatialPos = Sam2MemoryModules.tokens(PositionEmbeddingSine.encode(m, memDim, grid, grid));
        NDArray tpos = model.maskmemTposEnc().value();
        NDList tokens = new NDList();
        NDList positions = new NDList();
        for (Memory f : memories) {
            tokens.add(Sam2MemoryModules.tokens(f.features()));
            NDArray row = tpos.get(new NDIndex("{}", numMaskmem - f.temporalPosition() - 1)).reshape(1, 1, memDim);
            positions.add(spatialPos.add(row));
        }
        if (!pointers.isEmpty()) {
            float[] sine = new float[pointers.size() * hidden];
            for (int p = 0; p < pointers.size(); p++) {
                System.arraycopy(temporalSine(pointers.get(p).offset(), pointerRange, hidden), 0, sine, p * hidden,
                        hidden);
            }
            NDArray projected = model.objPtrTposProj().forward(Ops.constant(m, sine, new Shape(pointers.size(), hidden)));
            for (int p = 0; p < pointers.size(); p++) {
                // A pointer of C channels becomes C / memDim tokens, all with the pointer's temporal encoding.
                tokens.add(pointers.get(p).pointer().reshape(1, perPointer, memDim));
                NDArray pos = projected.get(new NDIndex("{}:{}", p, p + 1)).reshape(1, 1, memDim);
                NDList copies = new NDList();
                for (int j = 0; j < perPointer; j++) {
                    copies.add(pos);
                }
                positions.add(NDArrays.concat(copies, 1));
            }
        }
        NDArray memory = NDArrays.concat(tokens, 1);
        NDArray memoryPos = NDArrays.concat(positions, 1);
        NDArray current = Sam2MemoryModules.tokens(level2);
        NDArray currentPos = Sam2MemoryModules.tokens(PositionEmbeddingSine.encode(m, hidden, grid, grid));
        NDArray out = model.memoryAttention().forward(current, currentPos, memory, memoryPos,
                pointers.size() * perPointer);
        return out.transpose(0, 2, 1).reshape(1, hidden, grid, grid);
    }

    /** The sine encoding of a pointer's distance (see {@link Sam2Model#temporalSine}). */
    static float[] temporalSine(int offset, int range, int hidden) {
        return Sam2Model.temporalSine(offset, range, hidden);
    }
}
