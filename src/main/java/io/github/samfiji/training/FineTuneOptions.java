package io.github.samfiji.training;

/**
 * Hyperparameters of a fine-tuning run; defaults are the published recipe (Gu et al.): AdamW lr 1e-4, weight decay
 * 0.1, 200 warm-up iterations, batch 4, up to 200 epochs, early stopping after 20 epochs without a better
 * validation Dice.
 *
 * @param accumulation micro-batches whose gradients are summed (averaged) before one optimizer step
 * @param decay        poly decay after warm-up (else constant)
 * @param validateEvery validate every this many epochs
 * @param patience     epochs without a better validation Dice before stopping (0: never stop early)
 * @param augment      histogram equalization, colour jitter and flips on the training images
 */
public record FineTuneOptions(double learningRate, double weightDecay, int warmup, boolean decay, int batchSize,
                              int accumulation, int epochs, int patience, int validateEvery, boolean augment,
                              long seed) {

    public FineTuneOptions {
        if (batchSize < 1 || accumulation < 1 || epochs < 1 || validateEvery < 1 || patience < 0) {
            throw new IllegalArgumentException("batch size, accumulation, epochs and validation interval must be >= 1 "
                    + "and patience >= 0");
        }
        if (!(learningRate > 0) || weightDecay < 0 || warmup < 0) {
            throw new IllegalArgumentException("learning rate must be > 0, weight decay and warm-up >= 0");
        }
    }

    // The defaults, in one place: the command line's options and Fiji's fields are set from these.
    public static final double LEARNING_RATE = 1e-4;
    public static final double WEIGHT_DECAY = 0.1;
    public static final int WARMUP = 200;
    public static final int BATCH = 4;
    public static final int EPOCHS = 200;
    public static final int PATIENCE = 20;
    public static final long SEED = 42;

    public static FineTuneOptions defaults() {
        return new FineTuneOptions(LEARNING_RATE, WEIGHT_DECAY, WARMUP, false, BATCH, 1, EPOCHS, PATIENCE, 1, true,
                SEED);
    }

    public FineTuneOptions withEpochs(int n) {
        return new FineTuneOptions(learningRate, weightDecay, warmup, decay, batchSize, accumulation, n, patience,
                validateEvery, augment, seed);
    }

    public FineTuneOptions withLearningRate(double lr, int warmupIterations) {
        return new FineTuneOptions(lr, weightDecay, warmupIterations, decay, batchSize, accumulation, epochs, patience,
                validateEvery, augment, seed);
    }

    public FineTuneOptions withBatch(int batch, int accumulate) {
        return new FineTuneOptions(learningRate, weightDecay, warmup, decay, batch, accumulate, epochs, patience,
                validateEvery, augment, seed);
    }

    public FineTuneOptions withPatience(int p) {
        return new FineTuneOptions(learningRate, weightDecay, warmup, decay, batchSize, accumulation, epochs, p,
                validateEvery, augment, seed);
    }

    public FineTuneOptions withAugment(boolean a) {
        return new FineTuneOptions(learningRate, weightDecay, warmup, decay, batchSize, accumulation, epochs, patience,
                validateEvery, a, seed);
    }

    public FineTuneOptions withDecay(boolean d, double wd) {
        return new FineTuneOptions(learningRate, wd, warmup, d, batchSize, accumulation, epochs, patience,
                validateEvery, augment, seed);
    }
}
