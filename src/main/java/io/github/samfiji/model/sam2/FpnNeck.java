package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.samfiji.model.Layers.Conv2d;
import io.github.samfiji.model.Layers.Named;
import io.github.samfiji.model.Layers.Sequence;
import io.github.samfiji.model.Module;
import io.github.samfiji.model.Ops;

/**
 * SAM 2's feature pyramid: a 1x1 convolution brings every backbone stage to the same width; the two coarsest
 * levels are fused top-down (the coarser one upsampled 2x, nearest), the two finest keep their lateral features.
 */
public final class FpnNeck extends Module {

    /** Levels (0 = finest) that receive the upsampled coarser level, as the reference's fpn_top_down_levels. */
    private static final int[] TOP_DOWN_LEVELS = {2, 3};

    private final Conv2d[] convs;

    /** @param backboneChannels stage widths from the coarsest to the finest, as the reference lists them */
    public FpnNeck(int[] backboneChannels, int dModel) {
        Sequence list = child("convs", new Sequence());
        convs = new Conv2d[backboneChannels.length];
        for (int i = 0; i < convs.length; i++) {
            convs[i] = list.add(new Named()).add("conv", new Conv2d(backboneChannels[i], dModel, 1, 1, 0, 1, true));
        }
    }

    /**
     * @param stages backbone outputs, finest first (NCHW)
     * @return one map per level, finest first, all {@code dModel} wide
     */
    public NDList forward(NDList stages) {
        int n = convs.length - 1;
        NDArray[] out = new NDArray[convs.length];
        NDArray previous = null;
        for (int i = n; i >= 0; i--) {
            NDArray x = stages.get(i);
            // convs[0] belongs to the coarsest stage.
            Conv2d conv = convs[n - i];
            NDArray above = previous;
            boolean fuse = above != null && isTopDown(i);
            NDArray level = Ops.scoped(() -> {
                NDArray lateral = conv.forward(x);
                return fuse ? lateral.add(above.repeat(2, 2).repeat(3, 2)) : lateral;
            });
            out[i] = level;
            previous = level;
        }
        return new NDList(out);
    }

    private static boolean isTopDown(int level) {
        for (int l : TOP_DOWN_LEVELS) {
            if (l == level) {
                return true;
            }
        }
        return false;
    }
}
