package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;

/** Maps a normalized, padded image (B, 3, S, S) to its embedding (B, C, S/16, S/16). */
public interface ImageEncoder {

    NDArray forward(NDArray image);

    /** Called after each top-level stage with its output, for tests that compare intermediates; may be null. */
    interface Probe {
        void onStage(String name, NDArray output);
    }

    NDArray forward(NDArray image, Probe probe);

    /** How many times {@link Probe#onStage} is called in one forward pass (for progress fractions). */
    int stageCount();
}
