package io.github.samfiji.cli;

import io.github.samfiji.io.ErrorMessages;
import io.github.samfiji.evaluation.Csv;
import io.github.samfiji.evaluation.EvaluationException;
import io.github.samfiji.evaluation.MetricsTable;
import io.github.samfiji.evaluation.NameMatching;
import io.github.samfiji.evaluation.PairedTests;
import io.github.samfiji.evaluation.PairedTests.McNemarMethod;
import io.github.samfiji.evaluation.PairedTests.WilcoxonMethod;
import io.github.samfiji.evaluation.PixelComparison;
import io.github.samfiji.imagejio.LabelImageFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code compare}: paired tests between two or more models evaluated on the same images, from the per-image
 * tables written by {@code evaluate}; optionally pixel-level tests from the masks and probability maps. Every
 * pair of models is compared, per label; the Bonferroni correction is over all rows of the output (every test,
 * pair and label).
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare models evaluated on the same images: Wilcoxon signed-rank test on the per-image"
            + " metric (Dice by default), McNemar test on per-image correct/incorrect decisions (metric >= --correct),"
            + " and with --truth: DeLong test on the pixel AUC (--prob) and McNemar on pixel decisions (--pred).",
            "Output: one row per test, label and pair of models with p-values, Bonferroni-corrected p-values over"
                + " all rows, and effect sizes."})
public final class CompareCommand implements Callable<Integer> {

    static final List<String> COLUMNS = List.of("test", "metric", "label", "model_a", "model_b", "n", "estimate_a",
            "estimate_b", "statistic", "p_value", "p_bonferroni", "effect_size", "effect_measure", "only_a_correct",
            "only_b_correct", "method");

    @Spec
    CommandSpec spec;

    @Parameters(arity = "2..*", paramLabel = "RESULTS.csv", description = "per-image tables from evaluate, one per"
            + " model")
    List<Path> results;

    @Option(names = "--out", required = true, paramLabel = "pvalues.csv", description = "the table of tests")
    Path out;

    @Option(names = "--names", split = ",", paramLabel = "A,B,..", hideParamSyntax = true,
            description = "model names (default: the table file names)")
    List<String> names;

    @Option(names = "--metric", defaultValue = "dice", paramLabel = "COLUMN",
            description = "per-image metric for the Wilcoxon and per-image McNemar tests (default ${DEFAULT-VALUE})")
    String metric;

    @Option(names = "--correct", defaultValue = "0.5", paramLabel = "T",
            description = "an image counts as correctly segmented when its metric is >= T (default ${DEFAULT-VALUE})")
    double correct;

    @Option(names = "--wilcoxon", defaultValue = "auto", paramLabel = "auto|exact|normal",
            description = "Wilcoxon p-value: exact up to 20 pairs without ties or zeros (auto), or as chosen")
    String wilcoxon;

    @Option(names = "--continuity-correction", description = "continuity correction in the Wilcoxon normal"
            + " approximation")
    boolean continuity;

    @Option(names = "--mcnemar", defaultValue = "auto", paramLabel = "auto|exact|chi-square",
            description = "McNemar p-value: exact binomial below 25 discordant pairs, else chi-square with continuity"
                + " correction (auto), or as chosen")
    String mcnemar;

    @Option(names = "--truth", paramLabel = "T", description = "truth file or folder, for the pixel-level tests")
    Path truth;

    @Option(names = "--prob", paramLabel = "PROB",
            description = "probability maps of each model (repeat once per table, same order): DeLong test")
    List<Path> probabilities;

    @Option(names = "--pred", paramLabel = "P",
            description = "predictions of each model (repeat once per table, same order): pixel McNemar test")
    List<Path> predictions;

    @Option(names = "--binary", description = "read masks as binary (label 1) in the pixel-level tests")
    boolean binary;

    @Option(names = "--overwrite", description = "replace the output file if it exists")
    boolean overwrite;

    /** One output row before the correction. */
    record Row(String test, String metric, Integer label, String modelA, String modelB, long n, double estimateA,
            double estimateB, double statistic, double p, double effect, String effectMeasure, long onlyA,
            long onlyB, String method) {
    }

    @Override
    public Integer call() {
        PrintWriter console = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(console, err);
        } catch (EvaluationException | IOException | UncheckedIOException e) {
            err.println("compare: error: " + ErrorMessages.describe(e));
            return 1;
        } finally {
            console.flush();
            err.flush();
        }
    }

    private int run(PrintWriter console, PrintWriter err) throws IOException {
        WilcoxonMethod wilcoxonMethod = parseWilcoxon(wilcoxon);
        McNemarMethod mcnemarMethod = parseMcNemar(mcnemar);
        if (Double.isNaN(correct)) {
            throw new EvaluationException("--correct must be a number");
        }
        List<String> models = modelNames();
        List<MetricsTable> tables = new ArrayList<>();
        for (Path file : results) {
            tables.add(MetricsTable.read(file));
        }
        boolean labelled = tables.get(0).labelled();
        for (int i = 0; i < tables.size(); i++) {
            MetricsTable t = tables.get(i);
            if (t.labelled() != labelled) {
                throw new EvaluationException("the tables mix per-label and instance results: "
                        + results.get(i).getFileName() + " differs from " + results.get(0).getFileName());
            }
            if (!t.valueColumns().contains(metric)) {
                throw new EvaluationException(results.get(i).getFileName() + " has no column '" + metric
                        + "' (columns: " + String.join(", ", t.valueColumns()) + ")");
            }
        }
        Set<Integer> labels;
        if (labelled) {
            labels = new TreeSet<>();
            for (MetricsTable t : tables) {
                labels.addAll(t.labels());
            }
        } else {
            labels = new LinkedHashSet<>();
            labels.add(null); // instance tables: one group without a label
        }

        List<Row> rows = new ArrayList<>();
        for (Integer label : labels) {
            for (int a = 0; a < tables.size(); a++) {
                for (int b = a + 1; b < tables.size(); b++) {
                    perImage(rows, label, models, tables, a, b, wilcoxonMethod, mcnemarMethod, err);
                }
            }
        }
        if (truth != null) {
            if (!labelled) {
                throw new EvaluationException("pixel-level tests need per-label tables, not instance tables");
            }
            pixelTests(rows, labels, models, mcnemarMethod, err);
        } else if (probabilities != null || predictions != null) {
            throw new EvaluationException("--prob and --pred need --truth for the pixel-level tests");
        }
        write(rows);
        console.println("compared " + models.size() + " models (" + String.join(", ", models) + "): " + rows.size()
                + " tests; wrote " + out);
        return 0;
    }

    private void perImage(List<Row> rows, Integer label, List<String> models, List<MetricsTable> tables, int a, int b,
            WilcoxonMethod wilcoxonMethod, McNemarMethod mcnemarMethod, PrintWriter err) {
        Map<String, Double> first = tables.get(a).column(metric, label);
        Map<String, Double> second = tables.get(b).column(metric, label);
        String where = label == null ? "" : " (label " + label + ")";
        List<String> common = new ArrayList<>();
        for (String image : first.keySet()) {
            if (second.containsKey(image)) {
                common.add(image);
            } else {
                err.println("warning: image '" + image + "'" + where + " is in " + models.get(a) + " but not in "
                        + models.get(b) + "; left out of their comparison");
            }
        }
        for (String image : second.keySet()) {
            if (!first.containsKey(image)) {
                err.println("warning: image '" + image + "'" + where + " is in " + models.get(b) + " but not in "
                        + models.get(a) + "; left out of their comparison");
            }
        }
        if (common.isEmpty()) {
            err.println("warning: " + models.get(a) + " and " + models.get(b) + " share no image" + where
                    + "; not compared");
            return;
        }
        List<double[]> pairs = new ArrayList<>();
        for (String image : common) {
            double x = first.get(image);
            double y = second.get(image);
            if (!Double.isNaN(x) && !Double.isNaN(y)) {
                pairs.add(new double[] {x, y});
            }
        }
        double[] x = new double[pairs.size()];
        double[] y = new double[pairs.size()];
        boolean[] okX = new boolean[pairs.size()];
        boolean[] okY = new boolean[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            x[i] = pairs.get(i)[0];
            y[i] = pairs.get(i)[1];
            okX[i] = x[i] >= correct;
            okY[i] = y[i] >= correct;
        }
        if (pairs.isEmpty()) {
            err.println("warning: no image" + where + " has a defined " + metric + " for both " + models.get(a)
                    + " and " + models.get(b));
            return;
        }
        PairedTests.WilcoxonResult w = PairedTests.wilcoxon(x, y, wilcoxonMethod, continuity);
        rows.add(new Row("wilcoxon", metric, label, models.get(a), models.get(b), pairs.size(), mean(x), mean(y),
                w.statistic(), w.pValue(), w.rankBiserial(), "rank_biserial", -1, -1, w.method()));
        PairedTests.McNemarResult m = PairedTests.mcNemar(okX, okY, mcnemarMethod);
        rows.add(new Row("mcnemar_images", metric + ">=" + Csv.number(correct), label, models.get(a), models.get(b),
                pairs.size(), fraction(okX), fraction(okY), m.statistic(), m.pValue(), m.oddsRatio(), "odds_ratio",
                m.onlyFirstCorrect(), m.onlySecondCorrect(), m.method()));
    }

    private void pixelTests(List<Row> rows, Set<Integer> labels, List<String> models, McNemarMethod mcnemarMethod,
            PrintWriter err) throws IOException {
        int k = models.size();
        if (probabilities != null && probabilities.size() != k) {
            throw new EvaluationException("give one --prob per table: " + k + " tables but " + probabilities.size()
                    + " --prob");
        }
        if (predictions != null && predictions.size() != k) {
            throw new EvaluationException("give one --pred per table: " + k + " tables but " + predictions.size()
                    + " --pred");
        }
        if (probabilities == null && predictions == null) {
            throw new EvaluationException("--truth is for the pixel-level tests: add --prob and/or --pred per model");
        }
        List<Integer> pixelLabels = binary ? List.of(1) : new ArrayList<>(labels);
        List<Map<String, Path>> probFiles = probabilities == null ? null : files("probability map", probabilities);
        List<Map<String, Path>> predFiles = predictions == null ? null : files("prediction", predictions);
        Map<String, Path> truths = InputFiles.isFolder("truth", truth) ? InputFiles.byStem("truth", truth)
                : Map.of(NameMatching.stem(truth.getFileName().toString()), truth);
        List<String> images = new ArrayList<>();
        for (String stem : truths.keySet()) {
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                if (probFiles != null && !probFiles.get(i).containsKey(stem)) {
                    missing.add("probability map of " + models.get(i));
                }
                if (predFiles != null && !predFiles.get(i).containsKey(stem)) {
                    missing.add("prediction of " + models.get(i));
                }
            }
            if (missing.isEmpty()) {
                images.add(stem);
            } else {
                err.println("warning: truth '" + truths.get(stem).getFileName() + "' has no "
                        + String.join(", ", missing) + "; left out of the pixel-level tests");
            }
        }
        if (images.isEmpty()) {
            throw new EvaluationException("no truth file has a partner for every model; no pixel-level test possible");
        }
        Map<String, PixelComparison.DeLongSamples> deLong = new TreeMap<>();
        Map<String, PixelComparison.Decisions> decisions = new TreeMap<>();
        for (String stem : images) {
            LabelImageFiles.Loaded t = LabelImageFiles.open(truths.get(stem));
            List<LabelImageFiles.Loaded> probs = new ArrayList<>();
            List<LabelImageFiles.Loaded> preds = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                if (probFiles != null) {
                    probs.add(LabelImageFiles.open(probFiles.get(i).get(stem)));
                }
                if (predFiles != null) {
                    Path p = predFiles.get(i).get(stem);
                    preds.add(LabelImageFiles.isRoiFile(p) ? LabelImageFiles.openRois(p, t.dimensions())
                            : LabelImageFiles.open(p));
                }
            }
            try {
                for (int label : pixelLabels) {
                    for (int a = 0; a < k; a++) {
                        for (int b = a + 1; b < k; b++) {
                            String key = key(label, a, b);
                            if (probFiles != null) {
                                deLong.computeIfAbsent(key, x -> new PixelComparison.DeLongSamples(label, binary))
                                        .add(t.pixels(), probs.get(a).pixels(), probs.get(b).pixels());
                            }
                            if (predFiles != null) {
                                PixelComparison.Decisions d = PixelComparison.decisions(preds.get(a).pixels(),
                                        preds.get(b).pixels(), t.pixels(), label, binary);
                                decisions.merge(key, d, PixelComparison.Decisions::plus);
                            }
                        }
                    }
                }
            } catch (EvaluationException e) {
                throw new EvaluationException("'" + stem + "': " + e.getMessage(), e);
            }
        }
        for (int label : pixelLabels) {
            for (int a = 0; a < k; a++) {
                for (int b = a + 1; b < k; b++) {
                    String key = key(label, a, b);
                    PixelComparison.DeLongSamples s = deLong.get(key);
                    if (s != null) {
                        if (s.positives() < 2 || s.negatives() < 2) {
                            err.println("warning: label " + label + " has too few positive or negative pixels for"
                                    + " DeLong's test; skipped");
                        } else {
                            PairedTests.DeLongResult r = s.test();
                            rows.add(new Row("delong", "auc_pixels", label, models.get(a), models.get(b),
                                    (long) r.positives() + r.negatives(), r.aucA(), r.aucB(), r.z(), r.pValue(),
                                    r.difference(), "auc_difference", -1, -1, "normal"));
                        }
                    }
                    PixelComparison.Decisions d = decisions.get(key);
                    if (d != null) {
                        PairedTests.McNemarResult m = PairedTests.mcNemar(d.onlyFirstCorrect(), d.onlySecondCorrect(),
                                mcnemarMethod);
                        rows.add(new Row("mcnemar_pixels", "pixel_correct", label, models.get(a), models.get(b),
                                d.total(), (double) d.firstCorrect() / d.total(),
                                (double) d.secondCorrect() / d.total(), m.statistic(), m.pValue(), m.oddsRatio(),
                                "odds_ratio", m.onlyFirstCorrect(), m.onlySecondCorrect(), m.method()));
                    }
                }
            }
        }
    }

    private static String key(int label, int a, int b) {
        return String.format(Locale.ROOT, "%010d/%03d/%03d", label, a, b);
    }

    private List<Map<String, Path>> files(String role, List<Path> paths) throws IOException {
        boolean truthFolder = InputFiles.isFolder("truth", truth);
        List<Map<String, Path>> maps = new ArrayList<>();
        for (Path p : paths) {
            boolean folder = InputFiles.isFolder(role, p);
            if (folder != truthFolder) {
                throw new EvaluationException("give files or folders on both sides: --truth is a "
                        + (truthFolder ? "folder" : "file") + " but " + p + " is not");
            }
            maps.add(folder ? InputFiles.byStem(role, p)
                    : Map.of(NameMatching.stem(truth.getFileName().toString()), p));
        }
        return maps;
    }

    private List<String> modelNames() {
        List<String> models = new ArrayList<>();
        if (names != null) {
            if (names.size() != results.size()) {
                throw new EvaluationException("--names gives " + names.size() + " names for " + results.size()
                        + " tables");
            }
            models.addAll(names);
        } else {
            for (Path p : results) {
                models.add(NameMatching.stem(p.getFileName().toString()));
            }
        }
        if (new LinkedHashSet<>(models).size() != models.size()) {
            if (names != null) {
                throw new EvaluationException("--names must be distinct: " + names);
            }
            for (int i = 0; i < models.size(); i++) {
                models.set(i, models.get(i) + "#" + (i + 1));
            }
        }
        return models;
    }

    private void write(List<Row> rows) throws IOException {
        double[] p = new double[rows.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = rows.get(i).p();
        }
        double[] adjusted = PairedTests.bonferroni(p);
        InputFiles.writeAtomically(out, overwrite, file -> {
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                w.write(String.join(",", COLUMNS));
                w.write('\n');
                for (int i = 0; i < rows.size(); i++) {
                    Row r = rows.get(i);
                    List<String> cells = List.of(r.test(), Csv.text(r.metric()), r.label() == null ? ""
                            : r.label().toString(), Csv.text(r.modelA()), Csv.text(r.modelB()), Long.toString(r.n()),
                            Csv.number(r.estimateA()), Csv.number(r.estimateB()), Csv.number(r.statistic()),
                            Csv.number(r.p()), Csv.number(adjusted[i]), effect(r.effect()), r.effectMeasure(),
                            r.onlyA() < 0 ? "" : Long.toString(r.onlyA()), r.onlyB() < 0 ? ""
                                    : Long.toString(r.onlyB()), r.method());
                    w.write(String.join(",", cells));
                    w.write('\n');
                }
            }
        });
    }

    /** An effect size cell: infinity is written as such (an odds ratio with c = 0), NaN as empty. */
    private static String effect(double value) {
        if (value == Double.POSITIVE_INFINITY) {
            return "inf";
        }
        return Csv.number(value);
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    private static double fraction(boolean[] values) {
        int count = 0;
        for (boolean v : values) {
            if (v) {
                count++;
            }
        }
        return (double) count / values.length;
    }

    static WilcoxonMethod parseWilcoxon(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "auto":
                return WilcoxonMethod.AUTO;
            case "exact":
                return WilcoxonMethod.EXACT;
            case "normal":
                return WilcoxonMethod.NORMAL;
            default:
                throw new EvaluationException("--wilcoxon expects auto, exact or normal, got '" + text + "'");
        }
    }

    static McNemarMethod parseMcNemar(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "auto":
                return McNemarMethod.AUTO;
            case "exact":
                return McNemarMethod.EXACT;
            case "chi-square":
            case "chi2":
                return McNemarMethod.CHI_SQUARE;
            default:
                throw new EvaluationException("--mcnemar expects auto, exact or chi-square, got '" + text + "'");
        }
    }
}
