package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.LayerNorm;
import io.github.samfiji.model.Layers.LayerNorm2d;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Layers.Named;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;

/**
 * The modules SAM 2 uses only to track an object through a video or a stack: memory attention (the current frame's
 * features attend to stored memories) and the memory encoder (a predicted mask and the frame's features become a
 * memory). Named and shaped as the reference so that checkpoints load strictly.
 */
public final class Sam2MemoryModules {

    /** nn.LayerNorm's default epsilon, used by memory attention. */
    private static final double EPS = 1e-5;
    /** The reference adds the current frame's position encoding once, scaled down, before the first layer. */
    private static final float INPUT_POS_SCALE = 0.1f;

    private Sam2MemoryModules() {
    }

    /** Layers of self-attention and cross-attention to the memories (both with rotary position encoding). */
    public static final class MemoryAttention extends Module {
        private final Layer[] layers;
        private final LayerNorm norm;

        public MemoryAttention(int dModel, int memDim, int numLayers, int feedforward) {
            Sequence list = child("layers", new Sequence());
            layers = new Layer[numLayers];
            for (int i = 0; i < numLayers; i++) {
                layers[i] = list.add(new Layer(dModel, memDim, feedforward));
            }
            norm = child("norm", new LayerNorm(dModel, EPS));
        }

        /**
         * @param current       (1, HW, C) the frame's stride-16 features as tokens (row-major grid)
         * @param currentPos    (1, HW, C) their sine position encoding
         * @param memory        (1, M, memDim) memory tokens: whole frames of HW tokens, then object-pointer tokens
         * @param memoryPos     (1, M, memDim) their position encodings
         * @param pointerTokens how many of the last memory tokens are object pointers (not rotated)
         * @return (1, HW, C) the memory-conditioned features
         */
        public NDArray forward(NDArray current, NDArray currentPos, NDArray memory, NDArray memoryPos, int pointerTokens) {
            NDArray x = current.add(Ops.mulScalar(currentPos, INPUT_POS_SCALE));
            NDArray keys = memory.add(memoryPos);
            NDArray scopedOut = null;
            for (Layer layer : layers) {
                // Scoped per layer: at 1024 px the cross-attention scores of one layer reach ~0.5 GB. A layer's
                // output leaves every scope, so it is closed here once the next layer has used it.
                NDArray in = x;
                x = Ops.scoped(() -> layer.forward(in, keys, memory, pointerTokens));
                if (scopedOut != null) {
                    scopedOut.close();
                }
                scopedOut = x;
            }
            NDArray out = norm.forward(x);
            if (scopedOut != null) {
                scopedOut.close();
            }
            return out;
        }
    }

    /** One memory attention layer: self-attention, cross-attention to memories, ReLU MLP; each pre-normalized. */
    static final class Layer extends Module {
        private final RoPEAttention selfAttn;
        private final RoPEAttention crossAttn;
        private final Linear linear1;
        private final Linear linear2;
        private final LayerNorm norm1;
        private final LayerNorm norm2;
        private final LayerNorm norm3;

        Layer(int dModel, int memDim, int feedforward) {
            selfAttn = child("self_attn", new RoPEAttention(dModel, dModel));
            crossAttn = child("cross_attn_image", new RoPEAttention(dModel, memDim));
            linear1 = child("linear1", new Linear(dModel, feedforward));
            linear2 = child("linear2", new Linear(feedforward, dModel));
            norm1 = child("norm1", new LayerNorm(dModel, EPS));
            norm2 = child("norm2", new LayerNorm(dModel, EPS));
            norm3 = child("norm3", new LayerNorm(dModel, EPS));
        }

        /** The published configuration adds no position encoding to queries; keys already carry theirs. */
        NDArray forward(NDArray x, NDArray keys, NDArray values, int pointerTokens) {
            NDArray t = norm1.forward(x);
            x = x.add(selfAttn.forward(t, t, t, 0));
            t = norm2.forward(x);
            x = x.add(crossAttn.forward(t, keys, values, pointerTokens));
            t = norm3.forward(x);
            return x.add(linear2.forward(Ops.relu(linear1.forward(t))));
        }
    }

    /**
     * Single-head attention whose queries and (spatial) keys are rotated by their grid position. Queries form one
     * square grid; keys are several grids of the same size (memory frames) followed by tokens that have no position
     * on the grid (object pointers), which stay unrotated.
     */
    static final class RoPEAttention extends Module {
        private final Linear qProj;
        private final Linear kProj;
        private final Linear vProj;
        private final Linear outProj;

        RoPEAttention(int dim, int kvInDim) {
            qProj = child("q_proj", new Linear(dim, dim));
            kProj = child("k_proj", new Linear(kvInDim, dim));
            vProj = child("v_proj", new Linear(kvInDim, dim));
            outProj = child("out_proj", new Linear(dim, dim));
        }

        /** (1, Nq, dim), (1, Nk, kvInDim) x 2 to (1, Nq, dim); the last {@code unrotatedKeys} keys keep no position. */
        NDArray forward(NDArray q, NDArray k, NDArray v, int unrotatedKeys) {
            NDArray qh = qProj.forward(q).expandDims(1);
            NDArray kh = kProj.forward(k).expandDims(1);
            NDArray vh = vProj.forward(v).expandDims(1);
            long queries = qh.getShape().get(2);
            int side = (int) Math.round(Math.sqrt(queries));
            if ((long) side * side != queries) {
                throw new IllegalArgumentException("rotary attention needs a square grid of queries, got " + queries);
            }
            qh = RotaryEncoding.apply(qh, side, queries);
            kh = RotaryEncoding.apply(kh, side, kh.getShape().get(2) - unrotatedKeys);
            float scale = (float) (1.0 / Math.sqrt(qh.getShape().get(3)));
            NDArray attn = Ops.mulScalar(qh.matMul(kh.transpose(0, 1, 3, 2)), scale).softmax(-1);
            return outProj.forward(attn.matMul(vh).squeeze(1));
        }
    }

    /**
     * Turns a mask and the frame's features into a memory: the mask downsampled 16x by strided convolutions, added
     * to the projected features, fused by two ConvNeXt blocks, projected to the memory width.
     */
    public static final class MemoryEncoder extends Module {
        /** Each of the 4 stride-2 convolutions multiplies the mask channels by 4: 1, 4, 16, 64, 256. */
        private static final int DOWNSAMPLE_LAYERS = 4;

        private final Conv2d[] downConvs = new Conv2d[DOWNSAMPLE_LAYERS];
        private final LayerNorm2d[] downNorms = new LayerNorm2d[DOWNSAMPLE_LAYERS];
        private final Conv2d downOut;
        private final Conv2d pixFeatProj;
        private final ConvNeXtBlock[] fuser = new ConvNeXtBlock[2];
        private final Conv2d outProj;

        public MemoryEncoder(int dModel, int memDim) {
            Sequence encoder = child("mask_downsampler", new Named()).add("encoder", new Sequence());
            int in = 1;
            for (int i = 0; i < DOWNSAMPLE_LAYERS; i++) {
                int out = in * 4;
                downConvs[i] = encoder.at(3 * i, new Conv2d(in, out, 3, 2, 1, 1, true));
                downNorms[i] = encoder.at(3 * i + 1, new LayerNorm2d(out, 1e-6));
                in = out;
            }
            downOut = encoder.at(3 * DOWNSAMPLE_LAYERS, new Conv2d(in, dModel, 1, 1, 0, 1, true));
            pixFeatProj = child("pix_feat_proj", new Conv2d(dModel, dModel, 1, 1, 0, 1, true));
            Sequence layers = child("fuser", new Named()).add("layers", new Sequence());
            for (int i = 0; i < fuser.length; i++) {
                fuser[i] = layers.add(new ConvNeXtBlock(dModel));
            }
            outProj = child("out_proj", new Conv2d(dModel, memDim, 1, 1, 0, 1, true));
        }

        /**
         * @param pixFeat (1, C, S/16, S/16) the frame's stride-16 features (without the no-memory embedding)
         * @param mask    (1, 1, S, S) the mask already scaled to the memory encoder's range (m * 20 - 10)
         * @return (1, memDim, S/16, S/16) the memory features (before the no-object embedding)
         */
        public NDArray forward(NDArray pixFeat, NDArray mask) {
            NDArray m = mask;
            for (int i = 0; i < DOWNSAMPLE_LAYERS; i++) {
                m = Ops.gelu(downNorms[i].forward(downConvs[i].forward(m)));
            }
            m = downOut.forward(m);
            NDArray x = pixFeatProj.forward(pixFeat).add(m);
            for (ConvNeXtBlock block : fuser) {
                x = block.forward(x);
            }
            return outProj.forward(x);
        }
    }

    /** The fuser's block: depthwise 7x7 convolution, LayerNorm2d, pointwise MLP (GELU), scaled, residual. */
    static final class ConvNeXtBlock extends Module {
        final Param gamma;
        private final Conv2d dwconv;
        private final LayerNorm2d norm;
        private final Linear pwconv1;
        private final Linear pwconv2;

        ConvNeXtBlock(int dim) {
            gamma = param("gamma", dim);
            dwconv = child("dwconv", new Conv2d(dim, dim, 7, 1, 3, dim, true));
            norm = child("norm", new LayerNorm2d(dim, 1e-6));
            pwconv1 = child("pwconv1", new Linear(dim, 4L * dim));
            pwconv2 = child("pwconv2", new Linear(4L * dim, dim));
        }

        NDArray forward(NDArray x) {
            NDArray y = norm.forward(dwconv.forward(x)).transpose(0, 2, 3, 1);
            y = pwconv2.forward(Ops.gelu(pwconv1.forward(y))).mul(gamma.value());
            return x.add(y.transpose(0, 3, 1, 2));
        }
    }

    /** Shape helper for callers: tokens (1, HW, C) of an NCHW map. */
    public static NDArray tokens(NDArray nchw) {
        Shape s = nchw.getShape();
        return nchw.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).transpose(0, 2, 1);
    }
}
