package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.ConvTranspose2x2;
import io.github.samfiji.model.Layers.Embedding;
import io.github.samfiji.model.Layers.LayerNorm2d;
import io.github.samfiji.model.Layers.Mlp;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import java.util.function.BiConsumer;

/**
 * SAM 2's mask decoder. Compared with SAM 1 it adds an object-score token (does the prompt hit an object at all),
 * mixes the encoder's stride-4 and stride-8 features into the upscaling path, and squashes the IoU prediction with
 * a sigmoid. It returns every mask token's output; choosing among them is {@link MaskSelection}'s job.
 */
public final class Sam2MaskDecoder extends Module {

    private final int dim;
    private final int numMaskTokens;
    private final io.github.samfiji.model.TwoWayTransformer transformer;
    private final Embedding iouToken;
    private final Embedding maskTokens;
    private final Embedding objScoreToken;
    private final ConvTranspose2x2 up0;
    private final LayerNorm2d up1;
    private final ConvTranspose2x2 up3;
    private final Conv2d convS0;
    private final Conv2d convS1;
    private final Mlp[] hypernetworks;
    private final Mlp iouHead;
    private final Mlp objScoreHead;

    public Sam2MaskDecoder(DecoderConfig c) {
        dim = c.promptEmbedDim();
        numMaskTokens = c.numMultimaskOutputs() + 1;
        transformer = child("transformer", new io.github.samfiji.model.TwoWayTransformer(c,
                io.github.samfiji.model.TwoWayTransformer.Flavor.SAM2));
        iouToken = child("iou_token", new Embedding(1, dim));
        maskTokens = child("mask_tokens", new Embedding(numMaskTokens, dim));
        objScoreToken = child("obj_score_token", new Embedding(1, dim));
        Sequence up = child("output_upscaling", new Sequence());
        up0 = up.at(0, new ConvTranspose2x2(dim, dim / 4));
        up1 = up.at(1, new LayerNorm2d(dim / 4, 1e-6));
        up3 = up.at(3, new ConvTranspose2x2(dim / 4, dim / 8));
        convS0 = child("conv_s0", new Conv2d(dim, dim / 8, 1, 1, 0, 1, true));
        convS1 = child("conv_s1", new Conv2d(dim, dim / 4, 1, 1, 0, 1, true));
        Sequence hyper = child("output_hypernetworks_mlps", new Sequence());
        hypernetworks = new Mlp[numMaskTokens];
        for (int i = 0; i < numMaskTokens; i++) {
            hypernetworks[i] = hyper.add(new Mlp(dim, dim, dim / 8, 3));
        }
        iouHead = child("iou_prediction_head", new Mlp(dim, c.iouHeadHiddenDim(), numMaskTokens, c.iouHeadDepth()));
        objScoreHead = child("pred_obj_score_head", new Mlp(dim, dim, 1, 3));
    }

    io.github.samfiji.model.TwoWayTransformer transformer() {
        return transformer;
    }

    public int numMaskTokens() {
        return numMaskTokens;
    }

    /** The stride-4 features as the decoder mixes them in: (1, C, S/4, S/4) to (1, C/8, S/4, S/4). */
    public NDArray highResS0(NDArray level0) {
        return convS0.forward(level0);
    }

    /** The stride-8 features as the decoder mixes them in: (1, C, S/8, S/8) to (1, C/4, S/8, S/8). */
    public NDArray highResS1(NDArray level1) {
        return convS1.forward(level1);
    }

    /**
     * @param image     (1, C, g, g) image embedding (no-memory embedding already added)
     * @param imagePe   (1, C, g, g) dense positional encoding
     * @param sparse    (1, N, C) sparse prompt embeddings
     * @param dense     (1, C, g, g) dense prompt embeddings
     * @param highRes0  (1, C/8, 4g, 4g) projected stride-4 features
     * @param highRes1  (1, C/4, 2g, 2g) projected stride-8 features
     * @param probe     receives named intermediates (for parity tests), or null
     * @return masks of every token (1, 4, 4g, 4g) logits, their IoU predictions (1, 4) in [0, 1], and the object
     *         score logit (1, 1), and every mask token's output (1, 4, C) (tracking projects the chosen one into
     *         an object pointer)
     */
    public NDList forward(NDArray image, NDArray imagePe, NDArray sparse, NDArray dense, NDArray highRes0,
                          NDArray highRes1, BiConsumer<String, NDArray> probe) {
        long batch = sparse.getShape().get(0);
        if (batch != 1) {
            throw new IllegalArgumentException("the SAM 2 decoder takes one prompt set at a time, got " + batch);
        }
        NDArray outputTokens = NDArrays.concat(new NDList(objScoreToken.weight.value(), iouToken.weight.value(),
                maskTokens.weight.value()), 0).expandDims(0);
        NDArray tokens = outputTokens.concat(sparse, 1);
        emit(probe, "tokens_in", tokens);
        NDArray src = image.add(dense);
        Shape s = src.getShape();
        NDList hsKeys = transformer.forward(src, imagePe, tokens);
        NDArray hs = hsKeys.get(0);
        NDArray keys = hsKeys.get(1);
        emit(probe, "hs", hs);
        emit(probe, "src", keys);
        NDArray iouTokenOut = hs.get(new NDIndex(":, 1, :"));
        NDArray maskTokensOut = hs.get(new NDIndex(":, 2:{}, :", 2 + numMaskTokens));
        NDArray features = keys.transpose(0, 2, 1).reshape(batch, dim, s.get(2), s.get(3));
        NDArray x = Ops.gelu(up1.forward(up0.forward(features).add(highRes1)));
        NDArray upscaled = Ops.gelu(up3.forward(x).add(highRes0));
        emit(probe, "upscaled_embedding", upscaled);
        NDList hyper = new NDList();
        for (int i = 0; i < numMaskTokens; i++) {
            hyper.add(hypernetworks[i].forward(maskTokensOut.get(new NDIndex(":, {}, :", i))));
        }
        NDArray hyperIn = NDArrays.stack(hyper, 1);
        emit(probe, "hyper_in", hyperIn);
        Shape us = upscaled.getShape();
        NDArray masks = hyperIn.matMul(upscaled.reshape(batch, us.get(1), us.get(2) * us.get(3)))
                .reshape(batch, numMaskTokens, us.get(2), us.get(3));
        emit(probe, "masks_all_tokens", masks);
        NDArray iou = ai.djl.nn.Activation.sigmoid(iouHead.forward(iouTokenOut));
        emit(probe, "iou_all_tokens", iou);
        NDArray objectScore = objScoreHead.forward(hs.get(new NDIndex(":, 0, :")));
        return new NDList(masks, iou, objectScore, maskTokensOut);
    }

    private static void emit(BiConsumer<String, NDArray> probe, String name, NDArray value) {
        if (probe != null) {
            probe.accept(name, value);
        }
    }
}
