package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Layers.ConvTranspose2x2;
import io.github.samfiji.model.Layers.Embedding;
import io.github.samfiji.model.Layers.LayerNorm2d;
import io.github.samfiji.model.Layers.Mlp;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import java.util.function.BiConsumer;

/**
 * Predicts masks and their quality from an image embedding and prompt embeddings: a two-way transformer updates
 * output tokens and image features, the image features are upscaled 4x, and each mask token's hypernetwork MLP
 * gives the weights that turn the upscaled features into one mask.
 */
public final class MaskDecoder extends Module {

    private final int dim;
    private final int numMaskTokens;
    private final TwoWayTransformer transformer;
    private final Embedding iouToken;
    private final Embedding maskTokens;
    private final ConvTranspose2x2 up0;
    private final LayerNorm2d up1;
    private final ConvTranspose2x2 up3;
    private final Mlp[] hypernetworks;
    private final Mlp iouHead;

    public MaskDecoder(DecoderConfig c) {
        dim = c.promptEmbedDim();
        numMaskTokens = c.numMultimaskOutputs() + 1;
        transformer = child("transformer", new TwoWayTransformer(c));
        iouToken = child("iou_token", new Embedding(1, dim));
        maskTokens = child("mask_tokens", new Embedding(numMaskTokens, dim));
        Sequence up = child("output_upscaling", new Sequence());
        up0 = up.at(0, new ConvTranspose2x2(dim, dim / 4));
        up1 = up.at(1, new LayerNorm2d(dim / 4, 1e-6));
        up3 = up.at(3, new ConvTranspose2x2(dim / 4, dim / 8));
        Sequence hyper = child("output_hypernetworks_mlps", new Sequence());
        hypernetworks = new Mlp[numMaskTokens];
        for (int i = 0; i < numMaskTokens; i++) {
            hypernetworks[i] = hyper.add(new Mlp(dim, dim, dim / 8, 3));
        }
        iouHead = child("iou_prediction_head", new Mlp(dim, c.iouHeadHiddenDim(), numMaskTokens, c.iouHeadDepth()));
    }

    TwoWayTransformer transformer() {
        return transformer;
    }

    public int numMaskTokens() {
        return numMaskTokens;
    }

    /**
     * @param image  (1, C, g, g) image embedding
     * @param imagePe (1, C, g, g) dense positional encoding
     * @param sparse (B, N, C) sparse prompt embeddings
     * @param dense  (B, C, g, g) dense prompt embeddings
     * @param multimask true: the 3 ambiguity-aware masks; false: the single-mask output
     * @param probe  receives named intermediates (for parity tests), or null
     * @return masks (B, M, 4g, 4g) logits and iou predictions (B, M)
     */
    public NDList forward(NDArray image, NDArray imagePe, NDArray sparse, NDArray dense, boolean multimask,
                          BiConsumer<String, NDArray> probe) {
        long batch = sparse.getShape().get(0);
        NDArray src = (batch == 1 ? image : image.repeat(0, batch)).add(dense);
        NDArray pos = batch == 1 ? imagePe : imagePe.repeat(0, batch);
        return forward(transformer.prepare(src, pos), sparse, multimask, probe);
    }

    /**
     * What the decoder computes from the image alone, for prompts without a mask input (their dense embedding is
     * the learned no-mask embedding): every such prompt on the image reuses it.
     *
     * @param image     (1, C, g, g) image embedding
     * @param imagePe   (1, C, g, g) dense positional encoding
     * @param noMask    (1, C, g, g) the dense embedding of "no mask"
     */
    public TwoWayTransformer.ImageSide prepare(NDArray image, NDArray imagePe, NDArray noMask) {
        return transformer.prepare(image.add(noMask), imagePe);
    }

    /**
     * As {@link #forward(NDArray, NDArray, NDArray, NDArray, boolean, BiConsumer)} for prompts without a mask input,
     * from the image side {@link #prepare} computed once for the image.
     *
     * @param sparse (B, N, C) sparse prompt embeddings
     */
    public NDList forward(TwoWayTransformer.ImageSide image, NDArray sparse, boolean multimask,
                          BiConsumer<String, NDArray> probe) {
        NDList hsKeys = transform(image, sparse);
        emit(probe, "transformer_queries", hsKeys.get(0));
        emit(probe, "transformer_keys", hsKeys.get(1));
        NDArray masks = predictMasks(hsKeys.get(0), hsKeys.get(1), image, multimask, probe);
        NDArray iou = iouHead.forward(hsKeys.get(0).get(new NDIndex(":, 0, :")));
        emit(probe, "iou_all_tokens", iou);
        return new NDList(masks, iou.get(outputs(multimask)));
    }

    /**
     * The two-way transformer for a batch of prompts without a mask input: output tokens (B, N, C) and image
     * features (B, h*w, C), from which {@link #predictIou} and {@link #predictMasks} read.
     */
    public NDList transform(TwoWayTransformer.ImageSide image, NDArray sparse) {
        long batch = sparse.getShape().get(0);
        NDArray outputTokens = iouToken.weight.value().concat(maskTokens.weight.value(), 0)
                .expandDims(0).broadcast(new Shape(batch, 1 + numMaskTokens, dim));
        return transformer.forward(image, outputTokens.concat(sparse, 1));
    }

    /** Predicted IoU (B, M) of the masks {@link #predictMasks} would give: it needs no upscaling. */
    public NDArray predictIou(NDArray tokens, boolean multimask) {
        return iouHead.forward(tokens.get(new NDIndex(":, 0, :"))).get(outputs(multimask));
    }

    private static NDIndex outputs(boolean multimask) {
        return multimask ? new NDIndex(":, 1:") : new NDIndex(":, 0:1");
    }

    /**
     * Mask logits (B, M, 4h, 4w) from the transformer's output tokens (B, N, C) and image features (B, h*w, C).
     */
    public NDArray predictMasks(NDArray tokens, NDArray keys, TwoWayTransformer.ImageSide image, boolean multimask,
                                BiConsumer<String, NDArray> probe) {
        long batch = tokens.getShape().get(0);
        NDArray maskTokensOut = tokens.get(new NDIndex(":, 1:{}, :", 1 + numMaskTokens));
        // Upscaling stays channels-last (the image tokens already are): no large tensor is transposed, and the
        // sub-pixel order (y, x, dy1, dx1, dy2, dx2) is rearranged only on the masks, which have 1-3 channels, not 32.
        long h = image.h();
        long w = image.w();
        NDArray upscaled = Ops.gelu(up3.forwardChannelsLast(Ops.gelu(up1.forwardChannelsLast(up0.forwardChannelsLast(keys)))));
        long upDim = upscaled.getShape().get(2);
        if (probe != null) {
            emit(probe, "upscaled_embedding", upscaled.reshape(batch, h, w, 2, 2, 2, 2, upDim)
                    .transpose(0, 7, 1, 3, 5, 2, 4, 6).reshape(batch, upDim, 4 * h, 4 * w));
        }
        NDList hyper = new NDList();
        for (int i = 0; i < numMaskTokens; i++) {
            hyper.add(hypernetworks[i].forward(maskTokensOut.get(new NDIndex(":, {}, :", i))));
        }
        NDArray hyperIn = NDArrays.stack(hyper, 1);
        emit(probe, "hyper_in", hyperIn);
        NDArray kept = hyperIn.get(outputs(multimask));
        long count = kept.getShape().get(1);
        NDArray masks = upscaled.matMul(kept.transpose(0, 2, 1))
                .reshape(batch, h, w, 2, 2, 2, 2, count)
                .transpose(0, 7, 1, 3, 5, 2, 4, 6)
                .reshape(batch, count, 4 * h, 4 * w);
        return masks;
    }

    private static void emit(BiConsumer<String, NDArray> probe, String name, NDArray value) {
        if (probe != null) {
            probe.accept(name, value);
        }
    }
}
