package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.WindowManager;
import ij.measure.ResultsTable;
import io.github.samfiji.evaluation.LabelMetrics;
import io.github.samfiji.evaluation.MetricsTable;
import io.github.samfiji.evaluation.SegmentationMetrics;
import io.github.samfiji.io.OutputFiles;
import java.io.File;
import java.io.IOException;
import java.util.List;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * Evaluate Segmentation: a prediction against ground truth (open label images or masks, 2D or stacks) into the
 * "Segmentation Metrics" results table: one row per label, then mean, s.d., median and a bootstrap 95% interval.
 * Surface distances are in the truth's calibrated units. Definitions: docs/evaluation.md.
 */
@Plugin(type = Command.class, label = "Evaluate Segmentation")
public class EvaluateSegmentationCommand implements Command {

    public static final String TABLE = "Segmentation Metrics";

    @Parameter(label = "Prediction", style = "image", description = "label image or mask produced by a segmentation")
    String prediction;

    @Parameter(label = "Ground truth", style = "image", description = "the reference labels")
    String truth;

    @Parameter(label = "Binary masks", description = "treat any non-zero value as the object (e.g. 0/1 against 0/255)")
    boolean binary = false;

    @Parameter(label = "Bootstrap resamples", min = "0", max = "1000000")
    int bootstrap = 2000;

    @Parameter(label = "Seed", description = "of the bootstrap, for reproducible intervals")
    int seed = 42;

    @Parameter(label = "CSV file", style = "save", required = false,
            description = "also save the table as CSV here (left empty: no file); an existing file is not replaced")
    File csv;

    /** The metrics of the last run, for callers and tests. */
    MetricsTable table;

    @Override
    public void run() {
        ImagePlus p = image(prediction, "prediction");
        ImagePlus t = image(truth, "ground truth");
        if (p == t) {
            throw new IllegalArgumentException("prediction and ground truth are the same image (" + p.getTitle() + ")");
        }
        LabelImageFiles.Loaded pred = LabelImageFiles.wrap(p, p.getTitle());
        LabelImageFiles.Loaded ref = LabelImageFiles.wrap(t, t.getTitle());
        List<LabelMetrics> results = new SegmentationMetrics().withBinary(binary).withSpacing(ref.spacing())
                .evaluate(pred.pixels(), ref.pixels(), null);
        MetricsTable metrics = MetricsTable.segmentation();
        for (LabelMetrics r : results) {
            metrics.add(p.getTitle(), r);
        }
        table = metrics;
        ResultsTable rt = new ResultsTable();
        for (MetricsTable.Row row : metrics.rows()) {
            addRow(rt, metrics, row);
        }
        for (MetricsTable.Row row : metrics.summary(bootstrap, seed)) {
            addRow(rt, metrics, row);
        }
        rt.show(TABLE);
        if (csv != null && !csv.getPath().isBlank()) {
            try {
                OutputFiles.write(csv.toPath(), false, file -> metrics.write(file, bootstrap, seed));
            } catch (IOException e) {
                throw new IllegalArgumentException("could not save " + csv + ": " + e.getMessage(), e);
            }
        }
    }

    private static void addRow(ResultsTable rt, MetricsTable metrics, MetricsTable.Row row) {
        rt.incrementCounter();
        rt.addValue("image", row.image());
        rt.addValue("label", row.label() == null ? "" : row.label().toString());
        List<String> columns = metrics.valueColumns();
        for (int i = 0; i < columns.size(); i++) {
            rt.addValue(columns.get(i), row.value(i));
        }
    }

    private static ImagePlus image(String title, String role) {
        ImagePlus image = title == null ? null : WindowManager.getImage(title);
        if (image == null) {
            throw new IllegalArgumentException("the " + role + " image '" + title + "' is not open");
        }
        return image;
    }
}
