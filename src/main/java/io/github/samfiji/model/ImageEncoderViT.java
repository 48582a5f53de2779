package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.LayerNorm;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Named;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.SamConfig.VitConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * SAM's image encoder: a ViT with 16x16 patches, absolute position embedding, blocks with windowed or global
 * attention and decomposed relative position bias, and a convolutional neck. Tokens are kept as (B, H, W, C).
 */
public final class ImageEncoderViT extends Module implements ImageEncoder {

    private static final float EPS = 1e-6f;
    /** Attention scores above this many floats per chunk are computed a few heads at a time to bound memory. */
    private static final long MAX_SCORES_PER_CHUNK = 64L * 1024 * 1024;

    private final VitConfig config;
    private final Param posEmbed;
    private final Conv2d patchEmbed;
    private final List<Block> blocks = new ArrayList<>();
    private final Neck neck;

    public ImageEncoderViT(VitConfig c) {
        this.config = c;
        int grid = c.imgSize() / c.patchSize();
        posEmbed = c.useAbsPos() ? param("pos_embed", 1, grid, grid, c.embedDim()) : null;
        patchEmbed = child("patch_embed", new Named())
                .add("proj", new Conv2d(c.inChans(), c.embedDim(), c.patchSize(), c.patchSize(), 0, 1, true));
        Sequence list = child("blocks", new Sequence());
        for (int i = 0; i < c.depth(); i++) {
            int window = c.isGlobal(i) ? 0 : c.windowSize();
            int attnSize = window > 0 ? window : grid;
            blocks.add(list.add(new Block(c, window, attnSize)));
        }
        neck = child("neck", new Neck(c.embedDim(), c.outChans()));
    }

    List<Block> blocks() {
        return List.copyOf(blocks);
    }

    public VitConfig config() {
        return config;
    }

    @Override
    public int stageCount() {
        return blocks.size() + 1;
    }

    @Override
    public NDArray forward(NDArray image) {
        return forward(image, null);
    }

    @Override
    public NDArray forward(NDArray image, Probe probe) {
        NDArray x = Ops.scoped(() -> {
            NDArray t = patchEmbed.forward(image).transpose(0, 2, 3, 1);
            return posEmbed == null ? t : t.add(posEmbed.value());
        });
        report(probe, "patch_embed_plus_pos", x);
        for (int i = 0; i < blocks.size(); i++) {
            Block block = blocks.get(i);
            NDArray in = x;
            x = Ops.scoped(() -> block.forward(in));
            in.close();
            report(probe, "block" + i, x);
        }
        NDArray tokens = x;
        NDArray out = Ops.scoped(() -> neck.forward(tokens.transpose(0, 3, 1, 2)));
        tokens.close();
        return out;
    }

    /**
     * Masked-image pre-training: the tokens (B, V, C) after the last block for the visible patches only (the neck is
     * left out: it needs the whole grid). {@code visible} holds, per image, V flat patch indices (row-major on the
     * patch grid), the same count for every image. Each token keeps its absolute position embedding. Sparse tokens
     * cannot be cut into windows, so every block attends over all visible tokens with the relative-position bias
     * taken from the tokens' true coordinates; a windowed block additionally masks out pairs that lie in different
     * windows, which with every patch visible reproduces windowed attention exactly (for grids that are a multiple
     * of the window; otherwise the full encoder's zero padding tokens have no counterpart here).
     */
    public NDArray forwardVisible(NDArray image, long[][] visible) {
        long b = image.getShape().get(0);
        long gh = image.getShape().get(2) / config.patchSize();
        long gw = image.getShape().get(3) / config.patchSize();
        if (visible.length != b) {
            throw new IllegalArgumentException(visible.length + " visible sets for " + b + " images");
        }
        int count = visible[0].length;
        long[] rows = new long[(int) b * count];
        for (int i = 0; i < b; i++) {
            if (visible[i].length != count) {
                throw new IllegalArgumentException("every image needs the same number of visible patches");
            }
            for (int v = 0; v < count; v++) {
                rows[i * count + v] = i * gh * gw + visible[i][v];
            }
        }
        NDManager m = image.getManager();
        NDArray x = Ops.scoped(() -> {
            NDArray t = patchEmbed.forward(image).transpose(0, 2, 3, 1);
            t = posEmbed == null ? t : t.add(posEmbed.value());
            NDArray index = Ops.constant(m, rows, new Shape(rows.length));
            return t.reshape(b * gh * gw, -1).get(new NDIndex("{}", index)).reshape(b, count, -1);
        });
        // The encoder input is square, so one table size serves rows and columns.
        VisibleLayout global = new VisibleLayout(visible, gw, 0, (int) Math.max(gh, gw), m);
        VisibleLayout windowed = new VisibleLayout(visible, gw, config.windowSize(), config.windowSize(), m);
        for (Block block : blocks) {
            NDArray in = x;
            x = Ops.scoped(() -> block.forwardVisible(in, block.window > 0 ? windowed : global));
            in.close();
        }
        global.close();
        windowed.close();
        return x;
    }

    /**
     * Where visible tokens lie relative to each other, for one kind of block: the row and column offset index of
     * every (query, key) pair into a relative-position table of {@code size} (offset + size - 1), and for windowed
     * blocks an additive mask of minus infinity between tokens of different windows.
     */
    static final class VisibleLayout implements AutoCloseable {
        final NDArray rowIndex;
        final NDArray columnIndex;
        final NDArray windowMask;
        final int size;

        VisibleLayout(long[][] visible, long gridWidth, int window, int size, NDManager m) {
            this.size = size;
            int b = visible.length;
            int n = visible[0].length;
            long[] rowIdx = new long[b * n * n];
            long[] colIdx = new long[b * n * n];
            float[] mask = window > 0 ? new float[b * n * n] : null;
            for (int i = 0; i < b; i++) {
                for (int q = 0; q < n; q++) {
                    long qy = visible[i][q] / gridWidth;
                    long qx = visible[i][q] % gridWidth;
                    for (int k = 0; k < n; k++) {
                        long ky = visible[i][k] / gridWidth;
                        long kx = visible[i][k] % gridWidth;
                        int at = (i * n + q) * n + k;
                        if (window > 0) {
                            // Inside a window positions count from the window's corner, as in windowed attention.
                            boolean same = qy / window == ky / window && qx / window == kx / window;
                            mask[at] = same ? 0f : Float.NEGATIVE_INFINITY;
                            rowIdx[at] = same ? qy % window - ky % window + size - 1 : 0;
                            colIdx[at] = same ? qx % window - kx % window + size - 1 : 0;
                        } else {
                            rowIdx[at] = qy - ky + size - 1;
                            colIdx[at] = qx - kx + size - 1;
                        }
                    }
                }
            }
            rowIndex = Ops.constant(m, rowIdx, new Shape(b, n, n));
            columnIndex = Ops.constant(m, colIdx, new Shape(b, n, n));
            windowMask = mask == null ? null : Ops.constant(m, mask, new Shape(b, 1, n, n));
        }

        @Override
        public void close() {
            rowIndex.close();
            columnIndex.close();
            if (windowMask != null) {
                windowMask.close();
            }
        }
    }

    private static void report(Probe probe, String name, NDArray x) {
        if (probe != null) {
            probe.onStage(name, x);
        }
    }

    /** Transformer block: pre-norm attention (windowed or global) and MLP, both residual. */
    static final class Block extends Module implements AdaptableBlock {
        private final LayerNorm norm1;
        private final Attention attn;
        private final LayerNorm norm2;
        private final Linear lin1;
        private final Linear lin2;
        private final int window;
        private Adapter attnAdapter;
        private Adapter mlpAdapter;

        Block(VitConfig c, int window, int attnSize) {
            this.window = window;
            norm1 = child("norm1", new LayerNorm(c.embedDim(), EPS));
            attn = child("attn", new Attention(c, attnSize));
            norm2 = child("norm2", new LayerNorm(c.embedDim(), EPS));
            Named mlp = child("mlp", new Named());
            long hidden = (long) (c.embedDim() * c.mlpRatio());
            lin1 = mlp.add("lin1", new Linear(c.embedDim(), hidden));
            lin2 = mlp.add("lin2", new Linear(hidden, c.embedDim()));
        }

        NDArray forward(NDArray x) {
            long h = x.getShape().get(1);
            long w = x.getShape().get(2);
            // norm1 runs before the zero padding, so padded tokens are exactly 0 inside window attention.
            NDArray y = norm1.forward(x);
            if (window > 0) {
                long padH = (window - h % window) % window;
                long padW = (window - w % window) % window;
                y = windowPartition(y, window, padH, padW);
                y = attn.forward(y);
                y = windowUnpartition(y, window, h + padH, w + padW, h, w);
            } else {
                y = attn.forward(y);
            }
            if (attnAdapter != null) {
                y = y.add(attnAdapter.forward(y));
            }
            x = x.add(y);
            NDArray xn = norm2.forward(x);
            NDArray m = lin2.forward(Ops.gelu(lin1.forward(xn)));
            if (mlpAdapter != null) {
                m = m.add(Ops.mulScalar(mlpAdapter.forward(xn), Adapter.MLP_SCALE));
            }
            return x.add(m);
        }

        /** As {@link #forward} on a set of visible tokens (B, V, C) (see {@link ImageEncoderViT#forwardVisible}). */
        NDArray forwardVisible(NDArray x, VisibleLayout layout) {
            NDArray y = attn.forwardVisible(norm1.forward(x), layout);
            if (attnAdapter != null) {
                y = y.add(attnAdapter.forward(y));
            }
            x = x.add(y);
            NDArray xn = norm2.forward(x);
            NDArray m = lin2.forward(Ops.gelu(lin1.forward(xn)));
            if (mlpAdapter != null) {
                m = m.add(Ops.mulScalar(mlpAdapter.forward(xn), Adapter.MLP_SCALE));
            }
            return x.add(m);
        }

        /** The fused qkv projection is laid out [q | k | v], each embedDim rows. */
        @Override
        public List<LowRank> addQueryValueLoRA(int rank, float scale) {
            long dim = attn.qkv.in();
            return List.of(attn.qkv.addLowRank("lora_q", 0, dim, rank, scale),
                    attn.qkv.addLowRank("lora_v", 2 * dim, 3 * dim, rank, scale));
        }

        @Override
        public void addAdapters() {
            if (attnAdapter != null) {
                throw new IllegalStateException("block has adapters already");
            }
            long width = norm1.weight.shape().get(0);
            attnAdapter = child("adapter_attn", new Adapter(width, Adapter.hiddenFor(width)));
            mlpAdapter = child("adapter_mlp", new Adapter(width, Adapter.hiddenFor(width)));
        }
    }

    static NDArray windowPartition(NDArray x, int ws, long padH, long padW) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(3);
        if (padH > 0 || padW > 0) {
            x = x.pad(new Shape(0, 0, 0, padW, 0, padH), 0);
        }
        long hp = s.get(1) + padH;
        long wp = s.get(2) + padW;
        return x.reshape(b, hp / ws, ws, wp / ws, ws, c).transpose(0, 1, 3, 2, 4, 5).reshape(-1, ws, ws, c);
    }

    static NDArray windowUnpartition(NDArray windows, int ws, long hp, long wp, long h, long w) {
        long c = windows.getShape().get(3);
        long b = windows.getShape().get(0) / ((hp / ws) * (wp / ws));
        NDArray x = windows.reshape(b, hp / ws, wp / ws, ws, ws, c).transpose(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, c);
        if (hp > h || wp > w) {
            x = x.get(new NDIndex(":, :{}, :{}, :", h, w));
        }
        return x;
    }

    /** Multi-head attention with decomposed relative position bias on a (B, H, W, C) token grid. */
    static final class Attention extends Module {
        private final Linear qkv;
        private final Linear proj;
        private final Param relPosH;
        private final Param relPosW;
        private final int numHeads;
        private final float scale;

        Attention(VitConfig c, int size) {
            numHeads = c.numHeads();
            long headDim = c.embedDim() / numHeads;
            scale = (float) Math.pow(headDim, -0.5);
            if (c.useRelPos()) {
                relPosH = param("rel_pos_h", 2L * size - 1, headDim);
                relPosW = param("rel_pos_w", 2L * size - 1, headDim);
            } else {
                relPosH = null;
                relPosW = null;
            }
            qkv = child("qkv", new Linear(c.embedDim(), 3L * c.embedDim(), c.qkvBias()));
            proj = child("proj", new Linear(c.embedDim(), c.embedDim()));
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long h = s.get(1);
            long w = s.get(2);
            long dim = s.get(3);
            long n = h * w;
            long headDim = dim / numHeads;
            NDArray all = qkv.forward(x).reshape(b, n, 3, numHeads, headDim).transpose(2, 0, 3, 1, 4)
                    .reshape(3, b * numHeads, n, headDim);
            NDArray q = all.get(0);
            NDArray k = all.get(1);
            NDArray v = all.get(2);
            NDArray relH = relPosH == null ? null : relativePositions(relPosH.value(), (int) h);
            NDArray relW = relPosW == null ? null : relativePositions(relPosW.value(), (int) w);
            long groups = b * numHeads;
            long chunk = Math.max(1, Math.min(groups, MAX_SCORES_PER_CHUNK / (n * n)));
            NDArray out;
            if (chunk >= groups) {
                out = attend(q, k, v, relH, relW, h, w);
            } else {
                NDList parts = new NDList();
                for (long start = 0; start < groups; start += chunk) {
                    NDIndex range = new NDIndex("{}:{}", start, Math.min(groups, start + chunk));
                    parts.add(Ops.scoped(() -> attend(q.get(range), k.get(range), v.get(range), relH, relW, h, w)));
                }
                out = NDArrays.concat(parts);
            }
            out = out.reshape(b, numHeads, h, w, headDim).transpose(0, 2, 3, 1, 4).reshape(b, h, w, dim);
            return proj.forward(out);
        }

        /** Attention over visible tokens (B, V, C) with the relative-position bias of their true offsets. */
        NDArray forwardVisible(NDArray x, VisibleLayout layout) {
            Shape s = x.getShape();
            long b = s.get(0);
            long n = s.get(1);
            long dim = s.get(2);
            long headDim = dim / numHeads;
            NDArray all = qkv.forward(x).reshape(b, n, 3, numHeads, headDim).transpose(2, 0, 3, 1, 4)
                    .reshape(3, b * numHeads, n, headDim);
            NDArray q = all.get(0);
            NDArray k = all.get(1);
            NDArray v = all.get(2);
            NDArray scores = Ops.mulScalar(q, scale).matMul(k.transpose(0, 2, 1));
            if (relPosH != null) {
                scores = scores.add(gatheredBias(q, relPosH.value(), layout.rowIndex, layout.size, b))
                        .add(gatheredBias(q, relPosW.value(), layout.columnIndex, layout.size, b));
            }
            if (layout.windowMask != null) {
                scores = scores.reshape(b, numHeads, n, n).add(layout.windowMask).reshape(b * numHeads, n, n);
            }
            NDArray out = scores.softmax(-1).matMul(v);
            out = out.reshape(b, numHeads, n, headDim).transpose(0, 2, 1, 3).reshape(b, n, dim);
            return proj.forward(out);
        }

        /**
         * q_i . table[offset(i, j)] for every pair: the (unscaled) query times every table row, then per pair the
         * row its offset names. {@code index} is (B, V, V); the heads share it.
         */
        private NDArray gatheredBias(NDArray q, NDArray relPos, NDArray index, int size, long b) {
            NDArray table = resizedTable(relPos, size);
            NDArray perRow = q.matMul(table.transpose());
            long n = index.getShape().get(1);
            NDArray perHead = index.expandDims(1).repeat(1, numHeads).reshape(b * numHeads, n, n);
            return perRow.gather(perHead, 2);
        }

        /** The table resized linearly to 2·size − 1 rows when it was trained for another size. */
        static NDArray resizedTable(NDArray relPos, int size) {
            int needed = 2 * size - 1;
            int have = (int) relPos.getShape().get(0);
            if (have == needed) {
                return relPos;
            }
            NDArray matrix = Ops.constant(relPos.getManager(), Ops.linearResizeMatrix(have, needed),
                    new Shape(needed, have));
            return matrix.matMul(relPos);
        }

        private NDArray attend(NDArray q, NDArray k, NDArray v, NDArray relH, NDArray relW, long h, long w) {
            NDArray scores = Ops.mulScalar(q, scale).matMul(k.transpose(0, 2, 1));
            if (relH != null) {
                scores = addDecomposedRelPos(scores, q, relH, relW, h, w);
            }
            return scores.softmax(-1).matMul(v);
        }

        /**
         * Adds the decomposed relative position bias. The bias uses the unscaled queries. The reference's einsums
         * become batched matMuls: for rows, (h, B*w, c) x (h, c, k_h); for columns, (w, B*h, c) x (w, c, k_w).
         */
        static NDArray addDecomposedRelPos(NDArray scores, NDArray q, NDArray rh, NDArray rw, long h, long w) {
            long bh = q.getShape().get(0);
            long c = q.getShape().get(2);
            NDArray rq = q.reshape(bh, h, w, c);
            NDArray relHeight = rq.transpose(1, 0, 2, 3).reshape(h, bh * w, c).matMul(rh.transpose(0, 2, 1))
                    .reshape(h, bh, w, h).transpose(1, 0, 2, 3);
            NDArray relWidth = rq.transpose(2, 0, 1, 3).reshape(w, bh * h, c).matMul(rw.transpose(0, 2, 1))
                    .reshape(w, bh, h, w).transpose(1, 2, 0, 3);
            // In place: the scores are the largest tensor of the encoder (4096 x 4096 per head in global blocks), and
            // two out-of-place broadcast adds would allocate, fault in and fill two more of them.
            return scores.reshape(bh, h, w, h, w)
                    .addi(relHeight.reshape(bh, h, w, h, 1))
                    .addi(relWidth.reshape(bh, h, w, 1, w))
                    .reshape(bh, h * w, h * w);
        }

        /**
         * Table (size, size, c) of relative position embeddings for query i and key j: rel[i - j + size - 1].
         * A table trained for another size is resized linearly first, as the reference does.
         */
        static NDArray relativePositions(NDArray relPos, int size) {
            int needed = 2 * size - 1;
            NDManager m = relPos.getManager();
            NDArray table = relPos;
            int have = (int) relPos.getShape().get(0);
            if (have != needed) {
                NDArray matrix = Ops.constant(m, Ops.linearResizeMatrix(have, needed), new Shape(needed, have));
                table = matrix.matMul(relPos);
            }
            long[] idx = new long[size * size];
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    idx[i * size + j] = i - j + size - 1L;
                }
            }
            NDArray index = Ops.constant(m, idx, new Shape(idx.length));
            return table.get(new NDIndex("{}", index)).reshape(size, size, -1);
        }
    }
}
