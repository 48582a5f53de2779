package io.github.samfiji.cli;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.model.SamModel;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The model options every model-running subcommand shares (a picocli mixin). */
final class ModelOptions {

    @Option(names = "--checkpoint", required = true,
            description = "model file: a published SAM/MobileSAM/MedSAM .pth, a SAM 2.1 .pt (segment, propagate, auto), or a "
                    + "sam-fiji .safetensors")
    Path checkpoint;

    @Option(names = "--config", description = "JSON model configuration (fields override what the checkpoint shapes imply; "
            + "default: the checkpoint's name with .json, when present)")
    Path config;

    SamModel load() throws IOException {
        return ModelLoader.load(checkpoint, config);
    }
}
