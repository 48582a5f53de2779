package io.github.samfiji.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.evaluation.PairedTests.McNemarMethod;
import io.github.samfiji.evaluation.PairedTests.WilcoxonMethod;
import java.util.SplittableRandom;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

class PairedTestsTest {

    private static final double EPS = 1e-12;

    @Test
    void wilcoxonAllPositiveDifferences() {
        // Differences 1..5, all positive: W+ = 15, W- = 0. Exact two-sided p = 2 / 2^5.
        double[] a = {2, 4, 6, 8, 10};
        double[] b = {1, 2, 3, 4, 5};
        PairedTests.WilcoxonResult r = PairedTests.wilcoxon(a, b);
        assertEquals("exact", r.method());
        assertEquals(15, r.wPlus(), EPS);
        assertEquals(0, r.wMinus(), EPS);
        assertEquals(0, r.statistic(), EPS);
        assertEquals(0.0625, r.pValue(), EPS);
        assertEquals(1, r.rankBiserial(), EPS);
        assertEquals(3, r.medianDifference(), EPS);
    }

    @Test
    void wilcoxonNormalApproximationWithTiesByHand() {
        // Differences 1, 1, -2, 3 plus one zero (dropped): |d| ranks 1.5, 1.5, 3, 4. W+ = 7, W- = 3, n = 4.
        // Mean 5; variance 4*5*9/24 - (2^3 - 2)/48 = 7.5 - 0.125 = 7.375. z = 2 / sqrt(7.375).
        double[] a = {1, 1, 0, 3, 5};
        double[] b = {0, 0, 2, 0, 5};
        PairedTests.WilcoxonResult r = PairedTests.wilcoxon(a, b);
        assertEquals("normal", r.method());
        assertEquals(4, r.n());
        assertEquals(1, r.zeros());
        assertEquals(7, r.wPlus(), EPS);
        assertEquals(3, r.wMinus(), EPS);
        double z = 2 / Math.sqrt(7.375);
        assertEquals(z, r.z(), EPS);
        assertEquals(Erf.erfc(z / Math.sqrt(2)), r.pValue(), 1e-14);
        assertEquals(0.4, r.rankBiserial(), EPS);
        PairedTests.WilcoxonResult corrected = PairedTests.wilcoxon(a, b, WilcoxonMethod.NORMAL, true);
        assertEquals(1.5 / Math.sqrt(7.375), corrected.z(), EPS);
        assertThrows(EvaluationException.class, () -> PairedTests.wilcoxon(a, b, WilcoxonMethod.EXACT, false));
    }

    @Test
    void wilcoxonEdgeCases() {
        PairedTests.WilcoxonResult same = PairedTests.wilcoxon(new double[] {1, 2}, new double[] {1, 2});
        assertEquals(1, same.pValue());
        assertEquals("none", same.method());
        PairedTests.WilcoxonResult nan = PairedTests.wilcoxon(new double[] {Double.NaN, 2, 3},
                new double[] {1, 1, 1});
        assertEquals(2, nan.n());
        assertThrows(EvaluationException.class, () -> PairedTests.wilcoxon(new double[2], new double[3]));
    }

    @Test
    void wilcoxonExactAgreesWithTheNormalApproximationForLargerSamples() {
        SplittableRandom random = new SplittableRandom(3);
        double[] a = new double[20];
        double[] b = new double[20];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextDouble();
            b[i] = a[i] - 0.05 + 0.2 * random.nextDouble() - 0.1;
        }
        double exact = PairedTests.wilcoxon(a, b, WilcoxonMethod.EXACT, false).pValue();
        double normal = PairedTests.wilcoxon(a, b, WilcoxonMethod.NORMAL, true).pValue();
        assertEquals(exact, normal, 0.01);
    }

    @Test
    void mcNemarByHand() {
        // b = 10, c = 2: exact p = 2 P(X <= 2), X ~ Binomial(12, 1/2) = 2 (1 + 12 + 66) / 4096.
        PairedTests.McNemarResult exact = PairedTests.mcNemar(10, 2, McNemarMethod.AUTO);
        assertEquals("exact", exact.method());
        assertEquals(158.0 / 4096, exact.pValue(), EPS);
        assertEquals(5, exact.oddsRatio(), EPS);
        // Chi-square: (|10 - 2| - 1)^2 / 12 = 49 / 12.
        PairedTests.McNemarResult chi = PairedTests.mcNemar(10, 2, McNemarMethod.CHI_SQUARE);
        assertEquals(49.0 / 12, chi.statistic(), EPS);
        assertEquals(Erf.erfc(Math.sqrt(49.0 / 24)), chi.pValue(), EPS);
        assertEquals("chi-square", PairedTests.mcNemar(20, 5, McNemarMethod.AUTO).method());
        PairedTests.McNemarResult none = PairedTests.mcNemar(0, 0, McNemarMethod.AUTO);
        assertEquals(1, none.pValue());
        assertTrue(Double.isNaN(none.oddsRatio()));
        assertEquals(1, PairedTests.mcNemar(4, 4, McNemarMethod.EXACT).pValue(), EPS);
        assertEquals(1, PairedTests.mcNemar(40, 40, McNemarMethod.CHI_SQUARE).pValue(), EPS);
    }

    @Test
    void mcNemarCountsDiscordantDecisions() {
        boolean[] first = {true, true, true, false, false, true};
        boolean[] second = {true, false, false, true, false, true};
        PairedTests.McNemarResult r = PairedTests.mcNemar(first, second, McNemarMethod.EXACT);
        assertEquals(2, r.onlyFirstCorrect());
        assertEquals(1, r.onlySecondCorrect());
        assertEquals(1, r.pValue(), EPS);
    }

    @Test
    void deLongOfIdenticalModelsAndOfSwappedModels() {
        boolean[] truth = {true, true, true, false, false, false, true, false};
        double[] a = {0.9, 0.8, 0.4, 0.3, 0.5, 0.1, 0.7, 0.2};
        double[] b = {0.6, 0.9, 0.2, 0.5, 0.4, 0.3, 0.8, 0.1};
        PairedTests.DeLongResult same = PairedTests.deLong(truth, a, a);
        assertEquals(0, same.difference(), EPS);
        assertEquals(1, same.pValue(), EPS);
        PairedTests.DeLongResult ab = PairedTests.deLong(truth, a, b);
        PairedTests.DeLongResult ba = PairedTests.deLong(truth, b, a);
        assertEquals(ab.pValue(), ba.pValue(), EPS);
        assertEquals(-ab.z(), ba.z(), EPS);
        // AUC of a: positives 0.9, 0.8, 0.4, 0.7 against negatives 0.3, 0.5, 0.1, 0.2: 4 + 4 + 3 + 4 = 15 of 16.
        assertEquals(15.0 / 16, ab.aucA(), EPS);
        assertThrows(EvaluationException.class, () -> PairedTests.deLong(new boolean[] {true, false, false},
                new double[3], new double[3]));
    }

    @Test
    void bonferroniMultipliesByTheNumberOfTests() {
        assertArrayEquals(new double[] {0.03, 0.6, Double.NaN, 1}, PairedTests.bonferroni(
                new double[] {0.01, 0.2, Double.NaN, 0.5}), EPS);
    }
}
