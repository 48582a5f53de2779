package io.github.samfiji.inference.sam2;

import io.github.samfiji.model.sam2.MaskSelection;
import io.github.samfiji.model.sam2.PositionEmbeddingSine;
import io.github.samfiji.model.sam2.Sam2Config;
import io.github.samfiji.model.sam2.Sam2MemoryModules;
import io.github.samfiji.model.sam2.Sam2Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.model.Ops;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The per-frame computations of SAM 2's tracker (the reference's {@code track_step} and what it calls): decode a
 * frame from its prompts or from memory alone, turn the result into an object pointer and a memory, and condition a
 * frame's features on the memories of others. Stateless: which memories a frame sees is the
 * {@link Sam2VolumePropagator}'s business. Every tensor lives in a scope of one call; results are Java arrays.
 */
final class Sam2Tracking {

    static final float NO_OBJECT_LOGIT = Sam2Model.NO_OBJECT_LOGIT;
    static final int MAX_POINTER_FRAMES = Sam2Model.MAX_POINTER_FRAMES;

    /**
     * One decoded frame: gated low-res logits, the chosen mask's predicted IoU, object score, pointer, and (once
     * encoded) its bfloat16 memory.
     */
    record FrameOutput(float[] lowRes, float predictedIou, float objectScore, float[] objectPointer, float[] memory) {
        FrameOutput withMemory(float[] m) {
            return new FrameOutput(lowRes, predictedIou, objectScore, objectPointer, m);
        }

        boolean objectPresent() {
            return objectScore > 0;
        }
    }

    /** A stored memory frame and its temporal position (0 = conditioning frame, 1..6 = oldest to newest). */
    record MemoryFrame(int temporalPosition, float[] memory) {
    }

    /** An object pointer and its signed distance in frames from the frame being decoded. */
    record Pointer(int offset, float[] pointer) {
    }

    private final Sam2Model model;
    private final Sam2ImagePredictor prompts;
    private final int grid;
    private final int hidden;
    private final int memDim;
    private final float[] memoryPositions;
    private final float[] framePositions;

    Sam2Tracking(Sam2Model model) {
        this.model = model;
        this.prompts = new Sam2ImagePredictor(model);
        Sam2Config c = model.config();
        grid = c.embeddingSize();
        hidden = c.hiddenDim();
        memDim = c.memDim();
        memoryPositions = transposeToTokens(PositionEmbeddingSine.encode(memDim, grid, grid), memDim);
        framePositions = PositionEmbeddingSine.encode(hidden, grid, grid);
    }

    /**
     * Decodes one frame.
     *
     * @param features    the frame's {@link Sam2Model#encodeFrame} output
     * @param prompt      clicks and/or box in original pixels (and a mask prompt), or null for a frame tracked from
     *                    memory alone
     * @param memories    the memory frames to attend to, or null for a frame decoded without memory (a new prompt)
     * @param pointers    the object pointers to attend to (with memories)
     * @param pointerRange the farthest pointer distance (min(depth, 16) - 1), which normalizes pointer offsets
     * @param encodeMemory whether to encode the result into a memory right away (tracked frames)
     * @param probe       receives "memory", "memory_pos", "pix_feat_with_mem", or null
     */
    FrameOutput decode(NDList features, Prompt prompt, int width, int height, List<MemoryFrame> memories,
                       List<Pointer> pointers, int pointerRange, boolean encodeMemory,
                       BiConsumer<String, NDArray> probe) {
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray level2 = features.get(2);
            NDArray pix = memories == null
                    ? level2.add(model.noMemEmbed().value().reshape(1, -1, 1, 1))
                    : conditionOnMemory(level2, memories, pointers, pointerRange, m, probe);
            return decodeFeatures(features, pix, prompt, width, height, encodeMemory, m);
        }
    }

    /**
     * The SAM heads of tracking on given (memory-conditioned or no-memory) features {@code pix}: the mask with the
     * object-score gate, the object pointer, and optionally the memory. Arrays are created in the caller's scope.
     */
    FrameOutput decodeFeatures(NDList features, NDArray pix, Prompt prompt, int width, int height,
                               boolean encodeMemory, NDManager m) {
        int low = model.config().lowResSize();
        int area = low * low;
        NDList sparseDense;
        int pointCount;
        if (prompt == null) {
            // The reference decodes a tracked frame from one "not a point" token, then appends its padding token.
            sparseDense = model.promptEncoder().forward(m.zeros(new Shape(1, 1, 2)), m.full(new Shape(1, 1), -1f),
                    null, null, m);
            pointCount = 0;
        } else {
            sparseDense = prompts.encodePrompt(prompt, width, height, m);
            pointCount = prompt.points().size() + (prompt.box() != null ? 2 : 0);
        }
        NDArray pe = model.promptEncoder().densePositionalEncoding(m);
        NDList out = model.maskDecoder().forward(pix, pe, sparseDense.get(0), sparseDense.get(1), features.get(0),
                features.get(1), null);
        float[] masks = out.get(0).toFloatArray();
        float[] iou = out.get(1).toFloatArray();
        float score = out.get(2).toFloatArray()[0];
        // Tracking asks for three candidates whenever there is at most one click (a box counts as two).
        boolean multimask = pointCount <= 1;
        int[] tokens = MaskSelection.choose(masks, iou, area, multimask);
        int chosen = tokens[0];
        for (int t : tokens) {
            chosen = iou[t] > iou[chosen] ? t : chosen;
        }
        // The pointer comes from the chosen multimask token, or from token 0 in single-mask mode even when the
        // stability fallback picked another mask.
        int pointerToken = multimask ? chosen : 0;
        float[] lowRes = java.util.Arrays.copyOfRange(masks, chosen * area, (chosen + 1) * area);
        float[] pointer;
        if (score > 0) {
            NDArray token = out.get(3).get(new NDIndex(":, {}, :", pointerToken));
            pointer = model.objPtrProj().forward(token).toFloatArray();
        } else {
            java.util.Arrays.fill(lowRes, NO_OBJECT_LOGIT);
            pointer = model.noObjPtr().value().toFloatArray();
        }
        float[] memory = encodeMemory ? encodeMemory(features.get(2), lowRes, score, false, true, m) : null;
        return new FrameOutput(lowRes, iou[chosen], score, pointer, memory);
    }

    /**
     * A frame prompted with a mask (the reference's {@code add_new_mask} with {@code use_mask_input_as_output_without_sam}):
     * the mask itself is the output, without memory. It is resized to the input size (antialiased bilinear, then
     * {@code >= 0.5}), scaled to logits of +-10 and shrunk to the low resolution (antialiased); the object score is
     * +10 where the mask has a pixel, else -10; the pointer comes from the SAM heads run on the frame's own features
     * with the mask (through {@code mask_downsample}) as mask prompt, the best of three candidates.
     */
    FrameOutput maskAsOutput(NDList features, boolean[] mask, int width, int height) {
        int size = model.config().imageSize();
        int low = model.config().lowResSize();
        if (mask.length != width * height) {
            throw new IllegalArgumentException("the mask has " + mask.length + " pixels, not " + width + " x " + height);
        }
        float[] plane = new float[mask.length];
        for (int i = 0; i < mask.length; i++) {
            plane[i] = mask[i] ? 1f : 0f;
        }
        float[] input = width == size && height == size ? plane
                : io.github.samfiji.model.sam2.Interpolation.resizeAntialiased(plane, 1, height, width, size, size);
        boolean any = false;
        float[] high = new float[input.length];
        for (int i = 0; i < input.length; i++) {
            input[i] = input[i] >= 0.5f ? 1f : 0f;
            any |= input[i] > 0;
            high[i] = Sam2Model.maskInputLogit(input[i] > 0);
        }
        float[] lowRes = io.github.samfiji.model.sam2.Interpolation.resizeAntialiased(high, 1, size, size, low, low);
        float[] pointer;
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray maskPrompt = model.maskDownsample().forward(Ops.constant(m, input, new Shape(1, 1, size, size)));
            NDList sparseDense = model.promptEncoder().forward(m.zeros(new Shape(1, 1, 2)), m.full(new Shape(1, 1), -1f),
                    null, maskPrompt, m);
            NDArray pe = model.promptEncoder().densePositionalEncoding(m);
            NDList out = model.maskDecoder().forward(features.get(2), pe, sparseDense.get(0), sparseDense.get(1),
                    features.get(0), features.get(1), null);
            float[] masks = out.get(0).toFloatArray();
            float[] iou = out.get(1).toFloatArray();
            float score = out.get(2).toFloatArray()[0];
            int[] tokens = MaskSelection.choose(masks, iou, low * low, true);
            int chosen = tokens[0];
            for (int t : tokens) {
                chosen = iou[t] > iou[chosen] ? t : chosen;
            }
            if (any && score > 0) {
                pointer = model.objPtrProj().forward(out.get(3).get(new NDIndex(":, {}, :", chosen))).toFloatArray();
            } else {
                pointer = model.noObjPtr().value().toFloatArray();
            }
        }
        return new FrameOutput(lowRes, 1f, Sam2Model.maskInputLogit(any), pointer, null);
    }

    /** The memory of a decoded frame whose memory was not encoded yet (prompted frames: binarized masks). */
    float[] encodeMemory(NDList features, FrameOutput out, boolean binarize) {
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            return encodeMemory(features.get(2), out.lowRes(), out.objectScore(), binarize, true, m);
        }
    }

    /**
     * The memory encoder on a frame's low-res logits: resized to the input size, binarized (masks from clicks) or
     * squashed by a sigmoid (tracked masks), scaled to logits of +-10, fused with the frame's features; the
     * no-object embedding added where the object is absent; rounded to bfloat16, in which the reference stores
     * memories.
     */
    float[] encodeMemory(NDArray level2, float[] lowRes, float score, boolean binarize, boolean round, NDManager m) {
        int low = model.config().lowResSize();
        NDArray features = model.encodeMemory(level2, Ops.constant(m, lowRes, new Shape(1, 1, low, low)), score > 0,
                binarize, m);
        float[] values = features.toFloatArray();
        for (int i = 0; round && i < values.length; i++) {
            values[i] = toBfloat16(values[i]);
        }
        return values;
    }

    /**
     * Memory attention for one frame: its tokens attend to the memory frames (each with its spatial position and a
     * learned encoding of its temporal position) and to the object pointers (with a projected sine encoding of their
     * distance, normalized by {@code pointerRange}).
     */
    private NDArray conditionOnMemory(NDArray level2, List<MemoryFrame> memories, List<Pointer> pointers,
                                      int pointerRange, NDManager m, BiConsumer<String, NDArray> probe) {
        int hw = grid * grid;
        int perPointer = hidden / memDim;
        int tokens = memories.size() * hw + pointers.size() * perPointer;
        float[] memory = new float[tokens * memDim];
        float[] pos = new float[tokens * memDim];
        float[] tposTable = model.maskmemTposEnc().value().toFloatArray();
        int numMaskmem = model.config().numMaskmem();
        int at = 0;
        for (MemoryFrame f : memories) {
            float[] t = transposeToTokens(f.memory(), memDim);
            System.arraycopy(t, 0, memory, at * memDim, t.length);
            int tposRow = (numMaskmem - f.temporalPosition() - 1) * memDim;
            for (int i = 0; i < hw; i++) {
                for (int c = 0; c < memDim; c++) {
                    pos[(at + i) * memDim + c] = memoryPositions[i * memDim + c] + tposTable[tposRow + c];
                }
            }
            at += hw;
        }
        if (!pointers.isEmpty()) {
            float[] sine = new float[pointers.size() * hidden];
            for (int p = 0; p < pointers.size(); p++) {
                System.arraycopy(temporalSine(pointers.get(p).offset(), pointerRange), 0, sine, p * hidden, hidden);
            }
            float[] projected = model.objPtrTposProj().forward(Ops.constant(m, sine, new Shape(pointers.size(), hidden)))
                    .toFloatArray();
            for (int p = 0; p < pointers.size(); p++) {
                float[] ptr = pointers.get(p).pointer();
                for (int j = 0; j < perPointer; j++) {
                    System.arraycopy(ptr, j * memDim, memory, at * memDim, memDim);
                    System.arraycopy(projected, p * memDim, pos, at * memDim, memDim);
                    at++;
                }
            }
        }
        Shape memShape = new Shape(1, tokens, memDim);
        NDArray memoryTokens = Ops.constant(m, memory, memShape);
        NDArray memoryPos = Ops.constant(m, pos, memShape);
        if (probe != null) {
            probe.accept("memory", memoryTokens);
            probe.accept("memory_pos", memoryPos);
        }
        NDArray current = Sam2MemoryModules.tokens(level2);
        NDArray currentPos = Sam2MemoryModules.tokens(Ops.constant(m, framePositions, new Shape(1, hidden, grid, grid)));
        NDArray out = model.memoryAttention().forward(current, currentPos, memoryTokens, memoryPos,
                pointers.size() * perPointer);
        NDArray pix = out.transpose(0, 2, 1).reshape(1, hidden, grid, grid);
        if (probe != null) {
            probe.accept("pix_feat_with_mem", pix);
        }
        return pix;
    }

    /** The sine encoding of a pointer's distance (see {@link Sam2Model#temporalSine}). */
    float[] temporalSine(int offset, int range) {
        return Sam2Model.temporalSine(offset, range, hidden);
    }

    /** (channels, HW) planes to (HW, channels) tokens. */
    static float[] transposeToTokens(float[] planes, int channels) {
        int hw = planes.length / channels;
        float[] out = new float[planes.length];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < hw; i++) {
                out[i * channels + c] = planes[c * hw + i];
            }
        }
        return out;
    }

    /** Rounds to the nearest bfloat16 (ties to even), as PyTorch's float32 to bfloat16 conversion. */
    static float toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7f800000) == 0x7f800000) {
            return f;
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xffff0000);
    }
}
