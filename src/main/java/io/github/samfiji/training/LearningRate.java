package io.github.samfiji.training;

/**
 * The learning-rate schedule of the published recipe: linear warm-up to the base rate over {@code warmup}
 * iterations (iteration i, 0-based, uses base·(i+1)/warmup), then either constant or a polynomial decay
 * base·(1 − t)^0.9, where t is the fraction of the post-warm-up iterations already done.
 */
public record LearningRate(double base, int warmup, boolean decay, long totalIterations) {

    public static final double DECAY_POWER = 0.9;

    public LearningRate {
        if (!(base > 0) || warmup < 0) {
            throw new IllegalArgumentException("learning rate must be > 0 and warm-up >= 0 (got " + base + ", " + warmup + ")");
        }
    }

    public double at(long iteration) {
        if (iteration < warmup) {
            return base * (iteration + 1) / warmup;
        }
        if (!decay || totalIterations <= warmup) {
            return base;
        }
        double done = Math.min(1.0, (iteration - warmup) / (double) (totalIterations - warmup));
        return base * Math.pow(1 - done, DECAY_POWER);
    }
}
