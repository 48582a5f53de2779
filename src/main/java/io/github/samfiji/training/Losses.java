package io.github.samfiji.training;

import ai.djl.ndarray.NDArray;

/**
 * Segmentation losses on mask logits (B, 1, H, W) against targets in [0, 1] of the same shape.
 */
public final class Losses {

    /** MONAI's smoothing terms (smooth_nr = smooth_dr = 1e-5), as in the published recipe. */
    static final float SMOOTH = 1e-5f;

    private Losses() {
    }

    /**
     * Soft Dice loss with sigmoid probabilities and squared terms in the denominator (MONAI DiceLoss with
     * sigmoid=True, squared_pred=True): 1 − (2Σpg + s)/(Σp² + Σg² + s) per sample, averaged over the batch.
     */
    public static NDArray dice(NDArray logits, NDArray target) {
        NDArray p = ai.djl.nn.Activation.sigmoid(logits);
        int[] axes = spatialAxes(logits);
        NDArray intersection = p.mul(target).sum(axes);
        NDArray denominator = p.mul(p).sum(axes).add(target.mul(target).sum(axes));
        NDArray smooth = constant(logits, SMOOTH);
        NDArray ratio = intersection.mul(constant(logits, 2f)).add(smooth).div(denominator.add(smooth));
        return constant(logits, 1f).sub(ratio).mean();
    }

    /**
     * Binary cross-entropy on logits, mean over every pixel, in the numerically stable form
     * max(x, 0) − x·g + log(1 + e^−|x|). For one foreground class it equals the two-class softmax cross-entropy
     * of the published recipe with the background logit fixed at 0.
     */
    public static NDArray binaryCrossEntropy(NDArray logits, NDArray target) {
        NDArray positive = logits.maximum(constant(logits, 0f));
        NDArray softplus = logits.abs().neg().exp().add(constant(logits, 1f)).log();
        return positive.sub(logits.mul(target)).add(softplus).mean();
    }

    /** Dice + cross-entropy with equal weights: the automatic-mode objective. */
    public static NDArray diceCrossEntropy(NDArray logits, NDArray target) {
        return dice(logits, target).add(binaryCrossEntropy(logits, target));
    }

    /**
     * A scalar in libtorch-owned memory: DJL's scalar overloads (mul(Number) etc.) free their scalar right away,
     * while autograd keeps it for the backward pass (see {@link io.github.samfiji.model.Ops#mulScalar}).
     */
    private static NDArray constant(NDArray like, float value) {
        return like.getManager().full(new ai.djl.ndarray.types.Shape(), value);
    }

    private static int[] spatialAxes(NDArray x) {
        int d = x.getShape().dimension();
        int[] axes = new int[d - 1];
        for (int i = 1; i < d; i++) {
            axes[i - 1] = i;
        }
        return axes;
    }
}
