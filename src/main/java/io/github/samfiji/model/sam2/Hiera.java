package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Adapter;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.LayerNorm;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Named;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.sam2.Sam2Config.BlockSpec;
import io.github.samfiji.model.sam2.Sam2Config.HieraConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Hiera, SAM 2's image backbone: a 4x patch embedding, then stages of transformer blocks on a token grid that
 * halves (by 2x2 max pooling of the queries) and doubles its width at each stage. Attention is windowed except in
 * a few global blocks. Returns the output of every stage, finest first, as NCHW maps.
 */
public final class Hiera extends Module {

    /** Hiera's LayerNorm epsilon (not PyTorch's default). */
    private static final double EPS = 1e-6;

    private final HieraConfig config;
    private final Param posEmbed;
    private final Param posEmbedWindow;
    private final Conv2d patchEmbed;
    private final List<Block> blocks = new ArrayList<>();
    private final int[] stageEnds;

    public Hiera(HieraConfig c) {
        this.config = c;
        posEmbed = param("pos_embed", 1, c.embedDim(), c.windowPosEmbedBkg()[0], c.windowPosEmbedBkg()[1]);
        posEmbedWindow = param("pos_embed_window", 1, c.embedDim(), c.windowSpec()[0], c.windowSpec()[0]);
        Named patch = child("patch_embed", new Named());
        patchEmbed = patch.add("proj", new Conv2d(3, c.embedDim(), 7, 4, 3, 1, true));
        Sequence list = child("blocks", new Sequence());
        for (BlockSpec spec : c.blocks()) {
            blocks.add(list.add(new Block(spec)));
        }
        stageEnds = c.stageEnds();
    }

    public HieraConfig config() {
        return config;
    }

    /** Number of blocks, for progress reports. */
    public int depth() {
        return blocks.size();
    }

    /**
     * @param image (1, 3, S, S) normalized input
     * @param probe receives {@code patch_embed}, {@code pos_embed}, {@code patch_embed_plus_pos} and
     *              {@code block<i>} (B, H, W, C) intermediates, or null; they are freed after the call, so it must
     *              copy what it keeps
     * @return the 4 stage outputs (B, C_i, H_i, W_i), finest first
     */
    public NDList forward(NDArray image, BiConsumer<String, NDArray> probe) {
        NDArray x = Ops.scoped(() -> patchEmbed.forward(image).transpose(0, 2, 3, 1));
        emit(probe, "patch_embed", x);
        Shape s = x.getShape();
        NDArray pos = positionEmbedding((int) s.get(1), (int) s.get(2));
        emit(probe, "pos_embed", pos);
        NDArray withPos = x.add(pos);
        x.close();
        pos.close();
        x = withPos;
        emit(probe, "patch_embed_plus_pos", x);
        NDList outputs = new NDList();
        for (int i = 0; i < blocks.size(); i++) {
            Block block = blocks.get(i);
            NDArray in = x;
            // One scope per block: DJL keeps every intermediate until its manager closes.
            x = Ops.scoped(() -> block.forward(in));
            in.close();
            emit(probe, "block" + i, x);
            if (isStageEnd(i)) {
                NDArray tokens = x;
                outputs.add(Ops.scoped(() -> copy(tokens.transpose(0, 3, 1, 2))));
            }
        }
        x.close();
        return outputs;
    }

    /** Attaches adapters to the given blocks. */
    void addAdapters(int[] chosen) {
        for (int b : chosen) {
            blocks.get(b).addAdapters();
        }
    }

    /**
     * Attaches LoRA (B = 0, so the output is unchanged) to every block's attention: the query and value rows of the
     * fused qkv projection ({@code lora_q}, {@code lora_v}) and the output projection ({@code lora}).
     */
    void addLoRA(int rank, float scale) {
        for (Block b : blocks) {
            long out = b.spec.dimOut();
            b.attn.qkv.addLowRank("lora_q", 0, out, rank, scale);
            b.attn.qkv.addLowRank("lora_v", 2 * out, 3 * out, rank, scale);
            b.attn.proj.addLowRank("lora", 0, out, rank, scale);
        }
    }

    /**
     * A copy that stays in the autograd graph (DJL's {@code duplicate} detaches, which would cut training's
     * gradients off at the copy).
     */
    static NDArray copy(NDArray x) {
        return x.toType(x.getDataType(), true);
    }

    private boolean isStageEnd(int block) {
        for (int e : stageEnds) {
            if (e == block) {
                return true;
            }
        }
        return false;
    }

    /**
     * The background embedding resized (bicubic) to the token grid plus the window embedding tiled over it; as
     * (1, H, W, C). The grid must be a multiple of the first window, as for every input size the reference allows.
     */
    NDArray positionEmbedding(int h, int w) {
        return Ops.scoped(() -> {
            NDArray bkg = posEmbed.value();
            int bh = (int) bkg.getShape().get(2);
            int bw = (int) bkg.getShape().get(3);
            NDArray ry = Ops.constant(bkg.getManager(), Interpolation.bicubicMatrix(bh, h), new Shape(h, bh));
            NDArray rxT = Ops.constant(bkg.getManager(), Interpolation.bicubicMatrix(bw, w), new Shape(w, bw)).transpose();
            NDArray resized = ry.matMul(bkg.reshape(-1, bh, bw)).matMul(rxT).reshape(1, -1, h, w);
            long win = posEmbedWindow.shape().get(2);
            if (h % win != 0 || w % win != 0) {
                throw new IllegalArgumentException("token grid " + h + " x " + w + " is not a multiple of Hiera's first "
                        + "window (" + win + ")");
            }
            NDArray tiled = posEmbedWindow.value().tile(new long[] {1, 1, h / win, w / win});
            return resized.add(tiled).transpose(0, 2, 3, 1);
        });
    }

    private static void emit(BiConsumer<String, NDArray> probe, String name, NDArray value) {
        if (probe != null) {
            probe.accept(name, value);
        }
    }

    /** 2x2 max pooling (stride 2, odd edges dropped) of a (B, H, W, C) map. */
    static NDArray maxPool2x2(NDArray x) {
        Shape s = x.getShape();
        long h = s.get(1) / 2;
        long w = s.get(2) / 2;
        if (s.get(1) % 2 != 0 || s.get(2) % 2 != 0) {
            x = x.get(new NDIndex(":, :{}, :{}, :", h * 2, w * 2));
        }
        return x.reshape(s.get(0), h, 2, w, 2, s.get(3)).max(new int[] {4}).max(new int[] {2});
    }

    /** A multi-scale block: windowed (or global) attention that may pool queries, then an MLP; both residual. */
    static final class Block extends Module {
        private final BlockSpec spec;
        private final LayerNorm norm1;
        private final Attention attn;
        private final LayerNorm norm2;
        private final GeluMlp mlp;
        private final Linear proj;
        private Adapter attnAdapter;
        private Adapter mlpAdapter;

        Block(BlockSpec spec) {
            this.spec = spec;
            norm1 = child("norm1", new LayerNorm(spec.dim(), EPS));
            attn = child("attn", new Attention(spec.dim(), spec.dimOut(), spec.heads(), spec.poolsQueries()));
            norm2 = child("norm2", new LayerNorm(spec.dimOut(), EPS));
            mlp = child("mlp", new GeluMlp(spec.dimOut(), (long) spec.dimOut() * HieraConfig.MLP_RATIO));
            proj = spec.dim() != spec.dimOut() ? child("proj", new Linear(spec.dim(), spec.dimOut())) : null;
        }

        /** (B, H, W, dim) to (B, H', W', dimOut). */
        NDArray forward(NDArray x) {
            NDArray xn = norm1.forward(x);
            NDArray shortcut = x;
            if (proj != null) {
                NDArray projected = proj.forward(xn);
                shortcut = spec.poolsQueries() ? maxPool2x2(projected) : projected;
            }
            long h = x.getShape().get(1);
            long w = x.getShape().get(2);
            NDArray attended;
            if (spec.window() > 0) {
                int ws = spec.window();
                long ph = (ws - h % ws) % ws;
                long pw = (ws - w % ws) % ws;
                // Zero padding after the norm: padded tokens enter attention as zeros.
                NDArray padded = ph > 0 || pw > 0 ? xn.pad(new Shape(0, 0, 0, pw, 0, ph), 0) : xn;
                long nh = (h + ph) / ws;
                long nw = (w + pw) / ws;
                NDArray windows = partition(padded, ws);
                NDArray out = attn.forward(windows);
                int wsOut = spec.poolsQueries() ? ws / 2 : ws;
                attended = unpartition(out, nh, nw, wsOut, shortcut.getShape().get(1), shortcut.getShape().get(2));
            } else {
                attended = attn.forward(xn);
            }
            if (attnAdapter != null) {
                attended = attended.add(attnAdapter.forward(attended));
            }
            NDArray y = shortcut.add(attended);
            NDArray yn = norm2.forward(y);
            NDArray m = mlp.forward(yn);
            if (mlpAdapter != null) {
                m = m.add(Ops.mulScalar(mlpAdapter.forward(yn), Adapter.MLP_SCALE));
            }
            return y.add(m);
        }

        /**
         * A residual adapter on the attention's output and a parallel one beside the MLP, as SAM 1's encoder blocks
         * get them (finetune-SAM's layout); the up-projections start at zero, so nothing changes until trained.
         */
        void addAdapters() {
            if (attnAdapter != null) {
                throw new IllegalStateException("block has adapters already");
            }
            long width = spec.dimOut();
            attnAdapter = child("adapter_attn", new Adapter(width, Adapter.hiddenFor(width)));
            mlpAdapter = child("adapter_mlp", new Adapter(width, Adapter.hiddenFor(width)));
        }

        /** (B, Hp, Wp, C) to (B * nh * nw, ws, ws, C), windows in row-major order. */
        private static NDArray partition(NDArray x, int ws) {
            Shape s = x.getShape();
            long b = s.get(0);
            long c = s.get(3);
            return x.reshape(b, s.get(1) / ws, ws, s.get(2) / ws, ws, c).transpose(0, 1, 3, 2, 4, 5)
                    .reshape(-1, ws, ws, c);
        }

        /** Inverse of {@link #partition} for windows of side {@code ws}, cropped to (h, w). */
        private static NDArray unpartition(NDArray windows, long nh, long nw, int ws, long h, long w) {
            Shape s = windows.getShape();
            long c = s.get(3);
            long b = s.get(0) / (nh * nw);
            NDArray x = windows.reshape(b, nh, nw, ws, ws, c).transpose(0, 1, 3, 2, 4, 5).reshape(b, nh * ws, nw * ws, c);
            if (nh * ws != h || nw * ws != w) {
                x = x.get(new NDIndex(":, :{}, :{}, :", h, w));
            }
            return x;
        }
    }

    /** Hiera's MLP: Linear, GELU (exact), Linear, under the child name {@code layers} like SAM 2's MLP class. */
    static final class GeluMlp extends Module {
        private final Linear first;
        private final Linear second;

        GeluMlp(long dim, long hidden) {
            Sequence layers = child("layers", new Sequence());
            first = layers.add(new Linear(dim, hidden));
            second = layers.add(new Linear(hidden, dim));
        }

        NDArray forward(NDArray x) {
            return second.forward(Ops.gelu(first.forward(x)));
        }
    }

    /** Multi-head self-attention over the tokens of each window; queries may be max-pooled 2x2 first. */
    static final class Attention extends Module {
        private final Linear qkv;
        private final Linear proj;
        private final int heads;
        private final int dimOut;
        private final boolean poolQueries;

        Attention(int dim, int dimOut, int heads, boolean poolQueries) {
            this.heads = heads;
            this.dimOut = dimOut;
            this.poolQueries = poolQueries;
            qkv = child("qkv", new Linear(dim, 3L * dimOut));
            proj = child("proj", new Linear(dimOut, dimOut));
        }

        /** (B, H, W, dim) to (B, H', W', dimOut). */
        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long h = s.get(1);
            long w = s.get(2);
            long headDim = dimOut / heads;
            // Channels are laid out as (q | k | v), each split by head.
            NDArray qkvOut = qkv.forward(x).reshape(b, h * w, 3, heads, headDim);
            NDArray q = qkvOut.get(new NDIndex(":, :, 0"));
            NDArray k = qkvOut.get(new NDIndex(":, :, 1"));
            NDArray v = qkvOut.get(new NDIndex(":, :, 2"));
            if (poolQueries) {
                q = maxPool2x2(q.reshape(b, h, w, dimOut));
                h = q.getShape().get(1);
                w = q.getShape().get(2);
                q = q.reshape(b, h * w, heads, headDim);
            }
            q = q.transpose(0, 2, 1, 3);
            k = k.transpose(0, 2, 1, 3);
            v = v.transpose(0, 2, 1, 3);
            float scale = (float) (1.0 / Math.sqrt(headDim));
            NDArray attn = Ops.mulScalar(q.matMul(k.transpose(0, 1, 3, 2)), scale).softmax(-1);
            NDArray out = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, h, w, dimOut);
            return proj.forward(out);
        }
    }
}
