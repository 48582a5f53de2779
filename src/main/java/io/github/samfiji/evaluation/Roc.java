package io.github.samfiji.evaluation;

import java.util.Arrays;

/**
 * Area under the ROC curve from scores of positive and negative cases, as the Mann-Whitney statistic: the
 * probability that a random positive scores above a random negative, ties counting one half. This equals the
 * trapezoidal area under the empirical ROC curve (what scikit-learn's {@code roc_auc_score} computes), ties
 * included.
 */
public final class Roc {

    private Roc() {
    }

    /**
     * The AUC; NaN when either group is empty (the curve is undefined).
     *
     * @param positives scores of the cases that are positive in the truth (not modified)
     * @param negatives scores of the negative cases (not modified)
     */
    public static double auc(double[] positives, double[] negatives) {
        if (positives.length == 0 || negatives.length == 0) {
            return Double.NaN;
        }
        double[] p = positives.clone();
        double[] n = negatives.clone();
        Arrays.sort(p);
        Arrays.sort(n);
        return aucOfSorted(p, n);
    }

    /** The AUC of already sorted scores (ascending). */
    public static double aucOfSorted(double[] positives, double[] negatives) {
        if (positives.length == 0 || negatives.length == 0) {
            return Double.NaN;
        }
        checkNumbers(positives);
        checkNumbers(negatives);
        // Twice the count of (positive, negative) pairs ordered correctly, ties once: exact in a long.
        long twiceWins = 0;
        int below = 0;
        int belowOrEqual = 0;
        for (double score : positives) {
            while (below < negatives.length && negatives[below] < score) {
                below++;
            }
            if (belowOrEqual < below) {
                belowOrEqual = below;
            }
            while (belowOrEqual < negatives.length && negatives[belowOrEqual] <= score) {
                belowOrEqual++;
            }
            twiceWins += (long) below + belowOrEqual;
        }
        return twiceWins / (2.0 * positives.length * (double) negatives.length);
    }

    /**
     * Placement values: for each score, the fraction of {@code sortedOthers} below it, ties counting one half.
     * For a positive case against the negatives this is DeLong's V10 component; for a negative case against the
     * positives, one minus it is V01.
     */
    static double[] placements(double[] scores, double[] sortedOthers) {
        double[] placement = new double[scores.length];
        int n = sortedOthers.length;
        for (int i = 0; i < scores.length; i++) {
            int below = lowerBound(sortedOthers, scores[i]);
            int belowOrEqual = upperBound(sortedOthers, scores[i]);
            placement[i] = (below + belowOrEqual) / (2.0 * n);
        }
        return placement;
    }

    private static int lowerBound(double[] sorted, double key) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int upperBound(double[] sorted, double key) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static void checkNumbers(double[] sorted) {
        // Arrays.sort puts NaN last.
        if (Double.isNaN(sorted[sorted.length - 1])) {
            throw new EvaluationException("scores must be numbers (found NaN in the probability map)");
        }
    }
}
