package io.github.samfiji.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SummaryStatisticsTest {

    private static final double EPS = 1e-12;

    @Test
    void meanSdMedianByHand() {
        SummaryStatistics.Summary s = SummaryStatistics.of(new double[] {4, Double.NaN, 1, 3, 2}, 100, 1);
        assertEquals(4, s.n());
        assertEquals(2.5, s.mean(), EPS);
        assertEquals(Math.sqrt(5.0 / 3), s.sd(), EPS);
        assertEquals(2.5, s.median(), EPS);
        SummaryStatistics.Summary odd = SummaryStatistics.of(new double[] {5, 1, 3}, 0, 1);
        assertEquals(3, odd.median(), EPS);
        assertTrue(Double.isNaN(odd.ciLow()));
    }

    @Test
    void degenerateSamples() {
        SummaryStatistics.Summary none = SummaryStatistics.of(new double[] {Double.NaN}, 100, 1);
        assertEquals(0, none.n());
        assertTrue(Double.isNaN(none.mean()));
        SummaryStatistics.Summary one = SummaryStatistics.of(new double[] {0.7}, 100, 1);
        assertEquals(0.7, one.mean(), EPS);
        assertTrue(Double.isNaN(one.sd()));
        assertEquals(0.7, one.ciLow(), EPS);
        assertEquals(0.7, one.ciHigh(), EPS);
    }

    @Test
    void quantileInterpolatesLinearly() {
        double[] sorted = {0, 0, 6};
        assertEquals(5.4, SummaryStatistics.quantileOfSorted(sorted, 0.95), EPS);
        assertEquals(0, SummaryStatistics.quantileOfSorted(sorted, 0), EPS);
        assertEquals(6, SummaryStatistics.quantileOfSorted(sorted, 1), EPS);
    }

    @Test
    void bootstrapIsDeterministicForASeed() {
        double[] values = sample(50, 11);
        double[] first = SummaryStatistics.bootstrapMeanInterval(values, 2000, 99, 0.95);
        double[] again = SummaryStatistics.bootstrapMeanInterval(values, 2000, 99, 0.95);
        double[] other = SummaryStatistics.bootstrapMeanInterval(values, 2000, 100, 0.95);
        assertArrayEquals(first, again, 0);
        assertNotEquals(first[0], other[0]);
    }

    @Test
    void bootstrapIntervalContainsTheMeanAndShrinksLikeOneOverRootN() {
        for (int n : new int[] {20, 200, 2000}) {
            double[] values = sample(n, n);
            SummaryStatistics.Summary s = SummaryStatistics.of(values, 2000, 5);
            assertTrue(s.ciLow() < s.mean() && s.mean() < s.ciHigh(), "n = " + n);
            // The percentile interval of a mean approaches mean +- 1.96 sd / sqrt(n).
            double expected = 2 * 1.959964 * s.sd() / Math.sqrt(n);
            double width = s.ciHigh() - s.ciLow();
            assertEquals(expected, width, 0.15 * expected, "n = " + n);
        }
    }

    @Test
    void bootstrapCoversTheTrueMeanAtAboutTheNominalRate() {
        // 200 samples of 30 from N(0, 1): about 95% of the intervals (a little less for the percentile bootstrap
        // at n = 30) contain 0; a binomial count near 188 of 200 falls outside 172..198 only rarely.
        int covered = 0;
        for (int trial = 0; trial < 200; trial++) {
            double[] ci = SummaryStatistics.bootstrapMeanInterval(sample(30, 1000 + trial), 1000, trial, 0.95);
            if (ci[0] <= 0 && 0 <= ci[1]) {
                covered++;
            }
        }
        assertTrue(covered >= 172 && covered <= 198, "covered " + covered + " of 200");
    }

    private static double[] sample(int n, long seed) {
        Random random = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextGaussian();
        }
        return v;
    }
}
