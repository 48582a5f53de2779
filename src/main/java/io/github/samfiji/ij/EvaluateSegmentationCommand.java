package io.github.samfiji.ij;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.evaluation.MetricsTable;
import io.github.samfiji.evaluation.PairEvaluation;
import io.github.samfiji.evaluation.SegmentationMetrics;
import io.github.samfiji.io.OutputFiles;
import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import io.github.samfiji.imagejio.LabelImageFiles;

/**
 * Evaluate Segmentation: a prediction against ground truth (open label images or masks, 2D or stacks) into the
 * "Segmentation Metrics" results table: one row per image (or slice) and label, then per label the rows mean,
 * s.d., median and a bootstrap 95% interval, as the {@code evaluate} command line writes them. Surface distances
 * are in the truth's calibrated units. Definitions: docs/evaluation.md.
 *
 * <p>The prediction may also be the ROI Manager: each area ROI is one predicted object, drawn on its slice (on
 * every slice when it has no position), label = its group when every ROI has one (so that several ROIs, one per
 * slice, form one object, or so that objects carry the truth's label numbers), else its 1-based position in the
 * manager; later ROIs are drawn over earlier ones. This is how ROI sets are read from files
 * ({@link LabelImageFiles#rasterize}). A probability map (an open image of scores, 32-bit 0..1; 8/16-bit scaled
 * by 255/65535) adds the AUC; without a prediction ("None") the map at or above the threshold is the prediction.
 */
@Plugin(type = Command.class, label = "Evaluate Segmentation")
public class EvaluateSegmentationCommand implements Command {

    public static final String TABLE = "Segmentation Metrics";
    public static final String ROI_MANAGER = "ROI Manager";
    public static final String NONE = "None";

    @Parameter(label = "Prediction", style = "image", choices = {ROI_MANAGER, NONE},
            description = "label image or mask produced by a segmentation, the ROI Manager's ROIs (one object each),"
                    + " or None to threshold the probability map")
    String prediction;

    @Parameter(label = "Ground truth", style = "image", description = "the reference labels")
    String truth;

    @Parameter(label = "Probability map", style = "image", choices = {NONE},
            description = "scores of the foreground (32-bit, 0..1) for the AUC; None for no AUC")
    String probability = NONE;

    @Parameter(label = "Threshold", description = "with Prediction None: the probability at or above which a pixel"
            + " is predicted foreground")
    double threshold = 0.5;

    @Parameter(label = "Binary masks", description = "treat any non-zero value as the object (e.g. 0/1 against 0/255)")
    boolean binary = false;

    @Parameter(label = "Instances", description = "match predicted and true objects by IoU (mSA, SA50, precision,"
            + " recall) instead of comparing pixels label by label")
    boolean instances = false;

    @Parameter(label = "Per slice", description = "evaluate each slice of a stack as its own image")
    boolean perSlice = false;

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
        if (csv != null && !csv.getPath().isBlank() && csv.exists()) {
            throw new IllegalArgumentException("the CSV file " + csv + " exists already; choose another name");
        }
        ImagePlus t = image(truth, "ground truth");
        boolean fromManager = ROI_MANAGER.equals(prediction);
        ImagePlus p = fromManager || NONE.equals(prediction) ? null : image(prediction, "prediction");
        ImagePlus s = probability == null || NONE.equals(probability) ? null : image(probability, "probability map");
        if (p == t || s == t) {
            throw new IllegalArgumentException((p == t ? "prediction" : "probability map") + " and ground truth are"
                    + " the same image (" + t.getTitle() + ")");
        }
        LabelImageFiles.Loaded ref = LabelImageFiles.wrap(t, t.getTitle());
        LabelImageFiles.Loaded map = s == null ? null : LabelImageFiles.wrap(s, s.getTitle());
        LabelImageFiles.Loaded pred;
        String name;
        if (fromManager) {
            pred = LabelImageFiles.rasterize(managerRois(), ref.dimensions(), ROI_MANAGER);
            name = t.getTitle();
        } else if (p != null) {
            pred = LabelImageFiles.wrap(p, p.getTitle());
            name = p.getTitle();
        } else if (map != null) {
            pred = null;
            name = s.getTitle();
        } else {
            throw new IllegalArgumentException("give a prediction (an image or the ROI Manager), a probability map,"
                    + " or both");
        }
        if (pred != null) {
            sameSize("prediction", pred, ref);
        }
        if (map != null) {
            sameSize("probability map", map, ref);
        }
        if (instances && (pred == null || map != null || binary)) {
            throw new IllegalArgumentException("Instances compares objects: it needs a prediction (an image or the ROI"
                    + " Manager), without probability map or binary masks");
        }
        if (Double.isNaN(threshold)) {
            throw new IllegalArgumentException("the threshold must be a number");
        }
        table = evaluate(name, pred, ref, map);
        ResultsTable rt = new ResultsTable();
        for (MetricsTable.Row row : table.rows()) {
            addRow(rt, table, row);
        }
        for (MetricsTable.Row row : table.summary(bootstrap, seed)) {
            addRow(rt, table, row);
        }
        rt.show(TABLE);
        if (csv != null && !csv.getPath().isBlank()) {
            MetricsTable metrics = table;
            try {
                OutputFiles.write(csv.toPath(), false, file -> metrics.write(file, bootstrap, seed));
            } catch (IOException e) {
                throw new IllegalArgumentException("could not save " + csv + ": " + e.getMessage(), e);
            }
        }
    }

    private MetricsTable evaluate(String name, LabelImageFiles.Loaded pred, LabelImageFiles.Loaded ref,
            LabelImageFiles.Loaded map) {
        MetricsTable metrics = instances ? MetricsTable.instances() : MetricsTable.segmentation();
        PairEvaluation.Findings found = new PairEvaluation(new SegmentationMetrics().withBinary(binary), instances,
                perSlice, binary, threshold).add(metrics, name, ref.pixels(), pred == null ? null : pred.pixels(),
                map == null ? null : map.pixels(), map == null ? 1 : map.maxValue(), ref.spacing());
        if (!found.noCommonLabel().isEmpty()) {
            IJ.log("Evaluate Segmentation: no label of the prediction is a label of the ground truth in "
                    + found.noCommonLabel().size() + " row(s) (e.g. 0/1 against 0/255, or ROIs numbered 1, 2, ..."
                    + " against a 0/255 mask); for masks tick Binary masks, to match objects tick Instances, or give"
                    + " the ROIs the truth's label numbers as groups");
        }
        return metrics;
    }

    private static void sameSize(String role, LabelImageFiles.Loaded image, LabelImageFiles.Loaded truth) {
        if (!Arrays.equals(image.dimensions(), truth.dimensions())) {
            throw new IllegalArgumentException("the " + role + " (" + image.name() + ", " + size(image.dimensions())
                    + ") and the ground truth (" + truth.name() + ", " + size(truth.dimensions()) + ") differ in size");
        }
    }

    private static String size(long[] dims) {
        StringBuilder b = new StringBuilder();
        for (long d : dims) {
            b.append(b.length() == 0 ? "" : " x ").append(d);
        }
        return b.toString();
    }

    private static List<Roi> managerRois() {
        RoiManager manager = RoiManager.getInstance2();
        Roi[] rois = manager == null ? new Roi[0] : manager.getRoisAsArray();
        if (rois.length == 0) {
            throw new IllegalArgumentException("the ROI Manager is empty: add the predicted objects to it (one area ROI"
                    + " per object), or choose a prediction image");
        }
        return List.of(rois);
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
