package io.github.samfiji.cli;

import io.github.samfiji.io.ErrorMessages;
import io.github.samfiji.evaluation.EvaluationException;
import io.github.samfiji.evaluation.InstanceMetrics;
import io.github.samfiji.evaluation.PairEvaluation;
import io.github.samfiji.evaluation.MetricsTable;
import io.github.samfiji.evaluation.NameMatching;
import io.github.samfiji.evaluation.SegmentationMetrics;
import io.github.samfiji.imagejio.LabelImageFiles;
import io.github.samfiji.imagejio.LabelImageFiles.Loaded;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code evaluate}: segmentation metrics of predictions against the truth, per image and label, with summary
 * rows, into a CSV file. The metrics and their conventions are those of
 * {@link io.github.samfiji.evaluation.SegmentationMetrics} and {@link InstanceMetrics}; this class only finds,
 * pairs and opens the files and reports what it skipped.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare predictions with the truth: per image (or volume) and label Dice, IoU, sensitivity,"
            + " specificity, precision, F1, AUC (with --prob), HD95 and average symmetric surface distance in"
            + " calibrated units, then summary rows (mean, sd, median, 95%% bootstrap CI).",
            "P, T and PROB are files, or folders whose files are matched by name without extension; names"
                + " without a partner are reported and skipped."},
        footer = {"", "Empty cases: a label in neither image has dice = iou = f1 = 1 and empty distances; a label in"
            + " one image only has dice 0 and empty distances. Empty cells are undefined values.",
            "HD95 is the 95th percentile of the surface distances of both directions pooled, ASSD the mean of the"
                + " two directed means (medpy's definitions); surfaces use face neighbours and the image border."})
public final class EvaluateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--pred", paramLabel = "P",
            description = "predicted labels or masks (TIFF, PNG, ..., or RoiSet.zip), a file or a folder")
    Path prediction;

    @Option(names = "--truth", required = true, paramLabel = "T",
            description = "true labels or masks (8/16-bit, 2D or 3D stack, or RoiSet.zip), a file or a folder")
    Path truth;

    @Option(names = "--prob", paramLabel = "PROB",
            description = "probability maps for the AUC (without --pred, thresholded into the prediction)")
    Path probability;

    @Option(names = "--labels", defaultValue = "all", paramLabel = "all|1,2,..",
            description = "labels to report: all present in each image (default) or a list, reported even where"
                + " absent")
    String labels;

    @Option(names = "--out", required = true, paramLabel = "results.csv", description = "the results table")
    Path out;

    @Option(names = "--instances",
            description = "instance mode: every label is one object; IoU matching, mSA (0.5..0.95), SA50,"
                + " matched precision, recall, F1")
    boolean instances;

    @Option(names = "--binary", description = "read masks as binary: any non-zero value is foreground (label 1)")
    boolean binary;

    @Option(names = "--per-slice", description = "evaluate each slice of a stack as a 2D image (rows name:slice)")
    boolean perSlice;

    @Option(names = "--threshold", defaultValue = "0.5", paramLabel = "T",
            description = "without --pred, the probability (0..1; 8/16-bit maps scaled by 255/65535) at or above"
                + " which a pixel is foreground (default ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--bootstrap", defaultValue = "2000", paramLabel = "N",
            description = "bootstrap resamples for the confidence interval (default ${DEFAULT-VALUE}; 0 for none)")
    int bootstrap;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "bootstrap seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--spacing", split = ",", paramLabel = "x,y[,z]", hideParamSyntax = true,
            description = "voxel size in calibrated units (default: the truth's calibration, else the"
                + " prediction's, else 1)")
    double[] spacing;

    @Option(names = "--size", paramLabel = "WxH[xD]", description = "canvas size when both sides are ROI sets")
    String size;

    @Option(names = "--no-distances", description = "skip HD95 and ASSD (faster on large volumes)")
    boolean noDistances;

    @Option(names = "--overwrite", description = "replace the results file if it exists")
    boolean overwrite;

    @Option(names = "--keep-going", description = "report an image that cannot be read or evaluated, go on with the"
            + " others and write their results, then exit with status 1")
    boolean keepGoing;

    /** One image (or volume) to evaluate. */
    record Case(String name, Path prediction, Path truth, Path probability) {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(out, err);
        } catch (EvaluationException | IOException | UncheckedIOException e) {
            err.println("evaluate: error: " + ErrorMessages.describe(e));
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int run(PrintWriter console, PrintWriter err) throws IOException {
        int[] chosen = parseLabels(labels);
        checkOptions(chosen);
        List<Case> cases = cases(err);
        SegmentationMetrics metrics = new SegmentationMetrics().withLabels(chosen).withBinary(binary)
                .withSurfaceDistances(!noDistances);
        MetricsTable table = instances ? MetricsTable.instances() : MetricsTable.segmentation();
        Map<String, List<String>> emptyCases = new TreeMap<>();
        Set<String> units = new LinkedHashSet<>();
        List<String> suspectBinary = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Case c : cases) {
            try {
                evaluate(c, metrics, table, emptyCases, units, suspectBinary, err);
            } catch (EvaluationException | IOException | UncheckedIOException e) {
                if (!keepGoing && e instanceof EvaluationException) {
                    throw new EvaluationException("'" + c.name() + "': " + e.getMessage(), e);
                }
                if (!keepGoing) {
                    throw e;
                }
                // One bad image among many: say which and why, and evaluate the others.
                err.println("error: '" + c.name() + "': " + ErrorMessages.describe(e) + "; skipped");
                failed.add(c.name());
            }
        }
        if (failed.size() == cases.size()) {
            throw new EvaluationException("none of the " + cases.size() + " images could be evaluated");
        }
        InputFiles.writeAtomically(out, overwrite, file -> table.write(file, bootstrap, seed));

        int done = cases.size() - failed.size();
        console.println("evaluated " + done + (done == 1 ? " image" : " images") + ", "
                + table.rows().size() + " rows; wrote " + out);
        if (!failed.isEmpty()) {
            err.println("evaluate: " + done + " image(s) evaluated, " + failed.size() + " failed: "
                    + InputFiles.names(failed, 10));
        }
        if (!instances && !noDistances) {
            console.println("note: hd95 and assd are in " + String.join(" / ", units)
                    + (units.contains("pixel") ? " (no calibration; set one with --spacing)" : ""));
        }
        for (Map.Entry<String, List<String>> e : emptyCases.entrySet()) {
            console.println("note: " + e.getKey() + " in " + e.getValue().size() + " of " + cases.size()
                    + " images: " + InputFiles.names(e.getValue(), 10));
        }
        if (!suspectBinary.isEmpty()) {
            err.println("warning: prediction and truth hold different single labels in "
                    + InputFiles.names(suspectBinary, 5) + "; if these are binary masks (e.g. 0/1 against 0/255),"
                    + " use --binary");
        }
        return failed.isEmpty() ? 0 : 1;
    }

    private void evaluate(Case c, SegmentationMetrics metrics, MetricsTable table,
            Map<String, List<String>> emptyCases, Set<String> units, List<String> suspectBinary, PrintWriter err)
            throws IOException {
        Inputs in = open(c);
        double[] voxelSize = voxelSize(in, c, err);
        units.add(spacing != null ? "calibrated units (--spacing)" : in.unit);
        PairEvaluation.Findings found = new PairEvaluation(metrics, instances, perSlice, binary, threshold).add(table,
                c.name(), in.truth.pixels(), in.prediction == null ? null : in.prediction.pixels(),
                in.probability == null ? null : in.probability.pixels(),
                in.probability == null ? 1 : in.probability.maxValue(), voxelSize);
        found.emptyCases().forEach((kind, rows) -> emptyCases.computeIfAbsent(kind, k -> new ArrayList<>()).addAll(rows));
        suspectBinary.addAll(found.noCommonLabel());
    }

    /** The opened files of one case. */
    private static final class Inputs {
        Loaded truth;
        Loaded prediction;
        Loaded probability;
        String unit = "pixel";
    }

    private Inputs open(Case c) throws IOException {
        Inputs in = new Inputs();
        long[] canvas = null;
        if (!LabelImageFiles.isRoiFile(c.truth())) {
            in.truth = LabelImageFiles.open(c.truth());
            canvas = in.truth.dimensions();
        }
        if (c.prediction() != null && !LabelImageFiles.isRoiFile(c.prediction())) {
            in.prediction = LabelImageFiles.open(c.prediction());
            canvas = canvas != null ? canvas : in.prediction.dimensions();
        }
        if (c.probability() != null) {
            if (LabelImageFiles.isRoiFile(c.probability())) {
                throw new EvaluationException("a probability map must be an image, not ROIs: "
                        + c.probability().getFileName());
            }
            in.probability = LabelImageFiles.open(c.probability());
            canvas = canvas != null ? canvas : in.probability.dimensions();
        }
        if (canvas == null) {
            if (size == null) {
                throw new EvaluationException("both prediction and truth are ROI sets; give the image size with"
                        + " --size WxH or WxHxD");
            }
            canvas = parseSize(size);
        }
        if (in.truth == null) {
            in.truth = LabelImageFiles.openRois(c.truth(), canvas);
        }
        if (c.prediction() != null && in.prediction == null) {
            in.prediction = LabelImageFiles.openRois(c.prediction(), canvas);
        }
        return in;
    }

    private double[] voxelSize(Inputs in, Case c, PrintWriter err) {
        if (spacing != null) {
            return spacing;
        }
        Loaded source = null;
        for (Loaded l : new Loaded[] {in.truth, in.prediction, in.probability}) {
            if (l != null && l.calibrated()) {
                source = l;
                break;
            }
        }
        if (source == null) {
            in.unit = "pixel";
            return null;
        }
        for (Loaded l : new Loaded[] {in.truth, in.prediction, in.probability}) {
            if (l != null && l != source && l.calibrated() && !sameSpacing(l.spacing(), source.spacing())) {
                err.println("warning: '" + c.name() + "': " + l.name() + " is calibrated as "
                        + Arrays.toString(l.spacing()) + " " + l.unit() + " but " + source.name() + " as "
                        + Arrays.toString(source.spacing()) + " " + source.unit() + "; using the latter");
            }
        }
        in.unit = source.unit();
        return source.spacing();
    }

    private static boolean sameSpacing(double[] a, double[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > 1e-6 * Math.max(Math.abs(a[i]), Math.abs(b[i]))) {
                return false;
            }
        }
        return true;
    }

    private List<Case> cases(PrintWriter err) throws IOException {
        boolean truthFolder = InputFiles.isFolder("truth", truth);
        Boolean predictionFolder = prediction == null ? null : InputFiles.isFolder("prediction", prediction);
        Boolean probabilityFolder = probability == null ? null
                : InputFiles.isFolder("probability map", probability);
        if ((predictionFolder != null && predictionFolder != truthFolder)
                || (probabilityFolder != null && probabilityFolder != truthFolder)) {
            throw new EvaluationException("give files or folders on both sides: --truth is a "
                    + (truthFolder ? "folder" : "file") + " but "
                    + (predictionFolder != null && predictionFolder != truthFolder ? "--pred" : "--prob") + " is not");
        }
        if (!truthFolder) {
            String name = NameMatching.stem(truth.getFileName().toString());
            return List.of(new Case(name, prediction, truth, probability));
        }
        Map<String, Path> truths = InputFiles.byStem("truth", truth);
        Map<String, Path> probabilities = probability == null ? Map.of()
                : InputFiles.byStem("probability map", probability);
        Map<String, Path> predictions = prediction == null ? probabilities
                : InputFiles.byStem("prediction", prediction);
        String predictionRole = prediction == null ? "probability map" : "prediction";
        NameMatching.Matching matching = NameMatching.match(predictionRole, names(predictions), "truth",
                names(truths));
        InputFiles.reportUnmatched(err, matching.unmatchedFirst(), predictionRole, "truth file");
        InputFiles.reportUnmatched(err, matching.unmatchedSecond(), "truth", predictionRole + " file");
        if (matching.pairs().isEmpty()) {
            throw new EvaluationException("no file names in common between " + (prediction != null ? prediction
                    : probability) + " (" + InputFiles.names(names(predictions), 5) + ") and " + truth + " ("
                    + InputFiles.names(names(truths), 5) + ")");
        }
        List<Case> cases = new ArrayList<>();
        for (NameMatching.Pair pair : matching.pairs()) {
            Path p = prediction == null ? null : predictions.get(pair.stem());
            Path s = probabilities.get(pair.stem());
            if (probability != null && prediction != null && s == null) {
                err.println("warning: no probability map for '" + pair.stem() + "'; its auc is left empty");
            }
            cases.add(new Case(pair.stem(), p, truths.get(pair.stem()), s));
        }
        if (prediction != null && probability != null) {
            for (Map.Entry<String, Path> e : probabilities.entrySet()) {
                if (!truths.containsKey(e.getKey()) || !predictions.containsKey(e.getKey())) {
                    err.println("warning: probability map '" + e.getValue().getFileName()
                            + "' has no matching prediction and truth; skipped");
                }
            }
        }
        return cases;
    }

    private static List<String> names(Map<String, Path> byStem) {
        List<String> names = new ArrayList<>();
        for (Path p : byStem.values()) {
            names.add(p.getFileName().toString());
        }
        return names;
    }

    private void checkOptions(int[] chosen) {
        if (prediction == null && probability == null) {
            throw new EvaluationException("give the prediction (--pred), a probability map (--prob), or both");
        }
        if (bootstrap < 0) {
            throw new EvaluationException("--bootstrap must be 0 or more, got " + bootstrap);
        }
        if (Double.isNaN(threshold)) {
            throw new EvaluationException("--threshold must be a number");
        }
        if (spacing != null) {
            for (double s : spacing) {
                if (!(s > 0) || Double.isInfinite(s)) {
                    throw new EvaluationException("--spacing values must be positive, got " + Arrays.toString(spacing));
                }
            }
        }
        if (instances) {
            if (prediction == null) {
                throw new EvaluationException("--instances needs the predicted instance labels (--pred)");
            }
            if (probability != null || chosen != null || binary) {
                throw new EvaluationException("--instances compares objects; --prob, --labels and --binary do not"
                        + " apply");
            }
        }
        if (prediction == null && chosen != null && (chosen.length != 1 || chosen[0] != 1)) {
            throw new EvaluationException("a thresholded probability map has the single label 1; --labels "
                    + labels + " does not apply");
        }
    }

    static int[] parseLabels(String text) {
        String trimmed = text.trim();
        if (trimmed.equalsIgnoreCase("all")) {
            return null;
        }
        String[] parts = trimmed.split(",");
        int[] values = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                values[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new EvaluationException("--labels expects 'all' or a comma-separated list of positive integers,"
                        + " got '" + text + "'");
            }
            if (values[i] <= 0) {
                throw new EvaluationException("--labels must be positive integers (0 is the background), got '"
                        + text + "'");
            }
        }
        return values;
    }

    static long[] parseSize(String text) {
        String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x");
        if (parts.length < 2 || parts.length > 3) {
            throw new EvaluationException("--size expects WxH or WxHxD, got '" + text + "'");
        }
        long[] dims = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new EvaluationException("--size expects WxH or WxHxD, got '" + text + "'");
            }
            if (dims[i] < 1) {
                throw new EvaluationException("--size values must be positive, got '" + text + "'");
            }
        }
        return dims;
    }
}
