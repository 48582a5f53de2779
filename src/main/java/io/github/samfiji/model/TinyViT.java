package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Layers.BatchNorm2d;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.LayerNorm;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * MobileSAM's image encoder: a convolutional stem and MBConv stage, then windowed-attention stages with learned
 * attention biases and depthwise local convolutions, joined by patch merging, and SAM's neck.
 */
public final class TinyViT extends Module implements ImageEncoder {

    /** nn.LayerNorm's default, used in TinyViT's attention and MLP norms; the neck uses 1e-6. */
    private static final double EPS = 1e-5;

    private final TinyVitConfig config;
    private final Conv2dBN stem0;
    private final Conv2dBN stem2;
    private final Module[] stages;
    private final Neck neck;

    public TinyViT(TinyVitConfig c) {
        this.config = c;
        int[] dims = c.embedDims();
        Sequence seq = child("patch_embed", new Layers.Named()).add("seq", new Sequence());
        stem0 = seq.at(0, new Conv2dBN(c.inChans(), dims[0] / 2, 3, 2, 1, 1));
        stem2 = seq.at(2, new Conv2dBN(dims[0] / 2, dims[0], 3, 2, 1, 1));
        Sequence layers = child("layers", new Sequence());
        stages = new Module[dims.length];
        for (int i = 0; i < dims.length; i++) {
            PatchMerging merge = i < dims.length - 1 ? new PatchMerging(dims[i], dims[i + 1], c.mergeStride(i)) : null;
            stages[i] = layers.add(i == 0
                    ? new ConvStage(dims[0], c.depths()[0], c.mbconvExpandRatio(), merge)
                    : new AttentionStage(c, i, merge));
        }
        child("norm_head", new LayerNorm(dims[dims.length - 1], EPS));
        if (c.numClasses() > 0) {
            // The classification head is unused by SAM but present in the checkpoints.
            child("head", new Linear(dims[dims.length - 1], c.numClasses()));
        }
        neck = child("neck", new Neck(dims[dims.length - 1], c.outChans()));
    }

    /** The attention blocks of every attention stage, in order (LoRA and adapters attach to these). */
    List<TinyViTBlock> blocks() {
        List<TinyViTBlock> out = new ArrayList<>();
        for (int i = 1; i < stages.length; i++) {
            out.addAll(List.of(((AttentionStage) stages[i]).blocks));
        }
        return out;
    }

    @Override
    public int stageCount() {
        int count = 1 + stages.length;
        for (int depth : config.depths()) {
            count += depth;
        }
        return count;
    }

    @Override
    public NDArray forward(NDArray image) {
        return forward(image, null);
    }

    @Override
    public NDArray forward(NDArray image, Probe probe) {
        NDArray x = Ops.scoped(() -> stem2.forward(Ops.gelu(stem0.forward(image))));
        report(probe, "patch_embed", x);
        for (int i = 0; i < stages.length; i++) {
            String prefix = "layer" + i;
            x = i == 0 ? ((ConvStage) stages[0]).forward(x, probe, prefix)
                    : ((AttentionStage) stages[i]).forward(x, probe, prefix);
            report(probe, prefix, x);
        }
        NDArray tokens = x;
        int g = config.imgSize() / 16;
        NDArray out = Ops.scoped(() ->
                neck.forward(tokens.reshape(tokens.getShape().get(0), g, g, -1).transpose(0, 3, 1, 2)));
        tokens.close();
        return out;
    }

    /**
     * Masked-image pre-training (SimMIM style): the stem's output at masked positions is replaced by
     * {@code maskToken}, then every stage runs as usual (convolutions and windowed attention need the whole grid,
     * so masked positions stay in place as tokens). {@code visible} is (B, 1, S/4, S/4), 1 where the stem's output is
     * kept and 0 where it is masked; {@code maskToken} has the stem's width. Returns the last stage's tokens
     * (B, (S/16)², C) in row-major grid order, before the neck; with everything visible they are those of
     * {@link #forward}.
     */
    public NDArray forwardMasked(NDArray image, NDArray visible, NDArray maskToken) {
        NDArray x = Ops.scoped(() -> {
            NDArray stem = stem2.forward(Ops.gelu(stem0.forward(image)));
            NDArray token = maskToken.reshape(1, -1, 1, 1);
            return stem.mul(visible).add(token.mul(visible.neg().add(1f)));
        });
        for (int i = 0; i < stages.length; i++) {
            x = i == 0 ? ((ConvStage) stages[0]).forward(x, null, "layer0")
                    : ((AttentionStage) stages[i]).forward(x, null, "layer" + i);
        }
        return x;
    }

    /** Width of the stem's output, where {@link #forwardMasked} puts its mask token. */
    public int stemWidth() {
        return config.embedDims()[0];
    }

    /** Width of the last stage's tokens. */
    public int tokenWidth() {
        return config.embedDims()[config.embedDims().length - 1];
    }

    private static void report(Probe probe, String name, NDArray x) {
        if (probe != null) {
            probe.onStage(name, x);
        }
    }

    /** Convolution without bias followed by BatchNorm (eval mode). */
    static final class Conv2dBN extends Module {
        private final Conv2d conv;
        private final BatchNorm2d bn;

        Conv2dBN(int in, int out, int kernel, int stride, int padding, int groups) {
            conv = child("c", new Conv2d(in, out, kernel, stride, padding, groups, false));
            bn = child("bn", new BatchNorm2d(out));
        }

        NDArray forward(NDArray x) {
            return bn.forward(conv.forward(x));
        }
    }

    /** Inverted residual block: 1x1 expand, 3x3 depthwise, 1x1 project, residual, GELU. */
    static final class MBConv extends Module {
        private final Conv2dBN conv1;
        private final Conv2dBN conv2;
        private final Conv2dBN conv3;

        MBConv(int dim, double expand) {
            int hidden = (int) (dim * expand);
            conv1 = child("conv1", new Conv2dBN(dim, hidden, 1, 1, 0, 1));
            conv2 = child("conv2", new Conv2dBN(hidden, hidden, 3, 1, 1, hidden));
            conv3 = child("conv3", new Conv2dBN(hidden, dim, 1, 1, 0, 1));
        }

        NDArray forward(NDArray x) {
            NDArray y = Ops.gelu(conv2.forward(Ops.gelu(conv1.forward(x))));
            return Ops.gelu(conv3.forward(y).add(x));
        }
    }

    /** Downsamples NCHW features (or (B, L, C) tokens) into (B, L', C') tokens. */
    static final class PatchMerging extends Module {
        private final Conv2dBN conv1;
        private final Conv2dBN conv2;
        private final Conv2dBN conv3;

        PatchMerging(int dim, int outDim, int stride) {
            conv1 = child("conv1", new Conv2dBN(dim, outDim, 1, 1, 0, 1));
            conv2 = child("conv2", new Conv2dBN(outDim, outDim, 3, stride, 1, outDim));
            conv3 = child("conv3", new Conv2dBN(outDim, outDim, 1, 1, 0, 1));
        }

        NDArray forward(NDArray x, int resolution) {
            if (x.getShape().dimension() == 3) {
                x = x.reshape(x.getShape().get(0), resolution, resolution, -1).transpose(0, 3, 1, 2);
            }
            NDArray y = conv3.forward(Ops.gelu(conv2.forward(Ops.gelu(conv1.forward(x)))));
            Shape s = y.getShape();
            return y.reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);
        }
    }

    /** Stage 0: MBConv blocks on NCHW features. */
    static final class ConvStage extends Module {
        private final MBConv[] blocks;
        private final PatchMerging downsample;

        ConvStage(int dim, int depth, double expand, PatchMerging downsample) {
            Sequence list = child("blocks", new Sequence());
            blocks = new MBConv[depth];
            for (int i = 0; i < depth; i++) {
                blocks[i] = list.add(new MBConv(dim, expand));
            }
            this.downsample = downsample == null ? null : child("downsample", downsample);
        }

        NDArray forward(NDArray x, Probe probe, String prefix) {
            for (int i = 0; i < blocks.length; i++) {
                NDArray in = x;
                MBConv block = blocks[i];
                x = Ops.scoped(() -> block.forward(in));
                report(probe, prefix + "_block" + i, x);
            }
            NDArray in = x;
            return downsample == null ? x : Ops.scoped(() -> downsample.forward(in, -1));
        }
    }

    /** Stages 1..n: TinyViT blocks on (B, L, C) tokens at a fixed grid resolution. */
    static final class AttentionStage extends Module {
        private final TinyViTBlock[] blocks;
        private final PatchMerging downsample;
        private final int resolution;

        AttentionStage(TinyVitConfig c, int stage, PatchMerging downsample) {
            resolution = c.stageResolution(stage);
            Sequence list = child("blocks", new Sequence());
            blocks = new TinyViTBlock[c.depths()[stage]];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = list.add(new TinyViTBlock(c.embedDims()[stage], c.numHeads()[stage],
                        c.windowSizes()[stage], c.mlpRatio(), c.localConvSize(), resolution));
            }
            this.downsample = downsample == null ? null : child("downsample", downsample);
        }

        NDArray forward(NDArray x, Probe probe, String prefix) {
            for (int i = 0; i < blocks.length; i++) {
                NDArray in = x;
                TinyViTBlock block = blocks[i];
                x = Ops.scoped(() -> block.forward(in));
                report(probe, prefix + "_block" + i, x);
            }
            NDArray in = x;
            return downsample == null ? x : Ops.scoped(() -> downsample.forward(in, resolution));
        }
    }

    /** Window attention, a depthwise local convolution, then an MLP; residual around attention and MLP. */
    static final class TinyViTBlock extends Module implements AdaptableBlock {
        private final WindowAttention attn;
        private final TokenMlp mlp;
        private final Conv2dBN localConv;
        private final int window;
        private final int resolution;
        private Adapter attnAdapter;
        private Adapter mlpAdapter;

        TinyViTBlock(int dim, int heads, int window, double mlpRatio, int localConvSize, int resolution) {
            this.window = window;
            this.resolution = resolution;
            attn = child("attn", new WindowAttention(dim, heads, window));
            mlp = child("mlp", new TokenMlp(dim, (int) (dim * mlpRatio)));
            localConv = child("local_conv", new Conv2dBN(dim, dim, localConvSize, 1, localConvSize / 2, dim));
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long l = s.get(1);
            long c = s.get(2);
            int r = resolution;
            NDArray y;
            if (r == window) {
                y = attn.forward(x);
            } else {
                // Padding happens before the attention's LayerNorm, so padded tokens become the norm's bias.
                int pad = (window - r % window) % window;
                NDArray grid = x.reshape(b, r, r, c);
                if (pad > 0) {
                    grid = grid.pad(new Shape(0, 0, 0, pad, 0, pad), 0);
                }
                long p = r + pad;
                long n = p / window;
                NDArray windows = grid.reshape(b, n, window, n, window, c).transpose(0, 1, 3, 2, 4, 5)
                        .reshape(b * n * n, (long) window * window, c);
                y = attn.forward(windows).reshape(b, n, n, window, window, c).transpose(0, 1, 3, 2, 4, 5)
                        .reshape(b, p, p, c);
                if (pad > 0) {
                    y = y.get(new NDIndex(":, :{}, :{}, :", r, r));
                }
                y = y.reshape(b, l, c);
            }
            if (attnAdapter != null) {
                y = y.add(attnAdapter.forward(y));
            }
            x = x.add(y);
            NDArray conv = localConv.forward(x.transpose(0, 2, 1).reshape(b, c, r, r));
            x = conv.reshape(b, c, l).transpose(0, 2, 1);
            NDArray xn = mlp.norm.forward(x);
            NDArray m = mlp.forwardNormed(xn);
            if (mlpAdapter != null) {
                m = m.add(Ops.mulScalar(mlpAdapter.forward(xn), Adapter.MLP_SCALE));
            }
            return x.add(m);
        }

        /** TinyViT's qkv is laid out per head as [q | k | v], so q and v are one row range per head. */
        @Override
        public List<LowRank> addQueryValueLoRA(int rank, float scale) {
            long keyDim = attn.qkv.in() / attn.heads;
            long[][] q = new long[attn.heads][];
            long[][] v = new long[attn.heads][];
            for (int h = 0; h < attn.heads; h++) {
                long start = h * 3 * keyDim;
                q[h] = new long[] {start, start + keyDim};
                v[h] = new long[] {start + 2 * keyDim, start + 3 * keyDim};
            }
            return List.of(attn.qkv.addLowRank("lora_q", q, rank, scale), attn.qkv.addLowRank("lora_v", v, rank, scale));
        }

        @Override
        public void addAdapters() {
            if (attnAdapter != null) {
                throw new IllegalStateException("block has adapters already");
            }
            long width = attn.qkv.in();
            attnAdapter = child("adapter_attn", new Adapter(width, Adapter.hiddenFor(width)));
            mlpAdapter = child("adapter_mlp", new Adapter(width, Adapter.hiddenFor(width)));
        }
    }

    /** TinyViT's MLP: LayerNorm, fc1, GELU, fc2. */
    static final class TokenMlp extends Module {
        private final LayerNorm norm;
        private final Linear fc1;
        private final Linear fc2;

        TokenMlp(int dim, int hidden) {
            norm = child("norm", new LayerNorm(dim, EPS));
            fc1 = child("fc1", new Linear(dim, hidden));
            fc2 = child("fc2", new Linear(hidden, dim));
        }

        NDArray forward(NDArray x) {
            return forwardNormed(norm.forward(x));
        }

        /** The MLP after its LayerNorm (a parallel adapter shares the normalized input). */
        NDArray forwardNormed(NDArray xn) {
            return fc2.forward(Ops.gelu(fc1.forward(xn)));
        }
    }

    /**
     * Attention inside one window with a learned bias per head and relative offset (|dy|, |dx|), indexed
     * |dy| * window + |dx|. The qkv projection is laid out per head as [q | k | v].
     */
    static final class WindowAttention extends Module {
        private final Param biases;
        private final LayerNorm norm;
        private final Linear qkv;
        private final Linear proj;
        private final int heads;
        private final int window;
        private final float scale;
        /** Bias index of every (query, key) pair of a window: fixed by the window size, so computed once. */
        private final long[] biasIndex;

        WindowAttention(int dim, int heads, int window) {
            this.heads = heads;
            this.window = window;
            this.biasIndex = biasIndex(window);
            int keyDim = dim / heads;
            scale = (float) Math.pow(keyDim, -0.5);
            biases = param("attention_biases", heads, (long) window * window);
            norm = child("norm", new LayerNorm(dim, EPS));
            qkv = child("qkv", new Linear(dim, 3L * dim));
            proj = child("proj", new Linear(dim, dim));
        }

        static long[] biasIndex(int window) {
            int n = window * window;
            long[] idx = new long[n * n];
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    int dy = Math.abs(a / window - b / window);
                    int dx = Math.abs(a % window - b % window);
                    idx[a * n + b] = (long) dy * window + dx;
                }
            }
            return idx;
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long n = s.get(1);
            long dim = s.get(2);
            long keyDim = dim / heads;
            NDList qkvs = qkv.forward(norm.forward(x)).reshape(b, n, heads, 3 * keyDim)
                    .split(new long[] {keyDim, 2 * keyDim}, 3);
            NDArray q = qkvs.get(0).transpose(0, 2, 1, 3);
            NDArray k = qkvs.get(1).transpose(0, 2, 1, 3);
            NDArray v = qkvs.get(2).transpose(0, 2, 1, 3);
            NDArray index = Ops.constant(x.getManager(), biasIndex, new Shape((long) n * n));
            NDArray bias = biases.value().get(new NDIndex(":, {}", index)).reshape(heads, n, n);
            NDArray attn = Ops.mulScalar(q.matMul(k.transpose(0, 1, 3, 2)), scale).add(bias).softmax(-1);
            return proj.forward(attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, dim));
        }
    }
}
