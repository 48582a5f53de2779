package io.github.samfiji.training;

import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.model.sam2.Sam2Config;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.model.sam2.Sam2Peft;
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

    /**
     * A checkpoint of either family (SAM 1 or SAM 2.1, recognised by its tensor names), at the chosen input size (0:
     * its own). A SAM 2.1 model takes any multiple of 16 whose token grid fits Hiera's windows: its weights do not
     * depend on the size (Hiera resizes its position embedding).
     */
    public static LoadedModel anyFromCheckpoint(Path checkpoint, Path config, int inputSize) throws IOException {
        LoadedModel loaded = ModelLoader.loadAny(checkpoint, config);
        if (loaded instanceof LoadedModel.Sam1 sam1) {
            if (inputSize > 0 && inputSize != sam1.model().config().imageSize()) {
                try (SamModel original = sam1.model()) {
                    return new LoadedModel.Sam1(InputResize.resize(original, inputSize));
                }
            }
            return loaded;
        }
        Sam2Model sam2 = ((LoadedModel.Sam2) loaded).model();
        if (inputSize <= 0 || inputSize == sam2.config().imageSize()) {
            return loaded;
        }
        try (Sam2Model original = sam2) {
            if (Sam2Peft.hasLoRA(original)) {
                throw new IllegalArgumentException("a SAM 2.1 model fine-tuned with LoRA or adapters keeps its input size ("
                        + original.config().imageSize() + "); leave out --input-size");
            }
            return new LoadedModel.Sam2(resized(original, inputSize));
        }
    }

    /** Random weights ({@link Sam2Model#initializeRandom}) of a SAM 2.1 architecture, at {@code inputSize} (0: its own). */
    public static Sam2Model sam2FromScratch(Sam2Config architecture, int inputSize, long seed) {
        Sam2Config c = inputSize > 0 ? new Sam2Config(architecture.trunk(), architecture.hiddenDim(), inputSize,
                architecture.memDim(), architecture.memoryLayers(), architecture.memoryFeedforward(),
                architecture.numMaskmem()) : architecture;
        Sam2Model fresh = new Sam2Model(c);
        fresh.initializeRandom(seed);
        return fresh;
    }

    /** The same SAM 2.1 weights at another input size. */
    static Sam2Model resized(Sam2Model source, int inputSize) {
        Sam2Config c = source.config();
        Sam2Model out = new Sam2Model(new Sam2Config(c.trunk(), c.hiddenDim(), inputSize, c.memDim(), c.memoryLayers(),
                c.memoryFeedforward(), c.numMaskmem()));
        source.namedParams().forEach((name, p) -> out.setTensor(name, p.shape(),
                p.value().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()));
        return out;
    }

    /** Random weights (SAM's initialization, seeded) of {@code architecture}, at {@code inputSize} (0: its own). */
    public static SamModel fromScratch(SamConfig architecture, int inputSize, long seed) {
        SamConfig config = inputSize > 0 ? InputResize.configFor(architecture, inputSize) : architecture;
        SamModel fresh = new SamModel(config);
        fresh.initializeRandom(seed);
        return fresh;
    }
}
