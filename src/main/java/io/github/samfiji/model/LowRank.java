package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;

/**
 * A LoRA update of a linear map: delta(x) = scale * B(A(x)), with A (rank, in) and B (out, rank). B starts at
 * zero, so a freshly attached update leaves the model's output unchanged.
 */
public final class LowRank extends Module {

    public final Param a;
    public final Param b;
    private final float scale;

    LowRank(long in, long out, int rank, float scale) {
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1 (got " + rank + ")");
        }
        a = param("A", rank, in);
        b = param("B", out, rank);
        this.scale = scale;
    }

    public float scale() {
        return scale;
    }

    NDArray delta(NDArray x) {
        NDArray low = ai.djl.nn.core.Linear.linear(x, a.value(), null).singletonOrThrow();
        return Ops.mulScalar(ai.djl.nn.core.Linear.linear(low, b.value(), null).singletonOrThrow(), scale);
    }

    /** The dense update scale * B·A, shape (out, in), to fold into the base weight. */
    public NDArray denseUpdate() {
        return b.value().matMul(a.value()).mul(scale);
    }
}
