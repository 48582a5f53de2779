package io.github.samfiji.model.sam2;

import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.LayerNorm;
import io.github.samfiji.model.Layers.LayerNorm2d;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Named;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Param;

/**
 * The modules SAM 2 uses only to track an object through a video or a stack: memory attention (the current frame's
 * features attend to stored memories) and the memory encoder (a predicted mask and the frame's features become a
 * memory). Declared with the reference's names and shapes so that checkpoints load strictly; the image path does not
 * run them.
 */
public final class Sam2MemoryModules {

    /** nn.LayerNorm's default epsilon, used by memory attention. */
    private static final double EPS = 1e-5;

    private Sam2MemoryModules() {
    }

    /** Layers of self-attention and cross-attention to the memories (both with rotary position encoding). */
    public static final class MemoryAttention extends Module {
        public MemoryAttention(int dModel, int memDim, int numLayers, int feedforward) {
            Sequence layers = child("layers", new Sequence());
            for (int i = 0; i < numLayers; i++) {
                layers.add(new Layer(dModel, memDim, feedforward));
            }
            child("norm", new LayerNorm(dModel, EPS));
        }
    }

    /** One memory attention layer: self-attention, cross-attention to memories, ReLU MLP; each pre-normalized. */
    static final class Layer extends Module {
        Layer(int dModel, int memDim, int feedforward) {
            child("self_attn", new Sam2TwoWayTransformer.Attention(dModel, 1, 1, dModel));
            child("cross_attn_image", new Sam2TwoWayTransformer.Attention(dModel, 1, 1, memDim));
            child("linear1", new Linear(dModel, feedforward));
            child("linear2", new Linear(feedforward, dModel));
            child("norm1", new LayerNorm(dModel, EPS));
            child("norm2", new LayerNorm(dModel, EPS));
            child("norm3", new LayerNorm(dModel, EPS));
        }
    }

    /**
     * Turns a mask and the frame's features into a memory: the mask downsampled 16x by strided convolutions, added
     * to the projected features, fused by two ConvNeXt blocks, projected to the memory width.
     */
    public static final class MemoryEncoder extends Module {
        /** Each of the 4 stride-2 convolutions multiplies the mask channels by 4: 1, 4, 16, 64, 256. */
        private static final int DOWNSAMPLE_LAYERS = 4;

        public MemoryEncoder(int dModel, int memDim) {
            Sequence encoder = child("mask_downsampler", new Named()).add("encoder", new Sequence());
            int in = 1;
            for (int i = 0; i < DOWNSAMPLE_LAYERS; i++) {
                int out = in * 4;
                encoder.at(3 * i, new Conv2d(in, out, 3, 2, 1, 1, true));
                encoder.at(3 * i + 1, new LayerNorm2d(out, 1e-6));
                in = out;
            }
            encoder.at(3 * DOWNSAMPLE_LAYERS, new Conv2d(in, dModel, 1, 1, 0, 1, true));
            child("pix_feat_proj", new Conv2d(dModel, dModel, 1, 1, 0, 1, true));
            Sequence fuser = child("fuser", new Named()).add("layers", new Sequence());
            fuser.add(new ConvNeXtBlock(dModel));
            fuser.add(new ConvNeXtBlock(dModel));
            child("out_proj", new Conv2d(dModel, memDim, 1, 1, 0, 1, true));
        }
    }

    /** The fuser's block: depthwise 7x7 convolution, LayerNorm2d, pointwise MLP (GELU), scaled, residual. */
    static final class ConvNeXtBlock extends Module {
        final Param gamma;

        ConvNeXtBlock(int dim) {
            gamma = param("gamma", dim);
            child("dwconv", new Conv2d(dim, dim, 7, 1, 3, dim, true));
            child("norm", new LayerNorm2d(dim, 1e-6));
            child("pwconv1", new Linear(dim, 4L * dim));
            child("pwconv2", new Linear(4L * dim, dim));
        }
    }
}
