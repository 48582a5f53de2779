package io.github.samfiji.training.pretrain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.ImageEncoderViT;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TinyViT;
import io.github.samfiji.model.TorchRuntime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * What masked-image pre-training adds to a SAM image encoder: the part that reconstructs the masked patches from the
 * encoder's output, and the loss on them. It lives only during pre-training (the saved model is a plain SAM).
 * The patches are those of the encoder's output grid (16 px); the loss is averaged over the masked patches only.
 */
public abstract class ReconstructionHead extends Module implements AutoCloseable {

    /** The name prefix of the head's tensors in a training state (never in a model file). */
    public static final String PREFIX = "reconstruction.";

    protected final SamModel model;
    protected final NDManager manager;
    protected final int patch;
    protected final int grid;

    protected ReconstructionHead(SamModel model, int patch) {
        this.model = model;
        this.patch = patch;
        this.grid = model.config().imageSize() / patch;
        this.manager = model.manager().newSubManager();
    }

    /** The head that fits the model's encoder: MAE for a ViT, SimMIM for a TinyViT. */
    public static ReconstructionHead of(SamModel model, PretrainOptions options) {
        ReconstructionHead head = model.imageEncoder() instanceof ImageEncoderViT vit
                ? new VitMae(model, vit, options.decoderDepth(), options.decoderWidth())
                : new TinyVitSimMim(model, (TinyViT) model.imageEncoder());
        head.initialize(options.seed());
        return head;
    }

    /** Patches per image. */
    public int patchCount() {
        return grid * grid;
    }

    /** What the scheme is, in words (for the model's JSON and the log). */
    public abstract String describe();

    /**
     * Names of the encoder tensors that the scheme trains: those the masked forward pass uses (not the neck, which
     * needs the whole grid; not TinyViT's classification head).
     */
    public abstract boolean trainsEncoderTensor(String name);

    /** Predicted patch values (B, N, P) for a batch of model inputs (B, 3, S, S) with the given masked patches. */
    public abstract NDArray predictions(NDArray inputs, boolean[][] masked);

    /** The patch values the predictions are compared with (B, N, P). */
    public abstract NDArray targets(NDArray inputs);

    /** Whether the error is absolute (SimMIM's L1) rather than squared (MAE's MSE). */
    protected abstract boolean absoluteError();

    /** Mean over masked patches of each patch's mean error over its values. */
    public NDArray loss(NDArray inputs, boolean[][] masked) {
        NDArray diff = predictions(inputs, masked).sub(targets(inputs));
        NDArray perPatch = (absoluteError() ? diff.abs() : diff.mul(diff)).mean(new int[] {2});
        float[] flags = new float[masked.length * patchCount()];
        for (int i = 0; i < masked.length; i++) {
            for (int p = 0; p < patchCount(); p++) {
                flags[i * patchCount() + p] = masked[i][p] ? 1f : 0f;
            }
        }
        NDArray weights = Ops.constant(inputs.getManager(), flags, new Shape(masked.length, patchCount()));
        return perPatch.mul(weights).sum().div(weights.sum());
    }

    /** The input cut into patches (B, N, patch·patch·3), patches row-major on the grid, values (y, x, channel). */
    public NDArray patchify(NDArray inputs) {
        long b = inputs.getShape().get(0);
        return inputs.reshape(b, 3, grid, patch, grid, patch).transpose(0, 2, 4, 3, 5, 1)
                .reshape(b, (long) grid * grid, (long) patch * patch * 3);
    }

    /**
     * Seeded initialization: linear weights Xavier-normal, biases 0, norms 1 and 0, mask tokens N(0, 0.02), as MAE
     * and SimMIM initialize their decoders.
     */
    void initialize(long seed) {
        Random random = new Random(seed * 7919 + 13);
        TorchRuntime.withoutGradients(() -> {
            for (Map.Entry<String, Param> e : namedParams().entrySet()) {
                String name = e.getKey();
                Param p = e.getValue();
                long[] dims = p.shape().getShape();
                float[] v = new float[Math.toIntExact(p.shape().size())];
                if (name.endsWith("mask_token")) {
                    fill(v, random, 0.02);
                } else if (dims.length == 2) {
                    fill(v, random, Math.sqrt(2.0 / (dims[0] + dims[1])));
                } else if (name.endsWith("weight")) {
                    java.util.Arrays.fill(v, 1f);
                }
                p.set(Ops.constant(manager, v, p.shape()), manager);
            }
            return null;
        });
    }

    private static void fill(float[] v, Random random, double std) {
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
    }

    /** The head's tensors under {@link #PREFIX}. */
    public Map<String, Param> prefixedParams() {
        Map<String, Param> out = new LinkedHashMap<>();
        namedParams().forEach((n, p) -> out.put(PREFIX + n, p));
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
