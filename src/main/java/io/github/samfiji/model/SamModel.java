package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import io.github.samfiji.model.SamConfig.VitConfig;
import java.util.Map;
import java.util.Random;

/**
 * A SAM-family model: image encoder, prompt encoder and mask decoder, with state_dict names identical to the
 * reference implementation. Owns the native memory of its weights until {@link #close()}.
 */
public final class SamModel extends Module implements AutoCloseable {

    private final SamConfig config;
    private final NDManager manager;
    private final ImageEncoder imageEncoder;
    private final PromptEncoder promptEncoder;
    private final MaskDecoder maskDecoder;

    public SamModel(SamConfig config) {
        this.config = config;
        this.manager = TorchRuntime.newManager();
        Module encoder = config.encoder() instanceof VitConfig v ? new ImageEncoderViT(v)
                : new TinyViT((TinyVitConfig) config.encoder());
        imageEncoder = (ImageEncoder) child("image_encoder", encoder);
        promptEncoder = child("prompt_encoder",
                new PromptEncoder(config.decoder(), config.imageSize(), config.embeddingSize()));
        maskDecoder = child("mask_decoder", new MaskDecoder(config.decoder()));
        if (config.encoder().outChans() != config.decoder().promptEmbedDim()) {
            throw new IllegalArgumentException("image encoder output channels (" + config.encoder().outChans()
                    + ") differ from the prompt embedding width (" + config.decoder().promptEmbedDim() + ")");
        }
    }

    public SamConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public ImageEncoder imageEncoder() {
        return imageEncoder;
    }

    public PromptEncoder promptEncoder() {
        return promptEncoder;
    }

    public MaskDecoder maskDecoder() {
        return maskDecoder;
    }

    /** Sets one tensor by its state_dict name from raw values (float32, or int64 for counters). */
    public void setTensor(String name, Shape shape, float[] values) {
        Param p = requireParam(name, shape);
        NDArray array = Ops.constant(manager, values, shape);
        p.set(p.dataType() == DataType.FLOAT32 ? array : array.toType(p.dataType(), false), manager);
    }

    private Param requireParam(String name, Shape shape) {
        Param p = namedParams().get(name);
        if (p == null) {
            throw new IllegalArgumentException("model has no tensor named " + name);
        }
        if (!p.shape().equals(shape)) {
            throw new IllegalArgumentException("tensor " + name + " expects shape " + p.shape() + " but got " + shape);
        }
        return p;
    }

    /**
     * Fills every tensor with random values of a sensible scale (weights N(0, 1/fan_in), norms 1/0, BatchNorm
     * statistics 0/1). For benchmarks and tests of shapes; real use loads a checkpoint.
     */
    public void initializeRandom(long seed) {
        Random random = new Random(seed);
        for (Map.Entry<String, Param> e : namedParams().entrySet()) {
            String name = e.getKey();
            Param p = e.getValue();
            long[] dims = p.shape().getShape();
            int n = Math.toIntExact(p.shape().size());
            float[] v = new float[n];
            boolean isNormOrBias = dims.length == 1 && (name.endsWith(".weight") || name.endsWith(".bias"));
            if (name.endsWith("running_var")) {
                java.util.Arrays.fill(v, 1f);
            } else if (name.endsWith("num_batches_tracked") || name.endsWith("running_mean")) {
                // zeros
            } else if (isNormOrBias) {
                if (name.endsWith(".weight")) {
                    java.util.Arrays.fill(v, 1f);
                }
            } else {
                long fanIn = dims.length >= 2 ? p.shape().size() / dims[0] : dims[dims.length - 1];
                double std = isUnitGaussian(name) ? 1.0 : name.endsWith(".weight") ? 1.0 / Math.sqrt(fanIn) : 0.02;
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (random.nextGaussian() * std);
                }
            }
            setTensor(name, p.shape(), v);
        }
    }

    /**
     * Tensors that SAM draws from N(0, 1): the embedding tables (point types, no-mask, output tokens), as
     * nn.Embedding does, and the random Fourier projection of the positional encoding (scale 1). With a smaller
     * projection every position encodes to nearly the same vector and a model trained from these weights cannot
     * tell where its prompts are.
     */
    private static boolean isUnitGaussian(String name) {
        return name.endsWith("positional_encoding_gaussian_matrix")
                || name.matches("prompt_encoder\\.(point_embeddings\\.\\d+|not_a_point_embed|no_mask_embed)\\.weight")
                || name.matches("mask_decoder\\.(iou_token|mask_tokens)\\.weight");
    }

    /** True when every tensor has a value (loaded or initialized). */
    public boolean isComplete() {
        return namedParams().values().stream().allMatch(Param::hasValue);
    }

    @Override
    public void close() {
        manager.close();
    }
}
