package io.github.samfiji.training;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The model a fine-tuning run starts from, once for every front end: a checkpoint, or random weights of an
 * architecture; either at the chosen encoder input size.
 */
public final class StartModel {

    private StartModel() {
    }

    /**
     * @param config    JSON configuration overriding the checkpoint's own (null: sidecar or inferred)
     * @param inputSize encoder input size, or 0 for the model's own
     */
    public static SamModel fromCheckpoint(Path checkpoint, Path config, int inputSize) throws IOException {
        SamModel loaded = ModelLoader.load(checkpoint, config);
        if (inputSize > 0 && inputSize != loaded.config().imageSize()) {
            try (SamModel original = loaded) {
                return InputResize.resize(original, inputSize);
            }
        }
        return loaded;
    }

    /** Random weights (SAM's initialization, seeded) of {@code architecture}, at {@code inputSize} (0: its own). */
    public static SamModel fromScratch(SamConfig architecture, int inputSize, long seed) {
        SamConfig config = inputSize > 0 ? InputResize.configFor(architecture, inputSize) : architecture;
        SamModel fresh = new SamModel(config);
        fresh.initializeRandom(seed);
        return fresh;
    }
}
