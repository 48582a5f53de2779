package io.github.samfiji.cli;

import io.github.samfiji.evaluation.PairedTests;
import io.github.samfiji.imagejio.Charts;
import io.github.samfiji.evaluation.SummaryStatistics;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.DataSplit;
import io.github.samfiji.training.FineTuneOptions;
import io.github.samfiji.training.FineTuneRun;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.Strategy;
import io.github.samfiji.training.TrainingSample;
import io.github.samfiji.training.PixelScores;
import io.github.samfiji.training.VolumeDice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code study}: the fine-tuning grid of the seeds' question, strategies x annotation budgets x seeds, each
 * fine-tuned from the same start and evaluated on its held-out test split; a results table with bootstrap
 * intervals, paired Wilcoxon tests between strategies at each budget and seed (Bonferroni-corrected), and a plot of
 * test Dice against budget per strategy.
 */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = {"Fine-tune a grid of strategies x budgets x seeds and compare them on the held-out test split.",
            "Writes OUT/runs.csv (one row per run: test Dice mean and 95% CI, baselines), OUT/per_image.csv, "
                + "OUT/paired.csv (Wilcoxon between strategies, Bonferroni over all comparisons), "
                + "OUT/dice_vs_budget.png and OUT/models/."})
public final class StudyCommand implements Callable<Integer> {

    @Mixin
    TrainingInputs inputs;

    @Mixin
    TrainingSchedule schedule;

    @Option(names = "--strategies", split = ",", defaultValue = "decoder:vanilla,encoder-decoder:vanilla,encoder-decoder:lora",
            description = "parts:method pairs, e.g. decoder:vanilla,encoder-decoder:lora (default ${DEFAULT-VALUE})")
    List<String> strategies;

    @Option(names = "--budgets", split = ",", defaultValue = "0.1,0.25,0.5,1.0",
            description = "annotated fractions of the training split (default ${DEFAULT-VALUE})")
    List<Double> budgets;

    @Option(names = "--seeds", split = ",", defaultValue = "42", description = "seeds (split, budget, order; default ${DEFAULT-VALUE})")
    List<Long> seeds;

    @Option(names = "--objective", defaultValue = "auto", description = "auto or interactive (default ${DEFAULT-VALUE})")
    String objective;

    @Option(names = "--ranks", split = ",", defaultValue = "4",
            description = "LoRA ranks: each LoRA strategy runs once per rank, e.g. 8,16 (default ${DEFAULT-VALUE})")
    List<Integer> ranks;

    @Option(names = "--external", arity = "2", paramLabel = "DIR", description = "IMAGES MASKS of a second data set: "
            + "every model (and the zero-shot row) is also scored on all of it, into external_*.csv beside the "
            + "internal test")
    List<Path> external;

    @Option(names = "--no-zero-shot", description = "leave out the zero-shot row (the starting model scored without "
            + "training; on by default when starting from --checkpoint)")
    boolean noZeroShot;

    @Option(names = "--out", required = true, description = "output folder")
    Path out;

    @Option(names = "--overwrite", description = "replace existing outputs")
    boolean overwrite;

    /** One finished run. */
    record Run(String strategy, double budget, long seed, int trainImages, List<String> testNames, double[] dice,
               double[] otsu, double[] allForeground, long trainable, long total, double seconds,
               VolumeDice.Scores scores, PixelScores pixels) {
    }

    /** Per-image measures besides Dice, in the tables' order (F1 of a binary mask is its Dice). */
    private static final List<String> MEASURES = List.of("iou", "sensitivity", "specificity", "precision", "auc");

    /** An image counts as segmented when its IoU reaches this (the decision McNemar compares). */
    static final double SUCCESS_IOU = 0.5;

    private static double[] measure(Run r, String name) {
        return switch (name) {
            case "iou" -> r.scores().iou();
            case "sensitivity" -> r.scores().sensitivity();
            case "specificity" -> r.scores().specificity();
            case "precision" -> r.scores().precision();
            case "auc" -> r.pixels().auc();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The finite values (a measure is undefined on some images, e.g. sensitivity where the truth is empty). */
    private static double[] finite(double[] v) {
        return java.util.Arrays.stream(v).filter(Double::isFinite).toArray();
    }

    /** The row label of the starting model scored without training. */
    static final String ZERO_SHOT = "zero-shot";

    @Override
    public Integer call() throws Exception {
        inputs.checkStart();
        FineTuner.Objective goal = FineTuner.Objective.parse(objective);
        List<Strategy> grid = new ArrayList<>();
        for (String s : strategies) {
            String[] pm = s.trim().split(":");
            if (pm.length != 2) {
                throw new IllegalArgumentException("--strategies '" + s + "': write parts:method, e.g. decoder:lora");
            }
            Strategy.Method method = Strategy.Method.parse(pm[1]);
            // Several LoRA ranks make one row each; the rank means nothing to the other methods.
            for (int r : method == Strategy.Method.LORA ? ranks : ranks.subList(0, 1)) {
                grid.add(new Strategy(Strategy.Parts.parse(pm[0]), method, r, 1f, null)
                        .withPromptEncoder(inputs.promptEncoderTrained()));
            }
        }
        for (double b : budgets) {
            if (!(b > 0 && b <= 1)) {
                throw new IllegalArgumentException("--budgets: " + b + " is not a fraction in (0, 1]");
            }
        }
        Path runsFile = out.resolve("runs.csv");
        Path perImageFile = out.resolve("per_image.csv");
        Path pairedFile = out.resolve("paired.csv");
        Path plotFile = out.resolve("dice_vs_budget.png");
        if (!overwrite) {
            OutputFiles.requireAbsent(runsFile, perImageFile, pairedFile, plotFile);
        }
        Files.createDirectories(out.resolve("models"));
        List<TrainingSample> samples = inputs.samples();
        List<TrainingSample> externalSamples = external == null ? null
                : inputs.samplesFrom(external.get(0), external.get(1));
        Path externalRunsFile = out.resolve("external_runs.csv");
        Path externalPerImageFile = out.resolve("external_per_image.csv");
        Path externalPairedFile = out.resolve("external_paired.csv");
        if (externalSamples != null && !overwrite) {
            OutputFiles.requireAbsent(externalRunsFile, externalPerImageFile, externalPairedFile);
        }
        // Every run of the grid is checked before the first one trains, so a bad budget does not fail hours in.
        List<FineTuneRun.Setup> setups = new ArrayList<>();
        for (long seed : seeds) {
            for (double budget : budgets) {
                for (Strategy strategy : grid) {
                    String name = String.format(Locale.ROOT, "%s_b%s_s%d", strategy.label().replace('/', '-'),
                            trim(budget), seed);
                    FineTuneOptions options = schedule.options(seed);
                    FineTuneRun.Setup setup = new FineTuneRun.Setup(strategy, options, budget, 0, null, null,
                            out.resolve("models").resolve(name + ".safetensors"), overwrite, false,
                            inputs.source(), inputs.dataDescription(), goal);
                    FineTuneRun.plan(samples, setup);
                    setups.add(setup);
                }
            }
        }
        List<Run> runs = new ArrayList<>();
        List<Run> externalRuns = new ArrayList<>();
        if (!noZeroShot && inputs.checkpoint != null) {
            runs.addAll(zeroShot(samples, setups, null));
            if (externalSamples != null) {
                externalRuns.addAll(zeroShot(samples, setups, externalSamples));
            }
        }
        for (FineTuneRun.Setup setup : setups) {
            long seed = setup.options().seed();
            System.out.printf("run %d of %d: %s, budget %s, seed %d%n", runs.size() + 1, setups.size(),
                    setup.strategy().label(), trim(setup.budget()), seed);
            long start = System.nanoTime();
            try (SamModel model = inputs.loadModel(seed)) {
                FineTuneRun.Summary s = FineTuneRun.run(model, samples, setup,
                        new FineTuneCommand.ConsoleListener(schedule.epochs, schedule.timeLimit, setup.objective()), System.out::println);
                runs.add(new Run(setup.strategy().label(), setup.budget(), seed, s.trainImages(), s.testGroups(),
                        s.testDice(), s.otsuDice(), s.allForegroundDice(), s.trainable(), s.total(),
                        (System.nanoTime() - start) / 1e9, s.testScores(), s.testPixels()));
                if (externalSamples != null) {
                    // The trained model (best validation weights) on the whole second data set.
                    DataSplit split = FineTuneRun.split(samples, setup);
                    FineTuneRun.TestScores t = FineTuneRun.test(model,
                            new DataSplit(split.train(), List.of(), externalSamples), setup.objective());
                    externalRuns.add(new Run(setup.strategy().label(), setup.budget(), seed, s.trainImages(),
                            t.groups(), t.dice(), t.otsu(), t.allForeground(), s.trainable(), s.total(),
                            (System.nanoTime() - start) / 1e9, t.model(), t.pixels()));
                }
            }
        }
        OutputFiles.writeString(runsFile, overwrite, runsTable(runs));
        OutputFiles.writeString(perImageFile, overwrite, perImageTable(runs));
        OutputFiles.writeString(pairedFile, overwrite, pairedTable(runs));
        Charts.savePng(plot(runs), plotFile, overwrite);
        if (externalSamples != null) {
            OutputFiles.writeString(externalRunsFile, overwrite, runsTable(externalRuns));
            OutputFiles.writeString(externalPerImageFile, overwrite, perImageTable(externalRuns));
            OutputFiles.writeString(externalPairedFile, overwrite, pairedTable(externalRuns));
            System.out.println("wrote " + externalRunsFile + ", " + externalPerImageFile.getFileName() + ", "
                    + externalPairedFile.getFileName());
        }
        System.out.println("wrote " + runsFile + ", " + perImageFile.getFileName() + ", " + pairedFile.getFileName()
                + ", " + plotFile.getFileName());
        return 0;
    }

    /**
     * The starting model scored on each seed's test split without training (the same images as the trained rows), as
     * a row at every budget so that it is compared with every trained row.
     */
    private List<Run> zeroShot(List<TrainingSample> samples, List<FineTuneRun.Setup> setups,
                               List<TrainingSample> externalSamples) throws IOException {
        List<Run> out = new ArrayList<>();
        Map<Long, FineTuneRun.TestScores> bySeed = new LinkedHashMap<>();
        Map<Long, Double> seconds = new LinkedHashMap<>();
        for (FineTuneRun.Setup setup : setups) {
            long seed = setup.options().seed();
            if (!bySeed.containsKey(seed)) {
                System.out.printf("zero-shot: the starting model on %s%n", externalSamples == null
                        ? "the test split of seed " + seed : "the external data");
                long start = System.nanoTime();
                try (SamModel model = inputs.loadModel(seed)) {
                    DataSplit split = FineTuneRun.split(samples, setup);
                    bySeed.put(seed, FineTuneRun.test(model, externalSamples == null ? split
                            : new DataSplit(split.train(), List.of(), externalSamples), setup.objective()));
                    seconds.put(seed, (System.nanoTime() - start) / 1e9);
                }
            }
        }
        for (FineTuneRun.Setup setup : setups) {
            long seed = setup.options().seed();
            boolean listed = out.stream().anyMatch(r -> r.seed() == seed && r.budget() == setup.budget());
            if (!listed) {
                FineTuneRun.TestScores t = bySeed.get(seed);
                out.add(new Run(ZERO_SHOT, setup.budget(), seed, 0, t.groups(), t.dice(), t.otsu(), t.allForeground(),
                        0, 0, seconds.get(seed), t.model(), t.pixels()));
            }
        }
        return out;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    static String runsTable(List<Run> runs) {
        StringBuilder t = new StringBuilder("strategy,budget,seed,train_images,test_images,dice_mean,dice_ci95_low,"
                + "dice_ci95_high,dice_median");
        for (String m : MEASURES) {
            t.append(',').append(m).append("_mean,").append(m).append("_ci95_low,").append(m).append("_ci95_high");
        }
        t.append(",segmented_share,otsu_mean,all_foreground_mean,trainable_parameters,trainable_share,seconds\n");
        for (Run r : runs) {
            SummaryStatistics.Summary s = SummaryStatistics.of(r.dice(), SummaryStatistics.DEFAULT_RESAMPLES,
                    SummaryStatistics.DEFAULT_SEED);
            t.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%.6f,%.6f,%.6f,%.6f", r.strategy(), trim(r.budget()),
                    r.seed(), r.trainImages(), r.dice().length, s.mean(), s.ciLow(), s.ciHigh(), s.median()));
            for (String m : MEASURES) {
                SummaryStatistics.Summary v = SummaryStatistics.of(finite(measure(r, m)),
                        SummaryStatistics.DEFAULT_RESAMPLES, SummaryStatistics.DEFAULT_SEED);
                t.append(String.format(Locale.ROOT, ",%.6f,%.6f,%.6f", v.mean(), v.ciLow(), v.ciHigh()));
            }
            t.append(String.format(Locale.ROOT, ",%.6f,%.6f,%.6f,%d,%.6f,%.1f%n", mean(segmented(r)), mean(r.otsu()),
                    mean(r.allForeground()), r.trainable(), r.total() == 0 ? 0.0 : r.trainable() / (double) r.total(),
                    r.seconds()));
        }
        return t.toString();
    }

    /** 1 where the image counts as segmented (IoU at least {@link #SUCCESS_IOU}), else 0. */
    private static double[] segmented(Run r) {
        return java.util.Arrays.stream(r.scores().iou()).map(v -> v >= SUCCESS_IOU ? 1 : 0).toArray();
    }

    static String perImageTable(List<Run> runs) {
        StringBuilder t = new StringBuilder("strategy,budget,seed,image,dice," + String.join(",", MEASURES)
                + ",otsu,all_foreground\n");
        for (Run r : runs) {
            List<double[]> extra = MEASURES.stream().map(m -> measure(r, m)).toList();
            for (int i = 0; i < r.dice().length; i++) {
                t.append(String.format(Locale.ROOT, "%s,%s,%d,%s,%.6f", r.strategy(), trim(r.budget()), r.seed(),
                        r.testNames().get(i), r.dice()[i]));
                for (double[] v : extra) {
                    t.append(Double.isNaN(v[i]) ? "," : String.format(Locale.ROOT, ",%.6f", v[i]));
                }
                t.append(String.format(Locale.ROOT, ",%.6f,%.6f%n", r.otsu()[i], r.allForeground()[i]));
            }
        }
        return t.toString();
    }

    /** Wilcoxon signed-rank between every two strategies on the same test images (same budget and seed). */
    static String pairedTable(List<Run> runs) {
        Map<String, List<Run>> cells = new LinkedHashMap<>();
        for (Run r : runs) {
            cells.computeIfAbsent(trim(r.budget()) + "|" + r.seed(), k -> new ArrayList<>()).add(r);
        }
        List<String> rows = new ArrayList<>();
        List<Double> p = new ArrayList<>();
        List<PairedTests.McNemarResult> mcNemar = new ArrayList<>();
        List<PairedTests.DeLongResult> deLong = new ArrayList<>();
        for (List<Run> cell : cells.values()) {
            for (int i = 0; i < cell.size(); i++) {
                for (int j = i + 1; j < cell.size(); j++) {
                    Run a = cell.get(i);
                    Run b = cell.get(j);
                    PairedTests.WilcoxonResult w = PairedTests.wilcoxon(a.dice(), b.dice());
                    PairedTests.McNemarResult m = PairedTests.mcNemar(success(a), success(b),
                            PairedTests.McNemarMethod.AUTO);
                    deLong.add(a.pixels().deLong(b.pixels()));
                    rows.add(String.format(Locale.ROOT, "%s,%d,%s,%s,%d,%.6f,%.6f,%.6f,%.6g", trim(a.budget()),
                            a.seed(), a.strategy(), b.strategy(), w.n(), mean(a.dice()) - mean(b.dice()),
                            w.medianDifference(), w.rankBiserial(), w.pValue()));
                    p.add(w.pValue());
                    mcNemar.add(m);
                }
            }
        }
        double[] corrected = PairedTests.bonferroni(p.stream().mapToDouble(Double::doubleValue).toArray());
        double[] mcNemarCorrected = PairedTests.bonferroni(mcNemar.stream().mapToDouble(PairedTests.McNemarResult::pValue)
                .toArray());
        double[] deLongCorrected = PairedTests.bonferroni(deLong.stream().mapToDouble(PairedTests.DeLongResult::pValue)
                .toArray());
        // McNemar compares per-image decisions: an image is segmented when its IoU reaches SUCCESS_IOU. DeLong
        // compares the pixel-level AUCs of the two models' logits on the same sampled test pixels.
        StringBuilder t = new StringBuilder("budget,seed,strategy_a,strategy_b,n,mean_difference,median_difference,"
                + "rank_biserial,p_value,p_bonferroni,mcnemar_only_a_segmented,mcnemar_only_b_segmented,mcnemar_method,"
                + "mcnemar_p,mcnemar_p_bonferroni,auc_a,auc_b,delong_p,delong_p_bonferroni\n");
        for (int i = 0; i < rows.size(); i++) {
            PairedTests.McNemarResult m = mcNemar.get(i);
            PairedTests.DeLongResult d = deLong.get(i);
            t.append(rows.get(i)).append(String.format(Locale.ROOT, ",%.6g,%d,%d,%s,%.6g,%.6g,%.6f,%.6f,%.6g,%.6g%n",
                    corrected[i], m.onlyFirstCorrect(), m.onlySecondCorrect(), m.method(), m.pValue(),
                    mcNemarCorrected[i], d.aucA(), d.aucB(), d.pValue(), deLongCorrected[i]));
        }
        return t.toString();
    }

    private static boolean[] success(Run r) {
        double[] iou = r.scores().iou();
        boolean[] out = new boolean[iou.length];
        for (int i = 0; i < iou.length; i++) {
            out[i] = iou[i] >= SUCCESS_IOU;
        }
        return out;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    /** Mean test Dice (over seeds and images) against budget, one line per strategy, with the runs' 95% intervals. */
    static ij.gui.Plot plot(List<Run> runs) {
        List<Double> budgetAxis = runs.stream().map(Run::budget).distinct().sorted().toList();
        List<Charts.Series> series = new ArrayList<>();
        for (String name : runs.stream().map(Run::strategy).distinct().toList()) {
            List<double[]> points = new ArrayList<>();
            for (double budget : budgetAxis) {
                double[] values = runs.stream().filter(r -> r.strategy().equals(name) && r.budget() == budget)
                        .flatMapToDouble(r -> java.util.Arrays.stream(r.dice())).toArray();
                if (values.length > 0) {
                    SummaryStatistics.Summary sum = SummaryStatistics.of(values, SummaryStatistics.DEFAULT_RESAMPLES,
                            SummaryStatistics.DEFAULT_SEED);
                    points.add(new double[] {budget, sum.mean(), sum.ciLow(), sum.ciHigh()});
                }
            }
            series.add(new Charts.Series(name, column(points, 0), column(points, 1), column(points, 2),
                    column(points, 3)));
        }
        // The baselines on the same test images, for scale: Otsu threshold and all foreground.
        double otsu = runs.stream().flatMapToDouble(r -> java.util.Arrays.stream(r.otsu())).average().orElse(Double.NaN);
        double all = runs.stream().flatMapToDouble(r -> java.util.Arrays.stream(r.allForeground())).average()
                .orElse(Double.NaN);
        return Charts.diceVersusBudget(series, otsu, all);
    }

    private static double[] column(List<double[]> rows, int c) {
        return rows.stream().mapToDouble(r -> r[c]).toArray();
    }
}
