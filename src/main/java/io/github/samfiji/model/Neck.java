package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.LayerNorm2d;

/**
 * The encoders' neck, shared by ViT and TinyViT: 1x1 conv to the embedding width, LayerNorm2d, 3x3 conv,
 * LayerNorm2d (children 0..3, as in the reference nn.Sequential).
 */
final class Neck extends Layers.Sequence {

    private final Conv2d reduce;
    private final LayerNorm2d norm1;
    private final Conv2d conv;
    private final LayerNorm2d norm2;

    Neck(int in, int out) {
        reduce = add(new Conv2d(in, out, 1, 1, 0, 1, false));
        norm1 = add(new LayerNorm2d(out, 1e-6));
        conv = add(new Conv2d(out, out, 3, 1, 1, 1, false));
        norm2 = add(new LayerNorm2d(out, 1e-6));
    }

    /** (B, C, H, W) features to the (B, out, H, W) image embedding. */
    NDArray forward(NDArray nchw) {
        return norm2.forward(conv.forward(norm1.forward(reduce.forward(nchw))));
    }
}
