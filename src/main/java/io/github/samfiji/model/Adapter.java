package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import io.github.samfiji.model.Layers.Linear;

/**
 * A bottleneck adapter: Linear(width -> hidden), GELU, Linear(hidden -> width). Callers add its output to a
 * residual stream. The up-projection starts at zero so that a fresh adapter leaves the model unchanged (finetune-SAM
 * leaves it random instead, which changes a pretrained model's output before any training).
 */
public final class Adapter extends Module {

    /** Weight of an adapter placed beside an MLP (parallel), as in finetune-SAM. */
    public static final float MLP_SCALE = 0.5f;

    public final Linear down;
    public final Linear up;

    public Adapter(long width, long hidden) {
        down = child("down", new Linear(width, hidden));
        up = child("up", new Linear(hidden, width));
    }

    public NDArray forward(NDArray x) {
        return up.forward(Ops.gelu(down.forward(x)));
    }

    /** Hidden width: a quarter of the stream's width, as in the published adapters. */
    public static long hiddenFor(long width) {
        return Math.max(1, width / 4);
    }
}
