package io.github.samfiji.cli;

import static io.github.samfiji.cli.EvaluateCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.process.FloatProcessor;
import io.github.samfiji.cli.EvaluateCommandTest.Run;
import io.github.samfiji.evaluation.Csv;
import io.github.samfiji.evaluation.LabelMetrics;
import io.github.samfiji.evaluation.MetricsTable;
import io.github.samfiji.evaluation.PairedTests;
import io.github.samfiji.evaluation.PairedTests.McNemarMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {

    @TempDir
    Path dir;

    /** A table whose dice column holds the given values, one image each (other columns arbitrary). */
    private Path table(String name, double[] dice) throws IOException {
        MetricsTable t = MetricsTable.segmentation();
        for (int i = 0; i < dice.length; i++) {
            double[] values = new double[LabelMetrics.COLUMNS.size()];
            values[0] = dice[i];
            t.add("img" + i, 1, values);
        }
        Path file = dir.resolve(name + ".csv");
        t.write(file, 100, 1);
        return file;
    }

    private static List<List<String>> rows(Path file) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            rows.add(Csv.split(line));
        }
        return rows;
    }

    @Test
    void perImageTestsForThreeModels() throws IOException {
        double[] a = {0.91, 0.85, 0.88, 0.79, 0.93, 0.90, 0.60, 0.87};
        double[] b = {0.85, 0.80, 0.89, 0.70, 0.88, 0.86, 0.40, 0.81};
        double[] c = {0.50, 0.55, 0.65, 0.72, 0.60, 0.45, 0.66, 0.52};
        Path out = dir.resolve("p.csv");
        Run r = run(new CompareCommand(), table("unet", a).toString(), table("sam", b).toString(),
                table("medsam", c).toString(), "--out", out.toString(), "--correct", "0.7");
        assertEquals(0, r.code(), r.err());
        List<List<String>> rows = rows(out);
        assertEquals(CompareCommand.COLUMNS, rows.get(0));
        assertEquals(1 + 3 * 2, rows.size()); // three pairs, two tests each
        List<String> w = rows.get(1);
        assertEquals(List.of("wilcoxon", "dice", "1", "unet", "sam", "8"), w.subList(0, 6));
        PairedTests.WilcoxonResult expected = PairedTests.wilcoxon(a, b);
        assertEquals(expected.pValue(), Double.parseDouble(w.get(9)), 1e-15);
        assertEquals(Math.min(1, 6 * expected.pValue()), Double.parseDouble(w.get(10)), 1e-15);
        assertEquals(expected.rankBiserial(), Double.parseDouble(w.get(11)), 1e-15);
        assertEquals("exact", w.get(15));
        List<String> m = rows.get(2);
        assertEquals("mcnemar_images", m.get(0));
        assertEquals("dice>=0.7", m.get(1));
        // unet correct on all but image 6 (0.60); sam fails image 6 (0.40) too: no discordant pair.
        assertEquals("0", m.get(13));
        assertEquals("0", m.get(14));
        assertEquals(1, Double.parseDouble(m.get(9)), 1e-15);
        List<String> ac = rows.get(4);
        assertEquals(List.of("mcnemar_images", "dice>=0.7", "1", "unet", "medsam"), ac.subList(0, 5));
        // unet vs medsam: unet right and medsam wrong on images 0, 1, 2, 4, 5, 7; never the reverse (medsam is
        // right only on image 3, where unet is right too). Exact: 2 P(X <= 0 | 6) = 2 / 64.
        assertEquals("6", ac.get(13));
        assertEquals("0", ac.get(14));
        assertEquals(2.0 / 64, Double.parseDouble(ac.get(9)), 1e-15);
        assertEquals(PairedTests.mcNemar(6, 0, McNemarMethod.EXACT).pValue(), Double.parseDouble(ac.get(9)), 1e-15);
        assertEquals("inf", ac.get(11));
        assertTrue(r.out().contains("compared 3 models (unet, sam, medsam): 6 tests"), r.out());
    }

    @Test
    void missingImagesAreReportedAndBadInputIsRefused() throws IOException {
        Path a = table("a", new double[] {0.9, 0.8, 0.7});
        Path b = table("b", new double[] {0.8, 0.7});
        Path out = dir.resolve("p.csv");
        Run r = run(new CompareCommand(), a.toString(), b.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: image 'img2' (label 1) is in a but not in b"), r.err());
        assertEquals("2", rows(out).get(1).get(5));
        Run metric = run(new CompareCommand(), a.toString(), b.toString(), "--out", dir.resolve("q.csv").toString(),
                "--metric", "nope");
        assertEquals(1, metric.code());
        assertTrue(metric.err().startsWith("compare: error: a.csv has no column 'nope'"), metric.err());
        Run one = run(new CompareCommand(), a.toString(), "--out", dir.resolve("q.csv").toString());
        assertEquals(2, one.code());
        Run names = run(new CompareCommand(), a.toString(), b.toString(), "--out", dir.resolve("q.csv").toString(),
                "--names", "x");
        assertEquals(1, names.code());
        assertTrue(names.err().contains("--names gives 1 names for 2 tables"), names.err());
    }

    @Test
    void pixelLevelDeLongAndMcNemar() throws IOException {
        int w = 9;
        int h = 7;
        SplittableRandom random = new SplittableRandom(4);
        List<Boolean> truthAll = new ArrayList<>();
        List<Double> scoresA = new ArrayList<>();
        List<Double> scoresB = new ArrayList<>();
        long onlyA = 0;
        long onlyB = 0;
        for (String name : new String[] {"one", "two"}) {
            byte[] truth = EvaluateCommandTest.rectangle(w, h, 2, 1, 4, 4, 255);
            float[] pa = new float[w * h];
            float[] pb = new float[w * h];
            byte[] ma = new byte[w * h];
            byte[] mb = new byte[w * h];
            for (int i = 0; i < w * h; i++) {
                boolean positive = truth[i] != 0;
                pa[i] = (float) ((positive ? 0.7 : 0.3) + 0.4 * (random.nextDouble() - 0.5));
                pb[i] = (float) ((positive ? 0.6 : 0.4) + 0.6 * (random.nextDouble() - 0.5));
                ma[i] = (byte) (pa[i] >= 0.5 ? 255 : 0);
                mb[i] = (byte) (pb[i] >= 0.5 ? 255 : 0);
                truthAll.add(positive);
                scoresA.add((double) pa[i]);
                scoresB.add((double) pb[i]);
                boolean okA = (pa[i] >= 0.5) == positive;
                boolean okB = (pb[i] >= 0.5) == positive;
                onlyA += okA && !okB ? 1 : 0;
                onlyB += okB && !okA ? 1 : 0;
            }
            EvaluateCommandTest.savePng(dir.resolve("truth/" + name + ".png"), w, h, truth);
            EvaluateCommandTest.savePng(dir.resolve("predA/" + name + ".png"), w, h, ma);
            EvaluateCommandTest.savePng(dir.resolve("predB/" + name + ".png"), w, h, mb);
            Files.createDirectories(dir.resolve("probA"));
            Files.createDirectories(dir.resolve("probB"));
            IJ.saveAsTiff(new ImagePlus(name, new FloatProcessor(w, h, pa)), dir.resolve("probA/" + name + ".tif")
                    .toString());
            IJ.saveAsTiff(new ImagePlus(name, new FloatProcessor(w, h, pb)), dir.resolve("probB/" + name + ".tif")
                    .toString());
        }
        Path ta = dir.resolve("a.csv");
        Path tb = dir.resolve("b.csv");
        assertEquals(0, run(new EvaluateCommand(), "--pred", dir.resolve("predA").toString(), "--truth",
                dir.resolve("truth").toString(), "--prob", dir.resolve("probA").toString(), "--binary", "--out",
                ta.toString()).code());
        assertEquals(0, run(new EvaluateCommand(), "--pred", dir.resolve("predB").toString(), "--truth",
                dir.resolve("truth").toString(), "--prob", dir.resolve("probB").toString(), "--binary", "--out",
                tb.toString()).code());
        Path out = dir.resolve("p.csv");
        Run r = run(new CompareCommand(), ta.toString(), tb.toString(), "--out", out.toString(), "--truth",
                dir.resolve("truth").toString(), "--prob", dir.resolve("probA").toString(), "--prob",
                dir.resolve("probB").toString(), "--pred", dir.resolve("predA").toString(), "--pred",
                dir.resolve("predB").toString(), "--binary");
        assertEquals(0, r.code(), r.err());
        List<List<String>> rows = rows(out);
        assertEquals(5, rows.size());
        List<String> d = rows.get(3);
        assertEquals(List.of("delong", "auc_pixels", "1", "a", "b", "126"), d.subList(0, 6));
        boolean[] t = new boolean[truthAll.size()];
        double[] sa = new double[t.length];
        double[] sb = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = truthAll.get(i);
            sa[i] = scoresA.get(i);
            sb[i] = scoresB.get(i);
        }
        PairedTests.DeLongResult expected = PairedTests.deLong(t, sa, sb);
        assertEquals(expected.aucA(), Double.parseDouble(d.get(6)), 1e-15);
        assertEquals(expected.pValue(), Double.parseDouble(d.get(9)), 1e-15);
        assertEquals(Math.min(1, 4 * expected.pValue()), Double.parseDouble(d.get(10)), 1e-15);
        List<String> m = rows.get(4);
        assertEquals("mcnemar_pixels", m.get(0));
        assertEquals(Long.toString(onlyA), m.get(13));
        assertEquals(Long.toString(onlyB), m.get(14));
        Run noTruth = run(new CompareCommand(), ta.toString(), tb.toString(), "--out", dir.resolve("q.csv").toString(),
                "--prob", dir.resolve("probA").toString());
        assertEquals(1, noTruth.code());
        assertTrue(noTruth.err().contains("--prob and --pred need --truth"), noTruth.err());
    }
}
