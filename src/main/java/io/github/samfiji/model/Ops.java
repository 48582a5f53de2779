package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.LayerNorm;
import java.util.function.Supplier;

/** Tensor operations shared by the SAM modules, including exact replacements for ops DJL lacks. */
public final class Ops {

    private Ops() {
    }

    public static NDArray layerNorm(NDArray x, Param weight, Param bias, float eps) {
        return LayerNorm.layerNorm(x, new Shape(x.getShape().get(x.getShape().dimension() - 1)),
                weight.value(), bias.value(), eps).singletonOrThrow();
    }

    /** LayerNorm over the channel axis of an NCHW tensor (SAM's LayerNorm2d). */
    public static NDArray layerNorm2d(NDArray x, Param weight, Param bias, float eps) {
        return layerNorm(x.transpose(0, 2, 3, 1), weight, bias, eps).transpose(0, 3, 1, 2);
    }

    public static NDArray conv2d(NDArray x, Param weight, Param bias, int stride, int padding, int groups) {
        return Conv2d.conv2d(x, weight.value(), bias == null ? null : bias.value(), new Shape(stride, stride),
                new Shape(padding, padding), new Shape(1, 1), groups).singletonOrThrow();
    }

    /**
     * x · value with the scalar held in libtorch-owned memory. DJL's {@code mul(Number)} wraps the scalar around a
     * Java buffer and closes it at once; autograd saves that scalar for the backward pass, which then reads freed
     * memory once the garbage collector has run (corrupted gradients, seen as sporadic NaN in training).
     */
    public static NDArray mulScalar(NDArray x, float value) {
        return x.mul(x.getManager().full(new Shape(), value));
    }

    /** x / value, safe for backward passes (see {@link #mulScalar}). */
    public static NDArray divScalar(NDArray x, float value) {
        return x.div(x.getManager().full(new Shape(), value));
    }

    /**
     * An array of Java data in libtorch-owned memory. DJL's {@code create} only borrows a Java direct buffer, which
     * is freed once the array is closed and collected; an array that autograd saves for the backward pass (an index,
     * a resize matrix, a view of an input) then reads freed memory when a scope closed it before the backward pass
     * (vit_t training died with garbage indices). Every Java-to-tensor conversion in sam-fiji goes through here.
     */
    public static NDArray constant(NDManager m, float[] data, Shape shape) {
        try (NDArray borrowed = m.create(data, shape)) {
            return borrowed.duplicate();
        }
    }

    /** As {@link #constant(NDManager, float[], Shape)} for int64 data (indices). */
    public static NDArray constant(NDManager m, long[] data, Shape shape) {
        try (NDArray borrowed = m.create(data, shape)) {
            return borrowed.duplicate();
        }
    }

    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    public static NDArray relu(NDArray x) {
        return Activation.relu(x);
    }

    /**
     * ConvTranspose2d with kernel 2 and stride 2 (not implemented by DJL's PyTorch engine): each input pixel is
     * scattered into a 2x2 output block, which is a matMul over channels followed by a reshape.
     * Weight layout as PyTorch: (in, out, 2, 2).
     */
    public static NDArray convTranspose2x2(NDArray x, Param weight, Param bias) {
        Shape s = x.getShape();
        long b = s.get(0);
        long cin = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        long cout = weight.shape().get(1);
        NDArray y = x.transpose(0, 2, 3, 1).matMul(weight.value().reshape(cin, cout * 4))
                .reshape(b, h, w, cout, 2, 2)
                .transpose(0, 3, 1, 4, 2, 5)
                .reshape(b, cout, h * 2, w * 2);
        return y.add(bias.value().reshape(1, cout, 1, 1));
    }

    /**
     * ConvTranspose2d with kernel 2 and stride 2 on channels-last pixels: x (B, P, in) -> (B, 4P, out), where each
     * input pixel p becomes the four rows 4p + 2dy + dx. No tensor is transposed: the weight's columns are put in
     * (dy, dx, out) order instead, so a chain of these keeps sub-pixels in order (y, x, dy1, dx1, dy2, dx2, ...)
     * until the caller rearranges the final, smallest, result.
     */
    public static NDArray convTranspose2x2ChannelsLast(NDArray x, Param weight, Param bias) {
        Shape s = x.getShape();
        long cin = weight.shape().get(0);
        long cout = weight.shape().get(1);
        NDArray w = weight.value().transpose(0, 2, 3, 1).reshape(cin, 4 * cout);
        return x.matMul(w).reshape(s.get(0), s.get(1) * 4, cout).add(bias.value());
    }

    /**
     * Runs {@code step} so that every intermediate it creates is freed when it returns; only the result survives.
     * DJL keeps arrays until their manager closes, so without this one ViT-B image peaks at ~19 GB.
     */
    public static NDArray scoped(Supplier<NDArray> step) {
        try (NDScope scope = new NDScope()) {
            NDArray out = step.get();
            NDScope.unregister(out);
            return out;
        }
    }


    /**
     * The 1-D linear interpolation matrix of PyTorch's {@code F.interpolate(mode="bilinear"/"linear",
     * align_corners=False)} without antialiasing, shape (out, in). Applying it on both axes reproduces PyTorch's
     * default bilinear resize both up and down (DJL's own interpolation always antialiases when downsampling).
     */
    public static float[] linearResizeMatrix(int in, int out) {
        float[] m = new float[out * in];
        float scale = (float) in / out;
        for (int o = 0; o < out; o++) {
            float src = scale * (o + 0.5f) - 0.5f;
            if (src < 0) {
                src = 0;
            }
            int i0 = (int) src;
            int i1 = i0 < in - 1 ? i0 + 1 : i0;
            float l1 = src - i0;
            float l0 = 1f - l1;
            m[o * in + i0] += l0;
            m[o * in + i1] += l1;
        }
        return m;
    }

    /** Bilinear resize (PyTorch default semantics) of the last two axes of x to (outH, outW). */
    public static NDArray resizeBilinear(NDArray x, int outH, int outW) {
        return resizeBilinearCropped(x, outH, outW, outH, outW);
    }

    /**
     * Bilinear resize of the last two axes to (outH, outW), keeping only the top-left (keepH, keepW) of the result.
     * Only the kept rows of the interpolation matrices are applied, which gives exactly the cropped result for less
     * work; a resize to the same size is the identity and is skipped.
     */
    public static NDArray resizeBilinearCropped(NDArray x, int outH, int outW, int keepH, int keepW) {
        Shape s = x.getShape();
        int d = s.dimension();
        int h = (int) s.get(d - 2);
        int w = (int) s.get(d - 1);
        long[] dims = s.getShape().clone();
        dims[d - 2] = keepH;
        dims[d - 1] = keepW;
        if (h == outH && w == outW) {
            return keepH == h && keepW == w ? x : x.get(cropIndex(d, keepH, keepW));
        }
        NDManager m = x.getManager();
        float[] rows = java.util.Arrays.copyOf(linearResizeMatrix(h, outH), keepH * h);
        float[] cols = java.util.Arrays.copyOf(linearResizeMatrix(w, outW), keepW * w);
        NDArray ry = constant(m, rows, new Shape(keepH, h));
        NDArray rxT = constant(m, cols, new Shape(keepW, w)).transpose();
        NDArray flat = x.reshape(-1, h, w);
        NDArray out = ry.expandDims(0).matMul(flat).matMul(rxT.expandDims(0));
        return out.reshape(new Shape(dims));
    }

    private static ai.djl.ndarray.index.NDIndex cropIndex(int dims, int keepH, int keepW) {
        return new ai.djl.ndarray.index.NDIndex(":,".repeat(dims - 2) + ":{}, :{}", keepH, keepW);
    }
}
