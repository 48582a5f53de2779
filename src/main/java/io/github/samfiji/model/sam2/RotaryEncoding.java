package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Ops;

/**
 * Axial rotary position encoding (RoPE) of a square token grid, as SAM 2's memory attention applies it to queries
 * and keys: channel pairs (2m, 2m+1) of a head are rotated as complex numbers, the first half of the pairs by the
 * token's column times a frequency, the second half by its row. Frequencies are
 * {@code 1 / 10000^(4j/d)}, j < d/4, in float32 as the reference. Nothing is learned.
 */
final class RotaryEncoding {

    private static final double THETA = 10000.0;

    private RotaryEncoding() {
    }

    /**
     * cos and sin of every (token, pair) angle: two (tokens, d/2) float arrays, tokens row-major over a side x side
     * grid.
     */
    static float[][] table(int headDim, int side) {
        int quarter = headDim / 4;
        float[] freqs = new float[quarter];
        for (int j = 0; j < quarter; j++) {
            float exponent = (float) (4 * j) / (float) headDim;
            freqs[j] = (float) (1.0 / (float) Math.pow(THETA, exponent));
        }
        int tokens = side * side;
        int pairs = headDim / 2;
        float[] cos = new float[tokens * pairs];
        float[] sin = new float[tokens * pairs];
        for (int i = 0; i < tokens; i++) {
            float x = i % side;
            float y = i / side;
            for (int m = 0; m < pairs; m++) {
                float angle = m < quarter ? x * freqs[m] : y * freqs[m - quarter];
                cos[i * pairs + m] = (float) Math.cos(angle);
                sin[i * pairs + m] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }

    /**
     * Rotates the first {@code rotated} tokens of x (B, heads, N, d); they must be a whole number of grids of
     * {@code side} x {@code side} tokens (memory frames), each rotated by the same table. The rest (object pointers)
     * is left as it is.
     */
    static NDArray apply(NDArray x, int side, long rotated) {
        if (rotated == 0) {
            return x;
        }
        Shape s = x.getShape();
        int d = (int) s.get(3);
        int grid = side * side;
        if (rotated % grid != 0) {
            throw new IllegalArgumentException(rotated + " tokens are not whole " + side + " x " + side + " grids");
        }
        int repeats = (int) (rotated / grid);
        float[][] t = table(d, side);
        int pairs = d / 2;
        Shape tableShape = new Shape(grid, pairs);
        NDArray cos = Ops.constant(x.getManager(), t[0], tableShape);
        NDArray sin = Ops.constant(x.getManager(), t[1], tableShape);
        if (repeats > 1) {
            // The same table for every memory frame (DJL's PyTorch engine has no tile).
            Shape repeated = new Shape(repeats, grid, pairs);
            cos = cos.expandDims(0).broadcast(repeated).reshape(rotated, pairs);
            sin = sin.expandDims(0).broadcast(repeated).reshape(rotated, pairs);
        }
        NDArray head = rotated == s.get(2) ? x : x.get(new NDIndex(":, :, :{}, :", rotated));
        NDArray pairsView = head.reshape(s.get(0), s.get(1), rotated, pairs, 2);
        NDArray re = pairsView.get(new NDIndex("..., 0"));
        NDArray im = pairsView.get(new NDIndex("..., 1"));
        NDArray outRe = re.mul(cos).sub(im.mul(sin));
        NDArray outIm = re.mul(sin).add(im.mul(cos));
        NDArray out = NDArrays.stack(new NDList(outRe, outIm), -1).reshape(s.get(0), s.get(1), rotated, d);
        if (rotated == s.get(2)) {
            return out;
        }
        return out.concat(x.get(new NDIndex(":, :, {}:, :", rotated)), 2);
    }
}
