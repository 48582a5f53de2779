package io.github.samfiji.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

/**
 * The evaluate job for one image: a prediction and/or a probability map against the ground truth, as rows of a
 * {@link MetricsTable} (one per label, or the instance measures), for the whole image or slice by slice. The command
 * line (many files) and Fiji (open images) both go through here, so they give the same rows and the same warnings.
 */
public final class PairEvaluation {

    /** What the evaluation noticed: rows per kind of empty case, and rows whose labels look like binary masks. */
    public record Findings(Map<String, List<String>> emptyCases, List<String> noCommonLabel) {
    }

    private final SegmentationMetrics metrics;
    private final boolean instances;
    private final boolean perSlice;
    private final boolean binary;
    private final double threshold;

    /**
     * @param metrics   the pixel measures (labels, binary, surface distances); its spacing is set per image
     * @param instances match objects by IoU instead of comparing labels
     * @param perSlice  each slice of a stack is its own row ({@code name:z}, z 1-based)
     * @param binary    any non-zero value is the object (as set on {@code metrics}); only for the label warning
     * @param threshold with a probability map and no prediction: the fraction of the map's maximum that is foreground
     */
    public PairEvaluation(SegmentationMetrics metrics, boolean instances, boolean perSlice, boolean binary,
                          double threshold) {
        if (Double.isNaN(threshold)) {
            throw new EvaluationException("the threshold must be a number");
        }
        this.metrics = metrics;
        this.instances = instances;
        this.perSlice = perSlice;
        this.binary = binary;
        this.threshold = threshold;
    }

    /**
     * Adds the rows of one image to {@code table}.
     *
     * @param prediction     labels, or null (then the probability map thresholded)
     * @param probability    scores, or null
     * @param probabilityMax the map's largest possible value (1 for floats, 255 for 8-bit, ...)
     * @param spacing        voxel size per axis, or null for pixels
     */
    public Findings add(MetricsTable table, String name, RandomAccessibleInterval<? extends RealType<?>> truth,
                        RandomAccessibleInterval<? extends RealType<?>> prediction,
                        RandomAccessibleInterval<? extends RealType<?>> probability, double probabilityMax,
                        double[] spacing) {
        if (prediction == null && probability == null) {
            throw new EvaluationException("give a prediction, a probability map, or both");
        }
        Map<String, List<String>> empty = new LinkedHashMap<>();
        List<String> noCommon = new ArrayList<>();
        boolean slices = perSlice && truth.numDimensions() == 3;
        int depth = slices ? (int) truth.dimension(2) : 1;
        for (int z = 0; z < depth; z++) {
            String row = slices ? name + ":" + (z + 1) : name;
            RandomAccessibleInterval<? extends RealType<?>> t = plane(truth, slices, z);
            RandomAccessibleInterval<? extends RealType<?>> p = prediction == null ? null : plane(prediction, slices, z);
            if (instances) {
                table.add(row, InstanceMetrics.evaluate(p, t));
                continue;
            }
            SegmentationMetrics m = metrics.withSpacing(slices && spacing != null ? Arrays.copyOf(spacing, 2) : spacing);
            if (p == null) {
                m = m.withThreshold(threshold * probabilityMax);
            }
            List<LabelMetrics> results = m.evaluate(p, t, probability == null ? null : plane(probability, slices, z));
            for (LabelMetrics r : results) {
                table.add(row, r);
                if (r.emptyCase() != EmptyCase.NONE) {
                    empty.computeIfAbsent("label " + r.label() + " is " + r.emptyCase().describe(),
                            k -> new ArrayList<>()).add(row);
                }
            }
            // Typical of 0/1 against 0/255, or of ROIs numbered 1, 2, ... against a mask: every label "missed".
            if (!binary && p != null && results.stream().noneMatch(r -> r.emptyCase() == EmptyCase.NONE)
                    && results.stream().anyMatch(r -> r.emptyCase() == EmptyCase.TRUTH_EMPTY)
                    && results.stream().anyMatch(r -> r.emptyCase() == EmptyCase.PREDICTION_EMPTY)) {
                noCommon.add(row);
            }
        }
        return new Findings(empty, noCommon);
    }

    private static RandomAccessibleInterval<? extends RealType<?>> plane(
            RandomAccessibleInterval<? extends RealType<?>> image, boolean slices, int z) {
        return slices ? Views.hyperSlice(image, 2, image.min(2) + z) : image;
    }
}
