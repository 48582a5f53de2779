package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Mlp;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.PromptEncoder;
import io.github.samfiji.model.TorchRuntime;
import io.github.samfiji.model.sam2.Sam2MemoryModules.MemoryAttention;
import io.github.samfiji.model.sam2.Sam2MemoryModules.MemoryEncoder;
import java.util.function.BiConsumer;

/**
 * A SAM 2.1 model with the state_dict names of the reference {@code SAM2Base}, so that the published
 * {@code sam2.1_hiera_*.pt} load with a strict key check. The image path (encoder, prompt encoder, mask decoder)
 * runs; the memory modules are loaded and kept for tracking. Owns the native memory of its weights until
 * {@link #close()}.
 */
public final class Sam2Model extends Module implements AutoCloseable {

    /** Logit of every low-resolution pixel of a frame where the object score says "absent" (the reference's). */
    public static final float NO_OBJECT_LOGIT = -1024f;
    /** Object pointers farther apart than this many frames are never used (the reference's max_obj_ptrs_in_encoder). */
    public static final int MAX_POINTER_FRAMES = 16;
    /** The memory encoder reads masks as logits of this steepness: m * 20 - 10. */
    private static final float MASK_SCALE = 20f;
    private static final float MASK_BIAS = -10f;
    private static final float SINE_TEMPERATURE = 10000f;

    private final Sam2Config config;
    private final NDManager manager;
    private final Param maskmemTposEnc;
    private final Param noMemEmbed;
    private final Param noObjPtr;
    private final Param noObjEmbedSpatial;
    private final Sam2ImageEncoder imageEncoder;
    private final MemoryAttention memoryAttention;
    private final MemoryEncoder memoryEncoder;
    private final PromptEncoder promptEncoder;
    private final Sam2MaskDecoder maskDecoder;
    private final Mlp objPtrProj;
    private final Linear objPtrTposProj;
    private final Conv2d maskDownsample;

    public Sam2Model(Sam2Config c) {
        this.config = c;
        int hidden = c.hiddenDim();
        maskmemTposEnc = param("maskmem_tpos_enc", c.numMaskmem(), 1, 1, c.memDim());
        noMemEmbed = param("no_mem_embed", 1, 1, hidden);
        param("no_mem_pos_enc", 1, 1, hidden);
        noObjPtr = param("no_obj_ptr", 1, hidden);
        noObjEmbedSpatial = param("no_obj_embed_spatial", 1, c.memDim());
        imageEncoder = child("image_encoder", new Sam2ImageEncoder(c));
        maskDownsample = child("mask_downsample", new Conv2d(1, 1, 4, 4, 0, 1, true));
        memoryAttention = child("memory_attention",
                new MemoryAttention(hidden, c.memDim(), c.memoryLayers(), c.memoryFeedforward()));
        memoryEncoder = child("memory_encoder", new MemoryEncoder(hidden, c.memDim()));
        // SAM 2's prompt encoder has SAM 1's structure and names; only how the predictor calls it differs.
        promptEncoder = child("sam_prompt_encoder", new PromptEncoder(c.decoder(), c.imageSize(), c.embeddingSize()));
        maskDecoder = child("sam_mask_decoder", new Sam2MaskDecoder(c.decoder()));
        objPtrProj = child("obj_ptr_proj", new Mlp(hidden, hidden, hidden, 3));
        objPtrTposProj = child("obj_ptr_tpos_proj", new Linear(hidden, c.memDim()));
        this.manager = TorchRuntime.newManager();
    }

    public Sam2Config config() {
        return config;
    }

    /**
     * A frame's memory (1, memDim, g, g), in the caller's manager: its low-res logits (1, 1, low, low) resized to the
     * input size, binarized (masks from prompts) or squashed by a sigmoid (tracked masks), scaled to logits of +-10 and
     * fused with the frame's stride-16 features by the memory encoder; the no-object embedding added where the object
     * is absent. Differentiable, so training and tracking share it.
     */
    public NDArray encodeMemory(NDArray level2, NDArray lowResLogits, boolean present, boolean binarize, NDManager m) {
        int size = config.imageSize();
        NDArray high = Ops.resizeBilinear(lowResLogits, size, size);
        NDArray mask = binarize ? high.gt(0f).toType(DataType.FLOAT32, false)
                : Activation.sigmoid(high);
        mask = Ops.mulScalar(mask, MASK_SCALE).add(m.full(new Shape(), MASK_BIAS));
        NDArray out = memoryEncoder.forward(level2, mask);
        if (!present) {
            out = out.add(noObjEmbedSpatial.value().reshape(1, config.memDim(), 1, 1));
        }
        return out;
    }

    /** What the memory encoder sees of a frame whose mask is all object or all background: +10 or -10 everywhere. */
    public static float maskInputLogit(boolean object) {
        return object ? MASK_SCALE + MASK_BIAS : MASK_BIAS;
    }

    /**
     * The sine encoding of an object pointer's distance: [sin(x / t_k), cos(x / t_k)], x = offset / range, in float32
     * as the reference computes it.
     */
    public static float[] temporalSine(int offset, int range, int hidden) {
        int half = hidden / 2;
        float x = (float) offset / (float) range;
        float[] out = new float[hidden];
        for (int k = 0; k < half; k++) {
            float dimT = (float) Math.pow(SINE_TEMPERATURE, (float) (2 * (k / 2)) / (float) half);
            float v = x / dimT;
            out[k] = (float) Math.sin(v);
            out[half + k] = (float) Math.cos(v);
        }
        return out;
    }

    public NDManager manager() {
        return manager;
    }

    public Sam2ImageEncoder imageEncoder() {
        return imageEncoder;
    }

    public PromptEncoder promptEncoder() {
        return promptEncoder;
    }

    public Sam2MaskDecoder maskDecoder() {
        return maskDecoder;
    }

    /**
     * The features the SAM heads use for one image, as the reference's {@code forward_image} followed by the image
     * predictor: the stride-4 and stride-8 pyramid levels projected by the decoder's {@code conv_s0/conv_s1}, and the
     * stride-16 level plus the learned "no memory" embedding (a single image has no memories).
     *
     * @param input (1, 3, S, S) preprocessed image
     * @param probe receives encoder intermediates and {@code backbone_fpn<i>} levels, or null; it must copy what it
     *              keeps
     * @return high_res_feats0 (1, C/8, S/4, S/4), high_res_feats1 (1, C/4, S/8, S/8), image_embed (1, C, S/16, S/16);
     *         the caller owns them
     */
    public NDList encodeImage(NDArray input, BiConsumer<String, NDArray> probe) {
        NDList levels = imageEncoder.forward(input, probe);
        try {
            if (probe != null) {
                for (int i = 0; i < levels.size(); i++) {
                    probe.accept("backbone_fpn" + i, levels.get(i));
                }
            }
            NDArray s0 = Ops.scoped(() -> maskDecoder.highResS0(levels.get(0)));
            NDArray s1 = Ops.scoped(() -> maskDecoder.highResS1(levels.get(1)));
            NDArray embed = Ops.scoped(() -> levels.get(2).add(noMemEmbed.value().reshape(1, -1, 1, 1)));
            return new NDList(s0, s1, embed);
        } finally {
            levels.close();
        }
    }

    /**
     * The features one frame of a stack contributes to tracking: the two projected high-resolution levels (as
     * {@link #encodeImage}) and the raw stride-16 level, which memory attention conditions and the memory encoder
     * reads; the no-memory embedding is added only for frames decoded without memory.
     *
     * @return high_res_feats0, high_res_feats1, vision_features (1, C, S/16, S/16); the caller owns them
     */
    public NDList encodeFrame(NDArray input) {
        NDList levels = imageEncoder.forward(input, null);
        try {
            NDArray s0 = Ops.scoped(() -> maskDecoder.highResS0(levels.get(0)));
            NDArray s1 = Ops.scoped(() -> maskDecoder.highResS1(levels.get(1)));
            NDArray level2 = Hiera.copy(levels.get(2));
            return new NDList(s0, s1, level2);
        } finally {
            levels.close();
        }
    }

    public MemoryAttention memoryAttention() {
        return memoryAttention;
    }

    public MemoryEncoder memoryEncoder() {
        return memoryEncoder;
    }

    /** (1, 1, S, S) to (1, 1, S/4, S/4): a mask prompt given as a mask (the video predictor's add_new_mask). */
    public Conv2d maskDownsample() {
        return maskDownsample;
    }

    public Mlp objPtrProj() {
        return objPtrProj;
    }

    public Linear objPtrTposProj() {
        return objPtrTposProj;
    }

    /** (numMaskmem, 1, 1, memDim): the learned encoding of a memory's temporal position. */
    public Param maskmemTposEnc() {
        return maskmemTposEnc;
    }

    /** (1, 1, C): added to the features of frames decoded without memory. */
    public Param noMemEmbed() {
        return noMemEmbed;
    }

    /** (1, C): the object pointer of a frame where the object is absent. */
    public Param noObjPtr() {
        return noObjPtr;
    }

    /** (1, memDim): added to the memory of a frame where the object is absent. */
    public Param noObjEmbedSpatial() {
        return noObjEmbedSpatial;
    }

    /** Sets one tensor by its state_dict name from raw float32 values. */
    public void setTensor(String name, Shape shape, float[] values) {
        Param p = namedParams().get(name);
        if (p == null) {
            throw new IllegalArgumentException("SAM 2 model has no tensor named " + name);
        }
        if (!p.shape().equals(shape)) {
            throw new IllegalArgumentException("tensor " + name + " expects shape " + p.shape() + " but got " + shape);
        }
        NDArray array = Ops.constant(manager, values, shape);
        p.set(p.dataType() == DataType.FLOAT32 ? array : array.toType(p.dataType(), false), manager);
    }

    /**
     * Random weights for training from scratch, seeded: LayerNorm weights 1 and biases 0; Linear and convolution
     * weights N(0, 1/fan_in); the embedding tables (point types, no-mask, output tokens) and the prompt encoder's
     * random Fourier projection N(0, 1), as nn.Embedding and SAM's positional encoding draw them; the learned
     * position, memory and "no object" embeddings N(0, 0.02²) (the reference's truncated normal); the memory
     * encoder's layer scales 1e-6, as the reference starts its ConvNeXt blocks.
     */
    public void initializeRandom(long seed) {
        java.util.Random random = new java.util.Random(seed);
        for (java.util.Map.Entry<String, Param> e : namedParams().entrySet()) {
            String name = e.getKey();
            Param p = e.getValue();
            long[] dims = p.shape().getShape();
            float[] v = new float[Math.toIntExact(p.shape().size())];
            if (name.endsWith(".gamma")) {
                java.util.Arrays.fill(v, 1e-6f);
            } else if (dims.length == 1 && (name.endsWith(".weight") || name.endsWith(".bias"))) {
                if (name.endsWith(".weight")) {
                    java.util.Arrays.fill(v, 1f);
                }
            } else {
                boolean unit = name.endsWith("positional_encoding_gaussian_matrix")
                        || name.matches("sam_prompt_encoder\\.(point_embeddings\\.\\d+|not_a_point_embed|no_mask_embed)"
                                + "\\.weight")
                        || name.matches("sam_mask_decoder\\.(iou_token|mask_tokens|obj_score_token)\\.weight");
                double std = unit ? 1.0 : name.endsWith(".weight") ? 1.0 / Math.sqrt(p.shape().size() / dims[0]) : 0.02;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * std);
                }
            }
            setTensor(name, p.shape(), v);
        }
    }

    /** True when every tensor has a value. */
    public boolean isComplete() {
        return namedParams().values().stream().allMatch(Param::hasValue);
    }

    @Override
    public void close() {
        manager.close();
    }
}
