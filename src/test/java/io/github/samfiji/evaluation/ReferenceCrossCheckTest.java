package io.github.samfiji.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.evaluation.PairedTests.McNemarMethod;
import io.github.samfiji.evaluation.PairedTests.WilcoxonMethod;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.imglib2.img.array.ArrayImgs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import io.github.samfiji.image.DistanceTransform;

/**
 * Every metric and test against values computed independently by {@code make_reference.py} (numpy, scipy,
 * scikit-learn) and stored in {@code reference.json}. Tolerances: counts exact; ratios 1e-12; distances 1e-9
 * (scipy's EDT is another algorithm); p-values 1e-9 relative (different special-function code).
 */
class ReferenceCrossCheckTest {

    private static JsonObject reference;

    @BeforeAll
    static void load() throws IOException {
        try (Reader in = new InputStreamReader(ReferenceCrossCheckTest.class.getResourceAsStream(
                "/evaluation/reference.json"), StandardCharsets.UTF_8)) {
            reference = JsonParser.parseReader(in).getAsJsonObject();
        }
    }

    @Test
    void segmentationMetricsMatchNumpyScipyAndScikitLearn() {
        int checked = 0;
        for (JsonElement e : reference.getAsJsonArray("segmentation")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("name").getAsString();
            long[] dims = longs(c.getAsJsonArray("dims"));
            double[] spacing = doubles(c.getAsJsonArray("spacing"));
            var truth = ArrayImgs.ints(ints(c.getAsJsonArray("truth")), dims);
            var prediction = ArrayImgs.ints(ints(c.getAsJsonArray("prediction")), dims);
            var probability = ArrayImgs.doubles(doubles(c.getAsJsonArray("probability")), dims);
            List<LabelMetrics> metrics = new SegmentationMetrics().withSpacing(spacing).evaluate(prediction, truth,
                    probability);
            JsonArray expected = c.getAsJsonArray("labels");
            assertEquals(expected.size(), metrics.size(), name);
            for (int i = 0; i < metrics.size(); i++) {
                JsonObject x = expected.get(i).getAsJsonObject();
                LabelMetrics m = metrics.get(i);
                String where = name + " label " + m.label();
                assertEquals(x.get("label").getAsInt(), m.label(), where);
                assertEquals(x.get("tp").getAsLong(), m.truePositives(), where);
                assertEquals(x.get("fp").getAsLong(), m.falsePositives(), where);
                assertEquals(x.get("fn").getAsLong(), m.falseNegatives(), where);
                assertEquals(x.get("tn").getAsLong(), m.trueNegatives(), where);
                close(x, "dice", m.dice(), 1e-12, where);
                close(x, "iou", m.iou(), 1e-12, where);
                close(x, "sensitivity", m.sensitivity(), 1e-12, where);
                close(x, "specificity", m.specificity(), 1e-12, where);
                close(x, "precision", m.precision(), 1e-12, where);
                close(x, "f1", m.f1(), 1e-12, where);
                close(x, "auc", m.auc(), 1e-12, where);
                close(x, "hd95", m.hd95(), 1e-9, where);
                close(x, "assd", m.assd(), 1e-9, where);
                checked++;
            }
        }
        assertTrue(checked >= 9, "labels checked: " + checked);
    }

    @Test
    void distanceTransformMatchesScipy() {
        for (JsonElement e : reference.getAsJsonArray("edt")) {
            JsonObject c = e.getAsJsonObject();
            int[] dims = ints(c.getAsJsonArray("dims"));
            double[] spacing = doubles(c.getAsJsonArray("spacing"));
            int[] sites = ints(c.getAsJsonArray("sites"));
            boolean[] mask = new boolean[sites.length];
            for (int i = 0; i < sites.length; i++) {
                mask[i] = sites[i] != 0;
            }
            double[] squared = DistanceTransform.squared(mask, dims, spacing);
            JsonArray expected = c.getAsJsonArray("distance");
            for (int i = 0; i < squared.length; i++) {
                assertEquals(expected.get(i).getAsDouble(), Math.sqrt(squared[i]), 1e-9, "voxel " + i);
            }
        }
    }

    @Test
    void wilcoxonMatchesScipy() {
        for (JsonElement e : reference.getAsJsonArray("wilcoxon")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("name").getAsString();
            WilcoxonMethod method = c.get("method").getAsString().equals("exact") ? WilcoxonMethod.EXACT
                    : WilcoxonMethod.NORMAL;
            PairedTests.WilcoxonResult r = PairedTests.wilcoxon(doubles(c.getAsJsonArray("a")),
                    doubles(c.getAsJsonArray("b")), method, c.get("correction").getAsBoolean());
            assertEquals(c.get("statistic").getAsDouble(), r.statistic(), 1e-9, name);
            relative(c.get("p").getAsDouble(), r.pValue(), 1e-9, name);
        }
    }

    @Test
    void mcNemarMatchesScipy() {
        for (JsonElement e : reference.getAsJsonArray("mcnemar")) {
            JsonObject c = e.getAsJsonObject();
            long b = c.get("b").getAsLong();
            long cc = c.get("c").getAsLong();
            String name = "b=" + b + " c=" + cc;
            relative(c.get("exact_p").getAsDouble(), PairedTests.mcNemar(b, cc, McNemarMethod.EXACT).pValue(), 1e-9,
                    name);
            PairedTests.McNemarResult chi = PairedTests.mcNemar(b, cc, McNemarMethod.CHI_SQUARE);
            assertEquals(c.get("chi2_statistic").getAsDouble(), chi.statistic(), 1e-12, name);
            relative(c.get("chi2_p").getAsDouble(), chi.pValue(), 1e-9, name);
        }
    }

    @Test
    void deLongMatchesADirectNumpyImplementation() {
        for (JsonElement e : reference.getAsJsonArray("delong")) {
            JsonObject c = e.getAsJsonObject();
            int[] t = ints(c.getAsJsonArray("truth"));
            boolean[] truth = new boolean[t.length];
            for (int i = 0; i < t.length; i++) {
                truth[i] = t[i] != 0;
            }
            PairedTests.DeLongResult r = PairedTests.deLong(truth, doubles(c.getAsJsonArray("a")),
                    doubles(c.getAsJsonArray("b")));
            assertEquals(c.get("auc_a").getAsDouble(), r.aucA(), 1e-12);
            assertEquals(c.get("auc_b").getAsDouble(), r.aucB(), 1e-12);
            assertEquals(c.get("se").getAsDouble(), r.standardError(), 1e-12);
            assertEquals(c.get("z").getAsDouble(), r.z(), 1e-9);
            relative(c.get("p").getAsDouble(), r.pValue(), 1e-9, "DeLong");
        }
    }

    @Test
    void instanceMatchingMatchesTheHungarianAlgorithm() {
        for (JsonElement e : reference.getAsJsonArray("instances")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("name").getAsString();
            long[] dims = longs(c.getAsJsonArray("dims"));
            InstanceMetrics.Result r = InstanceMetrics.evaluate(
                    ArrayImgs.ints(ints(c.getAsJsonArray("prediction")), dims),
                    ArrayImgs.ints(ints(c.getAsJsonArray("truth")), dims));
            assertEquals(c.get("n_truth").getAsInt(), r.truthCount(), name);
            assertEquals(c.get("n_pred").getAsInt(), r.predictionCount(), name);
            assertArrayEquals(ints(c.getAsJsonArray("tp")), r.truePositives(), name);
            assertEquals(c.get("msa").getAsDouble(), r.meanAccuracy(), 1e-12, name);
            close(c, "mean_matched_iou", r.meanMatchedIou(), 1e-12, name);
        }
    }

    @Test
    void summaryMatchesNumpy() {
        for (JsonElement e : reference.getAsJsonArray("summary")) {
            JsonObject c = e.getAsJsonObject();
            double[] values = doubles(c.getAsJsonArray("values"));
            SummaryStatistics.Summary s = SummaryStatistics.of(values, 0, 0);
            assertEquals(c.get("mean").getAsDouble(), s.mean(), 1e-12);
            close(c, "sd", s.sd(), 1e-12, "sd");
            assertEquals(c.get("median").getAsDouble(), s.median(), 1e-12);
        }
    }

    private static void close(JsonObject expected, String key, double actual, double tolerance, String where) {
        JsonElement x = expected.get(key);
        if (x == null || x.isJsonNull()) {
            assertTrue(Double.isNaN(actual), where + " " + key + " should be undefined, got " + actual);
        } else {
            assertEquals(x.getAsDouble(), actual, tolerance, where + " " + key);
        }
    }

    private static void relative(double expected, double actual, double tolerance, String where) {
        assertEquals(expected, actual, tolerance * Math.max(Math.abs(expected), 1e-300), where);
    }

    private static long[] longs(JsonArray a) {
        long[] v = new long[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsLong();
        }
        return v;
    }

    private static int[] ints(JsonArray a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsInt();
        }
        return v;
    }

    private static double[] doubles(JsonArray a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            JsonElement x = a.get(i);
            v[i] = x.isJsonNull() ? Double.NaN : x.getAsDouble();
        }
        return v;
    }
}
