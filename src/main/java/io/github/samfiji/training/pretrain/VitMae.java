package io.github.samfiji.training.pretrain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.ImageEncoderViT;
import io.github.samfiji.model.Layers.LayerNorm;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamModel;

/**
 * Masked autoencoder (He et al. 2022) on SAM's ViT: the encoder sees only the visible patches, each with its
 * absolute position embedding ({@link ImageEncoderViT#forwardVisible}, which explains how windowed blocks attend
 * within their windows on a sparse set); a light decoder (LayerNorm, projection to its width, a learned mask token in
 * every masked place, fixed 2-D sine-cosine positions, a few pre-norm transformer blocks) predicts each patch's
 * pixels normalized by the patch's own mean and standard deviation; the loss is their mean squared error on the
 * masked patches only.
 */
final class VitMae extends ReconstructionHead {

    private final ImageEncoderViT encoder;
    private final LayerNorm encoderNorm;
    private final Linear embed;
    private final Param maskToken;
    private final DecoderBlock[] blocks;
    private final LayerNorm decoderNorm;
    private final Linear pred;
    private final int width;
    private final int depth;

    VitMae(SamModel model, ImageEncoderViT encoder, int depth, int width) {
        super(model, encoder.config().patchSize());
        this.encoder = encoder;
        this.width = width;
        this.depth = depth;
        long dim = encoder.config().embedDim();
        encoderNorm = child("encoder_norm", new LayerNorm(dim, 1e-6));
        embed = child("embed", new Linear(dim, width));
        maskToken = param("mask_token", width);
        Sequence list = child("blocks", new Sequence());
        blocks = new DecoderBlock[depth];
        int heads = Math.max(1, width / 32);
        for (int i = 0; i < depth; i++) {
            blocks[i] = list.add(new DecoderBlock(width, heads));
        }
        decoderNorm = child("norm", new LayerNorm(width, 1e-6));
        pred = child("pred", new Linear(width, (long) patch * patch * 3));
    }

    @Override
    public String describe() {
        return String.format("MAE: the ViT encoder on the visible %d-px patches only (windowed blocks attend within "
                + "their windows, relative-position bias from true coordinates), a %d-block decoder of width %d with a "
                + "learned mask token and fixed sine-cosine positions, MSE on per-patch normalized pixels of the masked "
                + "patches", patch, depth, width);
    }

    @Override
    public boolean trainsEncoderTensor(String name) {
        return !name.startsWith("neck.");
    }

    @Override
    public NDArray predictions(NDArray inputs, boolean[][] masked) {
        int b = masked.length;
        int n = patchCount();
        long[][] visible = new long[b][];
        for (int i = 0; i < b; i++) {
            visible[i] = PatchMasking.visible(masked[i]);
        }
        int v = visible[0].length;
        NDManager m = inputs.getManager();
        NDArray tokens = encoder.forwardVisible(inputs, visible);
        NDArray x = embed.forward(encoderNorm.forward(tokens));
        if (v < n) {
            // Visible tokens first, mask tokens after; then every place takes its row back ("unshuffle").
            NDArray tokensOfMask = m.zeros(new Shape(b, n - v, width)).add(maskToken.value());
            NDArray joined = NDArrays.concat(new NDList(x, tokensOfMask), 1);
            long[] rows = new long[b * n];
            for (int i = 0; i < b; i++) {
                int seen = 0;
                int hidden = 0;
                for (int p = 0; p < n; p++) {
                    rows[i * n + p] = (long) i * n + (masked[i][p] ? v + hidden++ : seen++);
                }
            }
            NDArray index = Ops.constant(m, rows, new Shape(rows.length));
            x = joined.reshape((long) b * n, width).get(new NDIndex("{}", index)).reshape(b, n, width);
        }
        x = x.add(Ops.constant(m, sineCosine(grid, width), new Shape(1, n, width)));
        for (DecoderBlock block : blocks) {
            x = block.forward(x);
        }
        return pred.forward(decoderNorm.forward(x));
    }

    @Override
    public NDArray targets(NDArray inputs) {
        NDArray patches = patchify(inputs);
        NDArray mean = patches.mean(new int[] {2}, true);
        NDArray centred = patches.sub(mean);
        NDArray variance = centred.mul(centred).mean(new int[] {2}, true);
        return centred.div(variance.add(1e-6f).sqrt());
    }

    @Override
    protected boolean absoluteError() {
        return false;
    }

    /**
     * Fixed 2-D sine-cosine position embedding (N, width): half the channels encode the row, half the column, each
     * as sines and cosines of geometric frequencies (MAE's decoder positions).
     */
    static float[] sineCosine(int grid, int width) {
        int quarter = width / 4;
        float[] out = new float[grid * grid * width];
        for (int y = 0; y < grid; y++) {
            for (int x = 0; x < grid; x++) {
                int at = (y * grid + x) * width;
                for (int k = 0; k < quarter; k++) {
                    double omega = 1.0 / Math.pow(10000, k / (double) quarter);
                    out[at + k] = (float) Math.sin(y * omega);
                    out[at + quarter + k] = (float) Math.cos(y * omega);
                    out[at + 2 * quarter + k] = (float) Math.sin(x * omega);
                    out[at + 3 * quarter + k] = (float) Math.cos(x * omega);
                }
            }
        }
        return out;
    }

    /** Pre-norm transformer block with global multi-head attention and a GELU MLP (ratio 4). */
    static final class DecoderBlock extends Module {
        private final LayerNorm norm1;
        private final Linear qkv;
        private final Linear proj;
        private final LayerNorm norm2;
        private final Linear fc1;
        private final Linear fc2;
        private final int heads;
        private final float scale;

        DecoderBlock(int width, int heads) {
            this.heads = heads;
            this.scale = (float) Math.pow(width / heads, -0.5);
            norm1 = child("norm1", new LayerNorm(width, 1e-6));
            qkv = child("qkv", new Linear(width, 3L * width));
            proj = child("proj", new Linear(width, width));
            norm2 = child("norm2", new LayerNorm(width, 1e-6));
            fc1 = child("fc1", new Linear(width, 4L * width));
            fc2 = child("fc2", new Linear(4L * width, width));
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long n = s.get(1);
            long dim = s.get(2);
            long headDim = dim / heads;
            NDArray all = qkv.forward(norm1.forward(x)).reshape(b, n, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
            NDArray q = all.get(0);
            NDArray k = all.get(1);
            NDArray v = all.get(2);
            NDArray attn = Ops.mulScalar(q, scale).matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
            NDArray y = proj.forward(attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, dim));
            x = x.add(y);
            return x.add(fc2.forward(Ops.gelu(fc1.forward(norm2.forward(x)))));
        }
    }
}
