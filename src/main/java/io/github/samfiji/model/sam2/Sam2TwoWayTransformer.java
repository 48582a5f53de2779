package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Adapter;
import io.github.samfiji.model.Layers.LayerNorm;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Mlp;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.SamConfig.DecoderConfig;

/**
 * The mask decoder's two-way transformer as SAM 2 names it: the same computation as SAM 1's (tokens and image
 * features attend to each other, positional encodings re-added at every attention, ReLU MLP), but its MLP is
 * SAM 2's MLP class ({@code mlp.layers.0/1}) instead of {@code mlp.lin1/lin2}.
 */
public final class Sam2TwoWayTransformer extends Module {

    /** nn.LayerNorm's default epsilon, which the decoder uses. */
    private static final double EPS = 1e-5;

    private final Block[] layers;
    private final Attention finalAttention;
    private final LayerNorm finalNorm;

    public Sam2TwoWayTransformer(DecoderConfig c) {
        Sequence list = child("layers", new Sequence());
        layers = new Block[c.transformerDepth()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = list.add(new Block(c, i == 0));
        }
        int dim = c.promptEmbedDim();
        finalAttention = child("final_attn_token_to_image",
                new Attention(dim, c.transformerNumHeads(), c.attentionDownsampleRate(), dim));
        finalNorm = child("norm_final_attn", new LayerNorm(dim, EPS));
    }

    /** Attaches adapters to every block, as SAM 1's decoder gets them. */
    void addAdapters() {
        for (Block b : layers) {
            b.addAdapters();
        }
    }

    /** Attaches LoRA (B = 0) to the query and value projections of every attention, as SAM 1's decoder gets it. */
    void addLoRA(int rank, float scale) {
        java.util.List<Attention> all = new java.util.ArrayList<>();
        for (Block b : layers) {
            all.add(b.selfAttn);
            all.add(b.tokenToImage);
            all.add(b.imageToToken);
        }
        all.add(finalAttention);
        for (Attention a : all) {
            a.qProj.addLowRank("lora", 0, a.qProj.out(), rank, scale);
            a.vProj.addLowRank("lora", 0, a.vProj.out(), rank, scale);
        }
    }

    /**
     * @param image  (B, C, h, w) image features plus dense prompt embedding
     * @param pos    (B, C, h, w) positional encoding of the image grid
     * @param tokens (B, N, C) output and prompt tokens
     * @return the updated tokens (B, N, C) and image features (B, h*w, C)
     */
    public NDList forward(NDArray image, NDArray pos, NDArray tokens) {
        Shape s = image.getShape();
        NDArray keys = image.reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);
        NDArray keyPe = pos.reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);
        NDArray queries = tokens;
        for (Block layer : layers) {
            NDList qk = layer.forward(queries, keys, tokens, keyPe);
            queries = qk.get(0);
            keys = qk.get(1);
        }
        NDArray q = queries.add(tokens);
        NDArray k = keys.add(keyPe);
        queries = finalNorm.forward(queries.add(finalAttention.forward(q, k, keys)));
        return new NDList(queries, keys);
    }

    /** Self-attention of tokens, tokens to image, token MLP, image to tokens; each followed by a LayerNorm. */
    static final class Block extends Module {
        private final Attention selfAttn;
        private final LayerNorm norm1;
        private final Attention tokenToImage;
        private final LayerNorm norm2;
        private final Mlp mlp;
        private final LayerNorm norm3;
        private final LayerNorm norm4;
        private final Attention imageToToken;
        private final boolean skipFirstLayerPe;
        private Adapter adapter;
        private Adapter mlpAdapter;

        Block(DecoderConfig c, boolean skipFirstLayerPe) {
            int dim = c.promptEmbedDim();
            int heads = c.transformerNumHeads();
            int rate = c.attentionDownsampleRate();
            this.skipFirstLayerPe = skipFirstLayerPe;
            selfAttn = child("self_attn", new Attention(dim, heads, 1, dim));
            norm1 = child("norm1", new LayerNorm(dim, EPS));
            tokenToImage = child("cross_attn_token_to_image", new Attention(dim, heads, rate, dim));
            norm2 = child("norm2", new LayerNorm(dim, EPS));
            mlp = child("mlp", new Mlp(dim, c.transformerMlpDim(), dim, 2));
            norm3 = child("norm3", new LayerNorm(dim, EPS));
            norm4 = child("norm4", new LayerNorm(dim, EPS));
            imageToToken = child("cross_attn_image_to_token", new Attention(dim, heads, rate, dim));
        }

        NDList forward(NDArray queries, NDArray keys, NDArray queryPe, NDArray keyPe) {
            if (skipFirstLayerPe) {
                // The first layer replaces the tokens by their self-attention (no residual, no PE).
                queries = selfAttn.forward(queries, queries, queries);
            } else {
                NDArray q = queries.add(queryPe);
                queries = queries.add(selfAttn.forward(q, q, queries));
            }
            queries = norm1.forward(queries);
            NDArray q = queries.add(queryPe);
            NDArray k = keys.add(keyPe);
            queries = queries.add(tokenToImage.forward(q, k, keys));
            if (adapter != null) {
                queries = queries.add(adapter.forward(queries));
            }
            queries = norm2.forward(queries);
            NDArray m = mlp.forward(queries);
            if (mlpAdapter != null) {
                m = m.add(Ops.mulScalar(mlpAdapter.forward(queries), Adapter.MLP_SCALE));
            }
            queries = norm3.forward(queries.add(m));
            q = queries.add(queryPe);
            k = keys.add(keyPe);
            keys = keys.add(imageToToken.forward(k, q, queries));
            if (adapter != null) {
                // The same adapter serves tokens and image features, as SAM 1's decoder adapters (finetune-SAM).
                keys = keys.add(adapter.forward(keys));
            }
            keys = norm4.forward(keys);
            return new NDList(queries, keys);
        }

        /** A residual adapter after the token-to-image attention and a parallel one beside the MLP (B = 0: no change). */
        void addAdapters() {
            if (adapter != null) {
                throw new IllegalStateException("decoder block has adapters already");
            }
            long width = norm1.weight.shape().get(0);
            adapter = child("adapter", new Adapter(width, Adapter.hiddenFor(width)));
            mlpAdapter = child("adapter_mlp", new Adapter(width, Adapter.hiddenFor(width)));
        }
    }

    /**
     * Multi-head attention with separate q/k/v projections to a possibly smaller internal width; keys and values
     * may come from a narrower input ({@code kvInDim}, used by memory attention).
     */
    public static final class Attention extends Module {
        private final Linear qProj;
        private final Linear kProj;
        private final Linear vProj;
        private final Linear outProj;
        private final int heads;

        public Attention(int dim, int heads, int downsampleRate, int kvInDim) {
            int internal = dim / downsampleRate;
            if (internal % heads != 0) {
                throw new IllegalArgumentException("attention width " + internal + " is not divisible by " + heads + " heads");
            }
            this.heads = heads;
            qProj = child("q_proj", new Linear(dim, internal));
            kProj = child("k_proj", new Linear(kvInDim, internal));
            vProj = child("v_proj", new Linear(kvInDim, internal));
            outProj = child("out_proj", new Linear(internal, dim));
        }

        /** (B, Nq, dim), (B, Nk, kvInDim), (B, Nk, kvInDim) to (B, Nq, dim). */
        public NDArray forward(NDArray q, NDArray k, NDArray v) {
            NDArray qh = separate(qProj.forward(q));
            NDArray kh = separate(kProj.forward(k));
            NDArray vh = separate(vProj.forward(v));
            long perHead = qh.getShape().get(3);
            // The reference's scaled_dot_product_attention: softmax((q k^T) * head_dim^-0.5) v.
            float scale = (float) (1.0 / Math.sqrt(perHead));
            NDArray attn = Ops.mulScalar(qh.matMul(kh.transpose(0, 1, 3, 2)), scale).softmax(-1);
            NDArray out = attn.matMul(vh);
            Shape s = out.getShape();
            return outProj.forward(out.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3)));
        }

        private NDArray separate(NDArray x) {
            Shape s = x.getShape();
            return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
        }
    }
}
