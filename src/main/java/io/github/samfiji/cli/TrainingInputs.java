package io.github.samfiji.cli;

import io.github.samfiji.imagejio.TrainingData;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.Presets;

import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.StartModel;
import io.github.samfiji.training.TrainingSample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** What {@code finetune} and {@code study} train on and start from (a picocli mixin). */
final class TrainingInputs {

    @Option(names = "--images", required = true, description = "folder of images (2D images or stacks)")
    Path images;

    @Option(names = "--masks", required = true, description = "folder of label masks (> 0 = object) or RoiSets "
            + "(.zip/.roi; only slices with a ROI are used), names matching the images")
    Path masks;

    @Option(names = "--label", description = "with label images holding several labels: the one to learn (a number), "
            + "or 'all' for every label as one object; without it, masks must be binary (one value above 0)")
    String label;

    @Option(names = "--checkpoint", description = "model to start from (.pth or .safetensors)")
    Path checkpoint;

    @Option(names = "--config", description = "JSON model configuration (with --checkpoint: overrides; with "
            + "--from-scratch: the architecture)")
    Path config;

    @Option(names = "--preset", description = "architecture for --from-scratch: vit_b, vit_l, vit_h or vit_t")
    String preset;

    @Option(names = "--from-scratch", description = "start from random weights (with --preset or --config)")
    boolean fromScratch;

    @Option(names = "--train-prompt-encoder", description = "train the prompt encoder too (always with "
            + "--from-scratch; use it to continue training a model that started from random weights)")
    boolean trainPromptEncoder;

    /** Whether the prompt encoder learns: from random weights it must, or prompts carry too little signal. */
    boolean promptEncoderTrained() {
        return fromScratch || trainPromptEncoder;
    }

    @Option(names = "--input-size", description = "encoder input size (default: the model's; smaller trains faster)")
    Integer inputSize;

    /** Fails unless exactly one start was given. */
    void checkStart() {
        if ((checkpoint == null) == !fromScratch) {
            throw new IllegalArgumentException("give either --checkpoint FILE or --from-scratch with --preset NAME or "
                    + "--config JSON");
        }
    }

    List<TrainingSample> samples() throws IOException {
        return samplesFrom(images, masks);
    }

    /** Another data set read as the training data are (same --label). */
    List<TrainingSample> samplesFrom(Path imageFolder, Path maskFolder) throws IOException {
        return TrainingData.fromFolders(imageFolder, maskFolder, TrainingData.parseLabel(label));
    }

    /** The data, in words, for the model's JSON. */
    String dataDescription() {
        return images + " + " + masks + (label != null ? " (label " + label + ")" : "");
    }

    /** Where the weights came from, in words, for the model's JSON. */
    String source() {
        return checkpoint != null ? checkpoint.toString()
                : "random initialization (" + (preset != null ? preset : config) + ")";
    }

    /** The model to start from: the checkpoint, or random weights of a preset or JSON architecture; resized if asked. */
    SamModel loadModel(long seed) throws IOException {
        int size = inputSize == null ? 0 : inputSize;
        if (checkpoint != null) {
            return StartModel.fromCheckpoint(checkpoint, config, size);
        }
        if ((preset == null) == (config == null)) {
            throw new IllegalArgumentException("--from-scratch needs exactly one of --preset NAME or --config JSON");
        }
        return StartModel.fromScratch(preset != null ? Presets.get(preset) : ConfigJson.parse(Files.readString(config)),
                size, seed);
    }
}
