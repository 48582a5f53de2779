package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.samfiji.model.Module;
import java.util.function.BiConsumer;

/**
 * SAM 2's image encoder: the Hiera trunk and the FPN neck. The coarsest pyramid level is computed and dropped
 * (the reference's scalp = 1), so three levels remain, at strides 4, 8 and 16.
 */
public final class Sam2ImageEncoder extends Module {

    private final Hiera trunk;
    private final FpnNeck neck;

    public Sam2ImageEncoder(Sam2Config c) {
        trunk = child("trunk", new Hiera(c.trunk()));
        neck = child("neck", new FpnNeck(c.trunk().backboneChannels(), c.hiddenDim()));
    }

    public Hiera trunk() {
        return trunk;
    }

    /**
     * @param image (1, 3, S, S) normalized input
     * @param probe receives the trunk's intermediates, {@code trunk_stage<i>} outputs and the dropped
     *              {@code neck_fpn3_dropped}, or null; it must copy what it keeps
     * @return the pyramid levels 0, 1, 2 (1, C, S/4 ...), finest first
     */
    public NDList forward(NDArray image, BiConsumer<String, NDArray> probe) {
        NDList stages = trunk.forward(image, probe);
        NDList levels;
        try {
            if (probe != null) {
                for (int i = 0; i < stages.size(); i++) {
                    probe.accept("trunk_stage" + i, stages.get(i));
                }
            }
            levels = neck.forward(stages);
        } finally {
            stages.close();
        }
        NDArray dropped = levels.get(levels.size() - 1);
        if (probe != null) {
            probe.accept("neck_fpn3_dropped", dropped);
        }
        dropped.close();
        return new NDList(levels.subList(0, levels.size() - 1));
    }
}
