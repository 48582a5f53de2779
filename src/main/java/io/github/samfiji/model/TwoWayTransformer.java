package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Layers.LayerNorm;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Named;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import java.util.List;

/**
 * The decoder's transformer: prompt tokens and image features attend to each other in both directions, with the
 * positional encodings re-added to queries and keys at every attention.
 */
public final class TwoWayTransformer extends Module {

    /** nn.LayerNorm's default epsilon, which the decoder uses (not the encoder's 1e-6). */
    private static final double EPS = 1e-5;

    /**
     * What differs between the two references' copies of this transformer (the computation is the same): the names
     * of the token MLP's layers, and how attention scores are scaled.
     */
    public enum Flavor {
        /** segment_anything: {@code mlp.lin1}, {@code mlp.lin2}; scores divided by sqrt(head width). */
        SAM("lin1", "lin2", false),
        /**
         * sam2: {@code mlp.layers.0}, {@code mlp.layers.1} (its MLP class); scores multiplied by 1 / sqrt(head width)
         * in float32, as its scaled_dot_product_attention does.
         */
        SAM2("layers.0", "layers.1", true);

        private final String firstMlp;
        private final String secondMlp;
        private final boolean reciprocalScale;

        Flavor(String firstMlp, String secondMlp, boolean reciprocalScale) {
            this.firstMlp = firstMlp;
            this.secondMlp = secondMlp;
            this.reciprocalScale = reciprocalScale;
        }
    }

    private final TwoWayBlock[] layers;
    private final Attention finalAttention;
    private final LayerNorm finalNorm;

    /** SAM 1's transformer. */
    public TwoWayTransformer(DecoderConfig c) {
        this(c, Flavor.SAM);
    }

    public TwoWayTransformer(DecoderConfig c, Flavor flavor) {
        Sequence list = child("layers", new Sequence());
        layers = new TwoWayBlock[c.transformerDepth()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = list.add(new TwoWayBlock(c, i == 0, flavor));
        }
        finalAttention = child("final_attn_token_to_image", new Attention(c.promptEmbedDim(), c.transformerNumHeads(),
                c.attentionDownsampleRate(), flavor.reciprocalScale));
        finalNorm = child("norm_final_attn", new LayerNorm(c.promptEmbedDim(), EPS));
    }

    /**
     * @param image  (B, C, h, w) image features plus dense prompt embedding
     * @param pos    (B, C, h, w) positional encoding of the image grid
     * @param tokens (B, N, C) output and prompt tokens
     * @return the updated tokens (B, N, C) and image features (B, h*w, C)
     */
    public NDList forward(NDArray image, NDArray pos, NDArray tokens) {
        return forward(prepare(image, pos), tokens);
    }

    /**
     * The part of the first block that reads only the image: its features as tokens and their projections for both
     * cross-attentions. For an image without a mask prompt it is the same for every prompt, so a predictor computes it
     * once per image; its batch is 1 and broadcasts over any batch of prompts.
     *
     * @param image (B, C, h, w) image features plus dense prompt embedding
     * @param pos   (B, C, h, w) positional encoding of the image grid
     */
    public ImageSide prepare(NDArray image, NDArray pos) {
        Shape s = image.getShape();
        NDArray keys = image.reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);
        NDArray keyPe = pos.reshape(pos.getShape().get(0), s.get(1), -1).transpose(0, 2, 1);
        NDArray keysWithPe = keys.add(keyPe);
        TwoWayBlock first = layers[0];
        return new ImageSide(keys, keyPe, first.tokenToImage.heads(first.tokenToImage.kProj, keysWithPe),
                first.tokenToImage.heads(first.tokenToImage.vProj, keys),
                first.imageToToken.heads(first.imageToToken.qProj, keysWithPe), s.get(2), s.get(3));
    }

    /**
     * Image tokens (B, h*w, C), their positional encoding, and the first block's per-head projections of them:
     * keys and values of tokens-to-image, queries of image-to-tokens; h and w are the grid's size.
     */
    public record ImageSide(NDArray keys, NDArray keyPe, NDArray firstKeys, NDArray firstValues,
                            NDArray firstImageQueries, long h, long w) {
        /** The arrays, for a caller that keeps them beyond a scope. */
        public NDList arrays() {
            return new NDList(keys, keyPe, firstKeys, firstValues, firstImageQueries);
        }
    }

    /**
     * @param image  the image side, from {@link #prepare}
     * @param tokens (B, N, C) output and prompt tokens
     * @return the updated tokens (B, N, C) and image features (B, h*w, C)
     */
    public NDList forward(ImageSide image, NDArray tokens) {
        NDArray keys = image.keys();
        NDArray keyPe = image.keyPe();
        NDArray queries = tokens;
        for (int i = 0; i < layers.length; i++) {
            NDList qk = layers[i].forward(queries, keys, tokens, keyPe, i == 0 ? image : null);
            queries = qk.get(0);
            keys = qk.get(1);
        }
        NDArray q = queries.add(tokens);
        NDArray k = keys.add(keyPe);
        NDArray attended = finalAttention.foldsImageProjections(tokens.getShape().get(1))
                ? finalAttention.tokensToImage(q, k, keys) : finalAttention.forward(q, k, keys);
        queries = finalNorm.forward(queries.add(attended));
        return new NDList(queries, keys);
    }

    /** Self-attention of tokens, tokens to image, token MLP, image to tokens; each followed by a LayerNorm. */
    static final class TwoWayBlock extends Module {
        private final Attention selfAttn;
        private final LayerNorm norm1;
        private final Attention tokenToImage;
        private final LayerNorm norm2;
        private final Linear lin1;
        private final Linear lin2;
        private final LayerNorm norm3;
        private final LayerNorm norm4;
        private final Attention imageToToken;
        private final boolean skipFirstLayerPe;
        private Adapter adapter;
        private Adapter mlpAdapter;

        TwoWayBlock(DecoderConfig c, boolean skipFirstLayerPe, Flavor flavor) {
            int dim = c.promptEmbedDim();
            int heads = c.transformerNumHeads();
            int rate = c.attentionDownsampleRate();
            boolean reciprocal = flavor.reciprocalScale;
            this.skipFirstLayerPe = skipFirstLayerPe;
            selfAttn = child("self_attn", new Attention(dim, heads, 1, reciprocal));
            norm1 = child("norm1", new LayerNorm(dim, EPS));
            tokenToImage = child("cross_attn_token_to_image", new Attention(dim, heads, rate, reciprocal));
            norm2 = child("norm2", new LayerNorm(dim, EPS));
            Named mlp = child("mlp", new Named());
            lin1 = mlp.add(flavor.firstMlp, new Linear(dim, c.transformerMlpDim()));
            lin2 = mlp.add(flavor.secondMlp, new Linear(c.transformerMlpDim(), dim));
            norm3 = child("norm3", new LayerNorm(dim, EPS));
            norm4 = child("norm4", new LayerNorm(dim, EPS));
            imageToToken = child("cross_attn_image_to_token", new Attention(dim, heads, rate, reciprocal));
        }

        /** {@code image} (may be null) holds this block's projections of {@code keys}, computed beforehand. */
        NDList forward(NDArray queries, NDArray keys, NDArray queryPe, NDArray keyPe, ImageSide image) {
            if (skipFirstLayerPe) {
                queries = selfAttn.forward(queries, queries, queries);
            } else {
                NDArray q = queries.add(queryPe);
                queries = queries.add(selfAttn.forward(q, q, queries));
            }
            queries = norm1.forward(queries);
            NDArray q = queries.add(queryPe);
            long tokens = queries.getShape().get(1);
            NDArray toImage;
            if (image != null) {
                toImage = tokenToImage.attendOneImage(tokenToImage.heads(tokenToImage.qProj, q), image.firstKeys(),
                        image.firstValues());
            } else if (tokenToImage.foldsImageProjections(tokens)) {
                toImage = tokenToImage.tokensToImage(q, keys.add(keyPe), keys);
            } else {
                toImage = tokenToImage.forward(q, keys.add(keyPe), keys);
            }
            queries = queries.add(toImage);
            if (adapter != null) {
                queries = queries.add(adapter.forward(queries));
            }
            queries = norm2.forward(queries);
            NDArray mlp = lin2.forward(Ops.relu(lin1.forward(queries)));
            if (mlpAdapter != null) {
                mlp = mlp.add(Ops.mulScalar(mlpAdapter.forward(queries), Adapter.MLP_SCALE));
            }
            queries = norm3.forward(queries.add(mlp));
            q = queries.add(queryPe);
            boolean fold = imageToToken.foldsImageProjections(tokens);
            NDArray fromTokens;
            if (image != null && fold) {
                fromTokens = imageToToken.projectedImageToTokens(image.firstImageQueries(), q, queries);
            } else if (image != null) {
                fromTokens = imageToToken.attend(image.firstImageQueries(), imageToToken.heads(imageToToken.kProj, q),
                        imageToToken.heads(imageToToken.vProj, queries));
            } else if (fold) {
                fromTokens = imageToToken.imageToTokens(keys.add(keyPe), q, queries);
            } else {
                fromTokens = imageToToken.forward(keys.add(keyPe), q, queries);
            }
            keys = keys.add(fromTokens);
            if (adapter != null) {
                // The same adapter serves tokens and image features, as in finetune-SAM.
                keys = keys.add(adapter.forward(keys));
            }
            keys = norm4.forward(keys);
            return new NDList(queries, keys);
        }

        List<Attention> attentions() {
            return List.of(selfAttn, tokenToImage, imageToToken);
        }

        void addAdapters() {
            if (adapter != null) {
                throw new IllegalStateException("decoder block has adapters already");
            }
            long width = norm1.weight.shape().get(0);
            adapter = child("adapter", new Adapter(width, Adapter.hiddenFor(width)));
            mlpAdapter = child("adapter_mlp", new Adapter(width, Adapter.hiddenFor(width)));
        }
    }

    List<TwoWayBlock> layers() {
        return List.of(layers);
    }

    /**
     * Attaches LoRA (B = 0, so nothing changes until trained) to the query and value projections of every attention:
     * the decoder's share of {@link Peft} for either family.
     */
    public void addQueryValueLoRA(int rank, float scale) {
        List<Attention> attentions = new java.util.ArrayList<>();
        for (TwoWayBlock block : layers) {
            attentions.addAll(block.attentions());
        }
        attentions.add(finalAttention);
        for (Attention a : attentions) {
            a.qProj().addLowRank("lora", 0, a.qProj().out(), rank, scale);
            a.vProj().addLowRank("lora", 0, a.vProj().out(), rank, scale);
        }
    }

    /** Attaches adapters to every block (the up-projections start at zero). */
    public void addAdapters() {
        for (TwoWayBlock block : layers) {
            block.addAdapters();
        }
    }

    Attention finalAttention() {
        return finalAttention;
    }

    /** Attention with separate q/k/v projections to a possibly smaller internal width. */
    static final class Attention extends Module {
        private final Linear qProj;
        private final Linear kProj;
        private final Linear vProj;
        private final Linear outProj;
        private final int heads;
        private final boolean reciprocalScale;

        Attention(int dim, int heads, int downsampleRate) {
            this(dim, heads, downsampleRate, false);
        }

        Attention(int dim, int heads, int downsampleRate, boolean reciprocalScale) {
            this.reciprocalScale = reciprocalScale;
            int internal = dim / downsampleRate;
            if (internal % heads != 0) {
                throw new IllegalArgumentException("attention width " + internal + " is not divisible by " + heads + " heads");
            }
            this.heads = heads;
            qProj = child("q_proj", new Linear(dim, internal));
            kProj = child("k_proj", new Linear(dim, internal));
            vProj = child("v_proj", new Linear(dim, internal));
            outProj = child("out_proj", new Linear(internal, dim));
        }

        /** Attention scores over sqrt(head width), as the flavor's reference computes it. */
        private NDArray scaled(NDArray scores, long perHead) {
            return reciprocalScale ? Ops.mulScalar(scores, (float) (1.0 / Math.sqrt(perHead)))
                    : Ops.divScalar(scores, (float) Math.sqrt(perHead));
        }

        Linear qProj() {
            return qProj;
        }

        Linear vProj() {
            return vProj;
        }

        NDArray forward(NDArray q, NDArray k, NDArray v) {
            return attend(heads(qProj, q), heads(kProj, k), heads(vProj, v));
        }

        /** A projection of x, split into heads: (B, heads, N, d). */
        NDArray heads(Linear projection, NDArray x) {
            return separate(projection.forward(x));
        }

        /** Attention of projected heads; a batch of 1 on any side broadcasts over the other's batch. */
        NDArray attend(NDArray qh, NDArray kh, NDArray vh) {
            long perHead = qh.getShape().get(3);
            NDArray attn = scaled(qh.matMul(kh.transpose(0, 1, 3, 2)), perHead).softmax(-1);
            NDArray out = attn.matMul(vh);
            Shape s = out.getShape();
            return outProj.forward(out.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3)));
        }

        /**
         * Whether attention between image tokens and {@code tokens} prompt tokens is cheaper with the image-side
         * projections folded into the tokens (see {@link #tokensToImage}, {@link #imageToTokens}): when heads x tokens
         * is below the internal width. Low-rank updates are folded with their weights ({@link Linear#effectiveWeight}),
         * so attaching a zero update changes no output bit.
         */
        boolean foldsImageProjections(long tokens) {
            return heads * tokens < qProj.out() && qProj.bias != null && kProj.bias != null && vProj.bias != null
                    && outProj.bias != null;
        }

        /**
         * Tokens q (B, N, C) attending to image tokens: keys (B, HW, C) with their positional encoding, values
         * (B, HW, C). The image's key and value projections are folded into the few tokens:
         * q_h . (W_kh x + b_kh) = (q_h W_kh) . x + q_h . b_kh, and since each row of attention weights sums to 1,
         * sum_i a_hi (W_vh x_i + b_vh) = W_vh (sum_i a_hi x_i) + b_vh. That is 2 HW C multiply-adds per head and
         * token instead of 2 HW C internal for the two projections of every image token.
         */
        NDArray tokensToImage(NDArray q, NDArray keys, NDArray values) {
            NDArray qh = heads(qProj, q);
            Shape s = qh.getShape();
            long b = s.get(0);
            long n = s.get(2);
            long d = s.get(3);
            long c = keys.getShape().get(2);
            NDArray queriesIn = qh.matMul(headWeights(kProj)).reshape(b, heads * n, c);
            NDArray scores = queriesIn.matMul(keys.transpose(0, 2, 1)).reshape(b, heads, n, -1)
                    .add(qh.matMul(headBias(kProj)));
            NDArray attn = scaled(scores, d).softmax(-1);
            NDArray mixed = attn.reshape(b, heads * n, -1).matMul(values).reshape(b, heads, n, c);
            NDArray out = mixed.matMul(headWeights(vProj).transpose(0, 2, 1)).add(vProj.bias.value().reshape(heads, 1, d));
            return outProj.forward(out.transpose(0, 2, 1, 3).reshape(b, n, heads * d));
        }

        /**
         * Image tokens x (B, HW, C) with their positional encoding attending to tokens k (B, N, C), values v: the
         * query projection is folded into the tokens' keys, x . (W_qh^T k_h) + b_qh . k_h, and the output projection
         * into their values, so no image-sized tensor is transposed. Scores are laid out (token, image position):
         * softmax over the few tokens then runs along a long contiguous axis (over a short last axis, libtorch's
         * softmax took a fifth of a point's decoding).
         */
        NDArray imageToTokens(NDArray x, NDArray k, NDArray v) {
            NDArray kh = heads(kProj, k);
            Shape s = kh.getShape();
            long b = s.get(0);
            long n = s.get(2);
            long c = x.getShape().get(2);
            NDArray keysIn = kh.matMul(headWeights(qProj)).reshape(b, heads * n, c);
            NDArray bias = kh.matMul(headBias(qProj)).reshape(b, heads * n, 1);
            NDArray scores = scaled(keysIn.matMul(x.transpose(0, 2, 1)).add(bias), s.get(3));
            NDArray attn = scores.reshape(b, heads, n, -1).softmax(2).reshape(b, heads * n, -1);
            return attn.transpose(0, 2, 1).matMul(valuesOut(heads(vProj, v))).add(outProj.bias.value());
        }

        /** As {@link #imageToTokens} for image queries already projected: qh (B or 1, heads, HW, d). */
        NDArray projectedImageToTokens(NDArray qh, NDArray k, NDArray v) {
            NDArray kh = heads(kProj, k);
            Shape s = kh.getShape();
            long b = s.get(0);
            long n = s.get(2);
            long d = s.get(3);
            long hw = qh.getShape().get(2);
            NDArray attn;
            if (b > 1 && qh.getShape().get(0) == 1) {
                // One image, a batch of prompts: all prompts' keys in one matMul per head, rather than the image's
                // queries copied for each prompt.
                NDArray keysAll = kh.transpose(1, 0, 2, 3).reshape(1, heads, b * n, d);
                NDArray scores = scaled(keysAll.matMul(qh.transpose(0, 1, 3, 2)), d);
                attn = scores.reshape(heads, b, n, hw).softmax(2).transpose(1, 0, 2, 3).reshape(b, heads * n, hw);
            } else {
                NDArray scores = scaled(kh.matMul(qh.transpose(0, 1, 3, 2)), d);
                attn = scores.softmax(2).reshape(b, heads * n, hw);
            }
            return attn.transpose(0, 2, 1).matMul(valuesOut(heads(vProj, v))).add(outProj.bias.value());
        }

        /**
         * As {@link #attend} for a batch of prompts' queries qh (B, heads, N, d) against the keys and values of one
         * image (batch 1): the prompts' tokens become rows of one matMul per head, where broadcasting would copy the
         * image's keys and values once per prompt.
         */
        NDArray attendOneImage(NDArray qh, NDArray kh, NDArray vh) {
            Shape s = qh.getShape();
            long b = s.get(0);
            if (b == 1) {
                return attend(qh, kh, vh);
            }
            long n = s.get(2);
            long d = s.get(3);
            NDArray stacked = qh.transpose(1, 0, 2, 3).reshape(1, heads, b * n, d);
            NDArray attn = scaled(stacked.matMul(kh.transpose(0, 1, 3, 2)), d).softmax(-1);
            NDArray out = attn.matMul(vh).reshape(heads, b, n, d).transpose(1, 2, 0, 3).reshape(b, n, heads * d);
            return outProj.forward(out);
        }

        /** Values vh (B, heads, N, d) through each head's part of the output projection: (B, heads N, C). */
        private NDArray valuesOut(NDArray vh) {
            Shape s = vh.getShape();
            long d = s.get(3);
            NDArray w = outProj.effectiveWeight().reshape(-1, heads, d).transpose(1, 2, 0);
            NDArray out = vh.matMul(w);
            return out.reshape(s.get(0), heads * s.get(2), out.getShape().get(3));
        }

        /** A projection's weight per head: (heads, d, in). */
        private NDArray headWeights(Linear projection) {
            return projection.effectiveWeight().reshape(heads, -1, projection.in());
        }

        /** A projection's bias per head: (heads, d, 1). */
        private NDArray headBias(Linear projection) {
            return projection.bias.value().reshape(heads, -1, 1);
        }

        private NDArray separate(NDArray x) {
            Shape s = x.getShape();
            return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
        }
    }
}
