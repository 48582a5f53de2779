package io.github.samfiji.cli;

import io.github.samfiji.training.FineTuneOptions;
import picocli.CommandLine.Option;

/** How long and how fast a model trains: the options that {@code finetune} and {@code study} share. */
public final class TrainingSchedule {

    @Option(names = "--epochs", defaultValue = "" + FineTuneOptions.EPOCHS,
            description = "maximum epochs (per run in a study; default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--patience", defaultValue = "" + FineTuneOptions.PATIENCE,
            description = "epochs without a better validation score before stopping; 0 = never (default ${DEFAULT-VALUE})")
    int patience;

    @Option(names = "--batch", defaultValue = "" + FineTuneOptions.BATCH, description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--accumulate", defaultValue = "1", description = "micro-batches per optimizer step (default ${DEFAULT-VALUE})")
    int accumulate;

    @Option(names = "--lr", defaultValue = "" + FineTuneOptions.LEARNING_RATE, description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "" + FineTuneOptions.WEIGHT_DECAY,
            description = "decoupled weight decay (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--warmup", defaultValue = "" + FineTuneOptions.WARMUP,
            description = "linear warm-up iterations (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--decay", description = "poly decay after warm-up instead of a constant rate")
    boolean decay;

    @Option(names = "--no-augment", description = "no histogram equalization, colour jitter or flips")
    boolean noAugment;

    @Option(names = "--time-limit", description = "stop training after this many minutes (per run in a study; keeps "
            + "the best model, then evaluates)")
    Double timeLimit;

    FineTuneOptions options(long seed) {
        return new FineTuneOptions(lr, weightDecay, warmup, decay, batch, accumulate, epochs, patience, 1, !noAugment,
                seed);
    }
}
