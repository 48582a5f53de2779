package io.github.samfiji.evaluation;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.stat.descriptive.moment.Mean;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;

/**
 * Summary of one metric over images: mean, sample standard deviation (n - 1), median and a percentile bootstrap
 * confidence interval of the mean. Undefined values (NaN) are left out, so each summary is over the images where
 * the metric is defined; {@link Summary#n()} says how many.
 */
public final class SummaryStatistics {

    /** Default number of bootstrap resamples. */
    public static final int DEFAULT_RESAMPLES = 2000;
    /** Default seed of the bootstrap. */
    public static final long DEFAULT_SEED = 42;

    private SummaryStatistics() {
    }

    /**
     * One metric's summary.
     *
     * @param n number of defined values
     * @param mean arithmetic mean
     * @param sd sample standard deviation (denominator n - 1); NaN for fewer than 2 values
     * @param median middle value, or the mean of the two middle values
     * @param ciLow lower end of the 95% percentile bootstrap interval of the mean
     * @param ciHigh upper end of that interval
     */
    public record Summary(int n, double mean, double sd, double median, double ciLow, double ciHigh) {
    }

    /**
     * Summarises the defined values.
     *
     * @param values one value per image; NaN values are ignored
     * @param resamples bootstrap resamples (0 for no interval)
     * @param seed bootstrap seed: the same seed and values give the same interval
     */
    public static Summary of(double[] values, int resamples, long seed) {
        double[] defined = defined(values);
        int n = defined.length;
        if (n == 0) {
            return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = new Mean().evaluate(defined);
        double sd = n < 2 ? Double.NaN : new StandardDeviation(true).evaluate(defined);
        double[] sorted = defined.clone();
        Arrays.sort(sorted);
        double median = quantileOfSorted(sorted, 0.5);
        double[] ci = resamples > 0 ? bootstrapMeanInterval(defined, resamples, seed, 0.95)
                : new double[] {Double.NaN, Double.NaN};
        return new Summary(n, mean, sd, median, ci[0], ci[1]);
    }

    /**
     * Percentile bootstrap interval of the mean: the values are resampled with replacement {@code resamples}
     * times (indices drawn from a {@link SplittableRandom} with the given seed), and the interval is given by the
     * (1 - level) / 2 and (1 + level) / 2 quantiles of the resampled means.
     */
    public static double[] bootstrapMeanInterval(double[] values, int resamples, long seed, double level) {
        if (resamples < 1) {
            throw new EvaluationException("the bootstrap needs at least one resample, got " + resamples);
        }
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("confidence level must lie in (0, 1), got " + level);
        }
        int n = values.length;
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += values[random.nextInt(n)];
            }
            means[b] = sum / n;
        }
        Arrays.sort(means);
        double alpha = (1 - level) / 2;
        return new double[] {quantileOfSorted(means, alpha), quantileOfSorted(means, 1 - alpha)};
    }

    /** Median of the defined values; NaN when there are none. */
    public static double median(double[] values) {
        double[] sorted = defined(values);
        Arrays.sort(sorted);
        return sorted.length == 0 ? Double.NaN : quantileOfSorted(sorted, 0.5);
    }

    /**
     * Quantile of sorted values with linear interpolation between order statistics (Hyndman and Fan's type 7,
     * numpy's default): position (n - 1) p.
     */
    public static double quantileOfSorted(double[] sorted, double p) {
        int n = sorted.length;
        if (n == 0) {
            return Double.NaN;
        }
        double h = (n - 1) * p;
        int lo = (int) Math.floor(h);
        if (lo >= n - 1) {
            return sorted[n - 1];
        }
        double fraction = h - lo;
        return sorted[lo] + fraction * (sorted[lo + 1] - sorted[lo]);
    }

    static double[] defined(double[] values) {
        return Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
    }
}
