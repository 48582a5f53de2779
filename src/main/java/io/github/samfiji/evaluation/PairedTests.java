package io.github.samfiji.evaluation;

import java.util.Arrays;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.special.Erf;
import org.apache.commons.math3.stat.inference.WilcoxonSignedRankTest;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

/**
 * Paired comparisons of two models on the same images: Wilcoxon signed-rank test (per-image Dice), McNemar test
 * (paired correct/incorrect decisions), DeLong test (two correlated AUCs), and the Bonferroni correction. All
 * tests are two-sided.
 */
public final class PairedTests {

    /**
     * Largest number of non-zero differences for the exact Wilcoxon p-value: Commons Math enumerates all 2^n sign
     * patterns (50 ms at n = 20, 2 s at 25); above it the normal approximation is used.
     */
    public static final int WILCOXON_EXACT_MAX = 20;
    /** McNemar's AUTO method uses the exact test below this many discordant pairs, chi-square from it on. */
    public static final int MCNEMAR_EXACT_BELOW = 25;

    private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1,
            NormalDistribution.DEFAULT_INVERSE_ABSOLUTE_ACCURACY);

    private PairedTests() {
    }

    /** How the Wilcoxon p-value is computed. */
    public enum WilcoxonMethod {
        /** Exact when there are at most {@link #WILCOXON_EXACT_MAX} differences, no zeros and no ties; else normal. */
        AUTO,
        /** Exact null distribution of the signed-rank sum (needs distinct non-zero |differences|). */
        EXACT,
        /** Normal approximation with the tie correction of the variance. */
        NORMAL
    }

    /** How the McNemar p-value is computed. */
    public enum McNemarMethod {
        /** Exact below {@link #MCNEMAR_EXACT_BELOW} discordant pairs, chi-square otherwise. */
        AUTO,
        /** Exact binomial test of b against Binomial(b + c, 1/2). */
        EXACT,
        /** Chi-square with one degree of freedom and Edwards' continuity correction. */
        CHI_SQUARE
    }

    /**
     * Result of a Wilcoxon signed-rank test of a - b.
     *
     * @param n pairs used (non-zero differences)
     * @param zeros pairs with a zero difference, left out (Wilcoxon's method)
     * @param wPlus sum of the ranks of the positive differences
     * @param wMinus sum of the ranks of the negative differences
     * @param statistic min(W+, W-), as scipy reports for the two-sided test
     * @param z normal score of W+ (positive when a tends to exceed b); NaN for the exact method
     * @param pValue two-sided p-value
     * @param method "exact", "normal" or "none" when all differences are zero (p = 1)
     * @param rankBiserial matched-pairs rank-biserial correlation (W+ - W-) / (W+ + W-), the effect size
     * @param medianDifference median of a - b over all pairs, zeros included
     */
    public record WilcoxonResult(int n, int zeros, double wPlus, double wMinus, double statistic, double z,
            double pValue, String method, double rankBiserial, double medianDifference) {
    }

    /**
     * Result of a McNemar test.
     *
     * @param onlyFirstCorrect b: decisions the first model got right and the second wrong
     * @param onlySecondCorrect c: decisions the second got right and the first wrong
     * @param statistic the chi-square statistic, or min(b, c) for the exact test
     * @param pValue two-sided p-value
     * @param method "exact", "chi-square" or "none" without discordant pairs (p = 1)
     * @param oddsRatio b / c, the effect size (infinite when c = 0 &lt; b, NaN when both are 0)
     */
    public record McNemarResult(long onlyFirstCorrect, long onlySecondCorrect, double statistic, double pValue,
            String method, double oddsRatio) {
    }

    /**
     * Result of a DeLong test of AUC(a) - AUC(b).
     *
     * @param positives positive cases
     * @param negatives negative cases
     * @param aucA AUC of the first scores
     * @param aucB AUC of the second
     * @param standardError DeLong's standard error of the difference
     * @param z (aucA - aucB) / standardError
     * @param pValue two-sided p-value from the normal distribution
     */
    public record DeLongResult(int positives, int negatives, double aucA, double aucB, double standardError,
            double z, double pValue) {

        public double difference() {
            return aucA - aucB;
        }
    }

    /** Wilcoxon signed-rank test with {@link WilcoxonMethod#AUTO} and no continuity correction. */
    public static WilcoxonResult wilcoxon(double[] a, double[] b) {
        return wilcoxon(a, b, WilcoxonMethod.AUTO, false);
    }

    /**
     * Wilcoxon signed-rank test of the paired differences a - b. Pairs with NaN on either side are left out; zero
     * differences are dropped before ranking (Wilcoxon's method, scipy's default {@code zero_method="wilcox"});
     * tied |differences| get average ranks.
     *
     * <p>The exact p-value is Apache Commons Math's {@link WilcoxonSignedRankTest}. The normal approximation is
     * computed here because Commons Math's omits the tie correction of the variance: var = n(n+1)(2n+1)/24 -
     * sum(t^3 - t)/48 over groups of t tied ranks, the same as scipy's {@code method="approx"}.
     *
     * @param continuityCorrection subtract 1/2 from |W+ - n(n+1)/4| in the normal approximation
     */
    public static WilcoxonResult wilcoxon(double[] a, double[] b, WilcoxonMethod method,
            boolean continuityCorrection) {
        if (a.length != b.length) {
            throw new EvaluationException("paired samples differ in length: " + a.length + " and " + b.length);
        }
        double[] all = new double[a.length];
        int pairs = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Double.isNaN(a[i]) && !Double.isNaN(b[i])) {
                all[pairs++] = a[i] - b[i];
            }
        }
        all = Arrays.copyOf(all, pairs);
        double medianDifference = SummaryStatistics.median(all);
        double[] d = Arrays.stream(all).filter(v -> v != 0).toArray();
        int n = d.length;
        int zeros = pairs - n;
        if (n == 0) {
            return new WilcoxonResult(0, zeros, 0, 0, 0, Double.NaN, pairs == 0 ? Double.NaN : 1, "none",
                    Double.NaN, medianDifference);
        }
        double[] magnitude = new double[n];
        for (int i = 0; i < n; i++) {
            magnitude[i] = Math.abs(d[i]);
        }
        double[] ranks = new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE).rank(magnitude);
        double wPlus = 0;
        double wMinus = 0;
        for (int i = 0; i < n; i++) {
            if (d[i] > 0) {
                wPlus += ranks[i];
            } else {
                wMinus += ranks[i];
            }
        }
        double tieTerm = tieTerm(magnitude);
        boolean ties = tieTerm > 0;
        boolean exact;
        switch (method) {
            case EXACT:
                if (ties) {
                    throw new EvaluationException("the exact Wilcoxon p-value needs distinct non-zero differences,"
                            + " but some are tied; use the normal approximation");
                }
                if (n > WILCOXON_EXACT_MAX) {
                    throw new EvaluationException("the exact Wilcoxon p-value is limited to " + WILCOXON_EXACT_MAX
                            + " pairs, got " + n + "; use the normal approximation");
                }
                exact = true;
                break;
            case NORMAL:
                exact = false;
                break;
            default:
                exact = !ties && zeros == 0 && n <= WILCOXON_EXACT_MAX;
        }
        double statistic = Math.min(wPlus, wMinus);
        double rankBiserial = (wPlus - wMinus) / (wPlus + wMinus);
        if (exact) {
            double p = new WilcoxonSignedRankTest(NaNStrategy.FAILED, TiesStrategy.AVERAGE)
                    .wilcoxonSignedRankTest(d, new double[n], true);
            return new WilcoxonResult(n, zeros, wPlus, wMinus, statistic, Double.NaN, Math.min(1, p), "exact",
                    rankBiserial, medianDifference);
        }
        double mean = n * (n + 1) / 4.0;
        double variance = n * (n + 1.0) * (2 * n + 1) / 24 - tieTerm / 48;
        double deviation = wPlus - mean;
        if (continuityCorrection) {
            deviation = Math.signum(deviation) * Math.max(0, Math.abs(deviation) - 0.5);
        }
        double z = variance > 0 ? deviation / Math.sqrt(variance) : 0;
        double p = Math.min(1, 2 * NORMAL.cumulativeProbability(-Math.abs(z)));
        return new WilcoxonResult(n, zeros, wPlus, wMinus, statistic, z, p, "normal", rankBiserial,
                medianDifference);
    }

    /** Sum of t^3 - t over groups of t equal values. */
    private static double tieTerm(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double term = 0;
        int i = 0;
        while (i < sorted.length) {
            int j = i + 1;
            while (j < sorted.length && sorted[j] == sorted[i]) {
                j++;
            }
            double t = j - i;
            term += t * t * t - t;
            i = j;
        }
        return term;
    }

    /**
     * McNemar test from paired decisions: {@code correctFirst[i]} and {@code correctSecond[i]} say whether each
     * model got case i right.
     */
    public static McNemarResult mcNemar(boolean[] correctFirst, boolean[] correctSecond, McNemarMethod method) {
        if (correctFirst.length != correctSecond.length) {
            throw new EvaluationException("paired decisions differ in length: " + correctFirst.length + " and "
                    + correctSecond.length);
        }
        long b = 0;
        long c = 0;
        for (int i = 0; i < correctFirst.length; i++) {
            if (correctFirst[i] && !correctSecond[i]) {
                b++;
            } else if (!correctFirst[i] && correctSecond[i]) {
                c++;
            }
        }
        return mcNemar(b, c, method);
    }

    /**
     * McNemar test from the discordant counts. Only b and c matter: the concordant pairs carry no information on
     * which model is better. Exact: two-sided binomial test of b against Binomial(b + c, 1/2), p = min(1, 2 P(X
     * &lt;= min(b, c))) (equal to scipy's {@code binomtest}). Chi-square: (max(0, |b - c| - 1))^2 / (b + c) with
     * one degree of freedom (Edwards' continuity correction, floored at 0 so that b = c gives p = 1).
     */
    public static McNemarResult mcNemar(long b, long c, McNemarMethod method) {
        if (b < 0 || c < 0) {
            throw new EvaluationException("discordant counts must be non-negative, got " + b + " and " + c);
        }
        long discordant = b + c;
        double oddsRatio = c == 0 ? (b == 0 ? Double.NaN : Double.POSITIVE_INFINITY) : (double) b / c;
        if (discordant == 0) {
            return new McNemarResult(b, c, 0, 1, "none", oddsRatio);
        }
        boolean exact = method == McNemarMethod.EXACT
                || (method == McNemarMethod.AUTO && discordant < MCNEMAR_EXACT_BELOW);
        if (exact) {
            if (discordant > Integer.MAX_VALUE) {
                throw new EvaluationException("too many discordant pairs (" + discordant + ") for the exact McNemar"
                        + " test; use chi-square");
            }
            long k = Math.min(b, c);
            double p = 2 * new BinomialDistribution(null, (int) discordant, 0.5).cumulativeProbability((int) k);
            return new McNemarResult(b, c, k, Math.min(1, p), "exact", oddsRatio);
        }
        double excess = Math.max(0, Math.abs((double) b - c) - 1);
        double statistic = excess * excess / discordant;
        // The upper tail of chi-square with one degree of freedom is erfc(sqrt(x / 2)), exact in the far tail
        // where 1 - cdf would cancel.
        double p = Erf.erfc(Math.sqrt(statistic / 2));
        return new McNemarResult(b, c, statistic, p, "chi-square", oddsRatio);
    }

    /**
     * DeLong test from scores of the same cases under two models.
     *
     * @param truth whether each case is positive
     * @param scoresA first model's scores
     * @param scoresB second model's scores
     */
    public static DeLongResult deLong(boolean[] truth, double[] scoresA, double[] scoresB) {
        if (truth.length != scoresA.length || truth.length != scoresB.length) {
            throw new EvaluationException("DeLong needs one score per case from each model: " + truth.length
                    + " cases, " + scoresA.length + " and " + scoresB.length + " scores");
        }
        int m = 0;
        for (boolean t : truth) {
            if (t) {
                m++;
            }
        }
        double[] posA = new double[m];
        double[] posB = new double[m];
        double[] negA = new double[truth.length - m];
        double[] negB = new double[truth.length - m];
        int i = 0;
        int j = 0;
        for (int k = 0; k < truth.length; k++) {
            if (truth[k]) {
                posA[i] = scoresA[k];
                posB[i++] = scoresB[k];
            } else {
                negA[j] = scoresA[k];
                negB[j++] = scoresB[k];
            }
        }
        return deLong(posA, negA, posB, negB);
    }

    /**
     * DeLong, DeLong and Clarke-Pearson (Biometrics 44, 1988) test of two correlated AUCs, computed with placement
     * values (Sun and Xu, IEEE Signal Processing Letters 21, 2014). For each model, a positive case's placement
     * V10 is the fraction of negatives it outscores and a negative's V01 the fraction of positives that outscore
     * it (ties one half); the AUC is the mean of either. The variance of the difference is
     * (S10_aa + S10_bb - 2 S10_ab) / m + (S01_aa + S01_bb - 2 S01_ab) / n with S the sample covariances (n - 1)
     * of the placements, and z = difference / sqrt(variance). When the variance is 0 (identical rankings) p is 1
     * for a zero difference and 0 otherwise.
     *
     * @param positivesA first model's scores of the positive cases
     * @param negativesA first model's scores of the negative cases
     * @param positivesB second model's scores of the same positive cases, in the same order
     * @param negativesB second model's scores of the same negative cases, in the same order
     */
    public static DeLongResult deLong(double[] positivesA, double[] negativesA, double[] positivesB,
            double[] negativesB) {
        int m = positivesA.length;
        int n = negativesA.length;
        if (positivesB.length != m || negativesB.length != n) {
            throw new EvaluationException("DeLong needs the scores of the same cases from both models");
        }
        if (m < 2 || n < 2) {
            throw new EvaluationException("DeLong needs at least two positive and two negative cases, got " + m
                    + " and " + n);
        }
        double[] sortedNegA = sortedCopy(negativesA);
        double[] sortedNegB = sortedCopy(negativesB);
        double[] sortedPosA = sortedCopy(positivesA);
        double[] sortedPosB = sortedCopy(positivesB);
        double[] v10a = Roc.placements(positivesA, sortedNegA);
        double[] v10b = Roc.placements(positivesB, sortedNegB);
        double[] v01a = complement(Roc.placements(negativesA, sortedPosA));
        double[] v01b = complement(Roc.placements(negativesB, sortedPosB));
        double aucA = Roc.aucOfSorted(sortedPosA, sortedNegA);
        double aucB = Roc.aucOfSorted(sortedPosB, sortedNegB);
        double variance = (covariance(v10a, v10a) + covariance(v10b, v10b) - 2 * covariance(v10a, v10b)) / m
                + (covariance(v01a, v01a) + covariance(v01b, v01b) - 2 * covariance(v01a, v01b)) / n;
        double difference = aucA - aucB;
        if (!(variance > 0)) {
            return new DeLongResult(m, n, aucA, aucB, 0, Double.NaN, difference == 0 ? 1 : 0);
        }
        double se = Math.sqrt(variance);
        double z = difference / se;
        double p = Math.min(1, 2 * NORMAL.cumulativeProbability(-Math.abs(z)));
        return new DeLongResult(m, n, aucA, aucB, se, z, p);
    }

    /**
     * Bonferroni correction: each p-value times the number of tests (the non-NaN entries), capped at 1. NaN stays
     * NaN.
     */
    public static double[] bonferroni(double[] pValues) {
        long tests = Arrays.stream(pValues).filter(p -> !Double.isNaN(p)).count();
        double[] adjusted = new double[pValues.length];
        for (int i = 0; i < pValues.length; i++) {
            adjusted[i] = Double.isNaN(pValues[i]) ? Double.NaN : Math.min(1, pValues[i] * tests);
        }
        return adjusted;
    }

    private static double[] sortedCopy(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted;
    }

    private static double[] complement(double[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = 1 - values[i];
        }
        return values;
    }

    private static double covariance(double[] x, double[] y) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= x.length;
        my /= y.length;
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += (x[i] - mx) * (y[i] - my);
        }
        return sum / (x.length - 1);
    }
}
