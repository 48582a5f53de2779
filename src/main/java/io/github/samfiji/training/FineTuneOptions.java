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

    public static FineTuneOptions defaults() {
        return new FineTuneOptions(1e-4, 0.1, 200, false, 4, 1, 200, 20, 1, true, 42);
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
