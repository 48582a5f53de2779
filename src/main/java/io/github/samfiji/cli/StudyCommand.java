package io.github.samfiji.cli;

import io.github.samfiji.evaluation.PairedTests;
import io.github.samfiji.evaluation.SummaryStatistics;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.FineTuneOptions;
import io.github.samfiji.training.FineTuneRun;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.Strategy;
import io.github.samfiji.training.TrainingSample;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
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

    @Option(names = "--rank", defaultValue = "4", description = "LoRA rank (default ${DEFAULT-VALUE})")
    int rank;

    @Option(names = "--epochs", defaultValue = "" + FineTuneOptions.EPOCHS, description = "maximum epochs per run (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--patience", defaultValue = "" + FineTuneOptions.PATIENCE, description = "early-stopping patience (default ${DEFAULT-VALUE})")
    int patience;

    @Option(names = "--batch", defaultValue = "" + FineTuneOptions.BATCH, description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--lr", defaultValue = "" + FineTuneOptions.LEARNING_RATE, description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--warmup", defaultValue = "" + FineTuneOptions.WARMUP, description = "warm-up iterations (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--time-limit", description = "minutes per run at most")
    Double timeLimit;

    @Option(names = "--out", required = true, description = "output folder")
    Path out;

    @Option(names = "--overwrite", description = "replace existing outputs")
    boolean overwrite;

    /** One finished run. */
    record Run(String strategy, double budget, long seed, int trainImages, List<String> testNames, double[] dice,
               double[] otsu, double[] allForeground, double seconds) {
    }

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
            grid.add(new Strategy(Strategy.Parts.parse(pm[0]), Strategy.Method.parse(pm[1]), rank, 1f, null)
                    .withPromptEncoder(inputs.promptEncoderTrained()));
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
        // Every run of the grid is checked before the first one trains, so a bad budget does not fail hours in.
        List<FineTuneRun.Setup> setups = new ArrayList<>();
        for (long seed : seeds) {
            for (double budget : budgets) {
                for (Strategy strategy : grid) {
                    String name = String.format(Locale.ROOT, "%s_b%s_s%d", strategy.label().replace('/', '-'),
                            trim(budget), seed);
                    FineTuneOptions options = new FineTuneOptions(lr, 0.1, warmup, false, batch, 1, epochs, patience,
                            1, true, seed);
                    FineTuneRun.Setup setup = new FineTuneRun.Setup(strategy, options, budget, 0, null, null,
                            out.resolve("models").resolve(name + ".safetensors"), overwrite, false,
                            inputs.source(), inputs.dataDescription(), goal);
                    FineTuneRun.plan(samples, setup);
                    setups.add(setup);
                }
            }
        }
        List<Run> runs = new ArrayList<>();
        for (FineTuneRun.Setup setup : setups) {
            long seed = setup.options().seed();
            System.out.printf("run %d of %d: %s, budget %s, seed %d%n", runs.size() + 1, setups.size(),
                    setup.strategy().label(), trim(setup.budget()), seed);
            long start = System.nanoTime();
            try (SamModel model = inputs.loadModel(seed)) {
                FineTuneRun.Summary s = FineTuneRun.run(model, samples, setup,
                        new FineTuneCommand.ConsoleListener(epochs, timeLimit, setup.objective()), System.out::println);
                runs.add(new Run(setup.strategy().label(), setup.budget(), seed, s.trainImages(), s.testGroups(),
                        s.testDice(), s.otsuDice(), s.allForegroundDice(), (System.nanoTime() - start) / 1e9));
            }
        }
        OutputFiles.writeString(runsFile, overwrite, runsTable(runs));
        OutputFiles.writeString(perImageFile, overwrite, perImageTable(runs));
        OutputFiles.writeString(pairedFile, overwrite, pairedTable(runs));
        BufferedImage plot = plot(runs);
        OutputFiles.write(plotFile, overwrite, t -> ImageIO.write(plot, "png", t.toFile()));
        System.out.println("wrote " + runsFile + ", " + perImageFile.getFileName() + ", " + pairedFile.getFileName()
                + ", " + plotFile.getFileName());
        return 0;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    static String runsTable(List<Run> runs) {
        StringBuilder t = new StringBuilder("strategy,budget,seed,train_images,test_images,dice_mean,dice_ci95_low,"
                + "dice_ci95_high,dice_median,otsu_mean,all_foreground_mean,seconds\n");
        for (Run r : runs) {
            SummaryStatistics.Summary s = SummaryStatistics.of(r.dice(), SummaryStatistics.DEFAULT_RESAMPLES,
                    SummaryStatistics.DEFAULT_SEED);
            t.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.1f%n", r.strategy(),
                    trim(r.budget()), r.seed(), r.trainImages(), r.dice().length, s.mean(), s.ciLow(), s.ciHigh(),
                    s.median(), mean(r.otsu()), mean(r.allForeground()), r.seconds()));
        }
        return t.toString();
    }

    static String perImageTable(List<Run> runs) {
        StringBuilder t = new StringBuilder("strategy,budget,seed,image,dice,otsu,all_foreground\n");
        for (Run r : runs) {
            for (int i = 0; i < r.dice().length; i++) {
                t.append(String.format(Locale.ROOT, "%s,%s,%d,%s,%.6f,%.6f,%.6f%n", r.strategy(), trim(r.budget()),
                        r.seed(), r.testNames().get(i), r.dice()[i], r.otsu()[i], r.allForeground()[i]));
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
        for (List<Run> cell : cells.values()) {
            for (int i = 0; i < cell.size(); i++) {
                for (int j = i + 1; j < cell.size(); j++) {
                    Run a = cell.get(i);
                    Run b = cell.get(j);
                    PairedTests.WilcoxonResult w = PairedTests.wilcoxon(a.dice(), b.dice());
                    rows.add(String.format(Locale.ROOT, "%s,%d,%s,%s,%d,%.6f,%.6f,%.6f,%.6g", trim(a.budget()),
                            a.seed(), a.strategy(), b.strategy(), w.n(), mean(a.dice()) - mean(b.dice()),
                            w.medianDifference(), w.rankBiserial(), w.pValue()));
                    p.add(w.pValue());
                }
            }
        }
        double[] corrected = PairedTests.bonferroni(p.stream().mapToDouble(Double::doubleValue).toArray());
        StringBuilder t = new StringBuilder("budget,seed,strategy_a,strategy_b,n,mean_difference,median_difference,"
                + "rank_biserial,p_value,p_bonferroni\n");
        for (int i = 0; i < rows.size(); i++) {
            t.append(rows.get(i)).append(String.format(Locale.ROOT, ",%.6g%n", corrected[i]));
        }
        return t.toString();
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    /** Mean test Dice (over seeds and images) against budget, one line per strategy, with the runs' 95% intervals. */
    static BufferedImage plot(List<Run> runs) {
        int width = 720;
        int height = 440;
        int m = 60;
        List<Double> budgetAxis = runs.stream().map(Run::budget).distinct().sorted().toList();
        List<String> names = runs.stream().map(Run::strategy).distinct().toList();
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int x0 = m;
        int x1 = width - 200;
        int y0 = height - m;
        int y1 = m / 2 + 6;
        g.drawRect(x0, y1, x1 - x0, y0 - y1);
        g.drawString("annotation budget (fraction of the training split)", x0 + 40, height - m / 3);
        g.drawString("test Dice, mean and 95% CI", x0, 18);
        for (int k = 0; k < budgetAxis.size(); k++) {
            int x = xOf(k, budgetAxis.size(), x0, x1);
            g.drawString(trim(budgetAxis.get(k)), x - 10, y0 + 16);
        }
        for (int t = 0; t <= 5; t++) {
            int y = yOf(t / 5.0, y0, y1);
            g.drawLine(x0 - 4, y, x0, y);
            g.drawString(String.format(Locale.ROOT, "%.1f", t / 5.0), x0 - 28, y + 4);
        }
        // The baselines on the same test images, for scale: Otsu threshold and all foreground.
        double otsu = runs.stream().flatMapToDouble(r -> java.util.Arrays.stream(r.otsu())).average().orElse(Double.NaN);
        double all = runs.stream().flatMapToDouble(r -> java.util.Arrays.stream(r.allForeground())).average()
                .orElse(Double.NaN);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        g.setColor(Color.GRAY);
        if (!Double.isNaN(otsu)) {
            g.drawLine(x0, yOf(otsu, y0, y1), x1, yOf(otsu, y0, y1));
            g.drawString(String.format(Locale.ROOT, "Otsu %.2f", otsu), x1 + 12, yOf(otsu, y0, y1) + 4);
        }
        if (!Double.isNaN(all)) {
            g.drawLine(x0, yOf(all, y0, y1), x1, yOf(all, y0, y1));
            g.drawString(String.format(Locale.ROOT, "all foreground %.2f", all), x1 + 12, yOf(all, y0, y1) + 16);
        }
        Color[] palette = {new Color(30, 90, 200), new Color(200, 60, 40), new Color(40, 150, 70),
            new Color(150, 60, 170), new Color(220, 140, 20), new Color(90, 90, 90)};
        g.setStroke(new BasicStroke(2f));
        for (int s = 0; s < names.size(); s++) {
            g.setColor(palette[s % palette.length]);
            int prevX = -1;
            int prevY = -1;
            for (int k = 0; k < budgetAxis.size(); k++) {
                List<Double> values = new ArrayList<>();
                for (Run r : runs) {
                    if (r.strategy().equals(names.get(s)) && r.budget() == budgetAxis.get(k)) {
                        for (double d : r.dice()) {
                            values.add(d);
                        }
                    }
                }
                if (values.isEmpty()) {
                    continue;
                }
                SummaryStatistics.Summary sum = SummaryStatistics.of(values.stream().mapToDouble(Double::doubleValue)
                        .toArray(), SummaryStatistics.DEFAULT_RESAMPLES, SummaryStatistics.DEFAULT_SEED);
                int x = xOf(k, budgetAxis.size(), x0, x1) + (s - names.size() / 2) * 4;
                int y = yOf(sum.mean(), y0, y1);
                g.drawLine(x, yOf(sum.ciLow(), y0, y1), x, yOf(sum.ciHigh(), y0, y1));
                g.fillOval(x - 4, y - 4, 8, 8);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, x, y);
                }
                prevX = x;
                prevY = y;
            }
            g.drawString(names.get(s), x1 + 12, y1 + 20 + 18 * s);
        }
        g.dispose();
        return image;
    }

    private static int xOf(int k, int n, int x0, int x1) {
        return n == 1 ? (x0 + x1) / 2 : x0 + 30 + (int) Math.round((x1 - x0 - 60) * k / (double) (n - 1));
    }

    private static int yOf(double v, int y0, int y1) {
        return y0 - (int) Math.round((y0 - y1) * Math.max(0, Math.min(1, v)));
    }
}
