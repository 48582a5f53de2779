package io.github.samfiji.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

/**
 * Per-label segmentation metrics of a prediction against the truth, for 2D images and 3D volumes, with voxel
 * spacing.
 *
 * <p>Inputs are label images: 0 is background and every positive integer a label (a binary mask is the label
 * image of label 1, or of 255 for 8-bit masks unless read as binary). Non-integer values are refused. In binary
 * mode every non-zero value is foreground, label 1. A probability map, when given, yields the AUC of each label
 * (positives: the voxels with that label in the truth; negatives: all others); when no prediction is given, the
 * prediction is the map thresholded at {@link #withThreshold(double) the threshold} (score &gt;= threshold) and
 * both sides are read as binary.
 *
 * <p>Which labels: by default every label present in the prediction or the truth of this image; or a given list,
 * reported even where absent from both.
 *
 * <p>Empty cases, so that every row is defined the same way:
 * <ul>
 * <li>label in neither: Dice = IoU = F1 = 1 (nothing to find, nothing found); sensitivity and precision undefined
 * (0/0); specificity 1; AUC, HD95 and ASSD undefined.</li>
 * <li>label only in the truth: Dice = IoU = F1 = sensitivity = 0; precision undefined; distances undefined.</li>
 * <li>label only in the prediction: Dice = IoU = F1 = precision = 0; sensitivity undefined; distances
 * undefined.</li>
 * </ul>
 * Undefined values are NaN (empty cells in the table). Surface distances follow {@link SurfaceDistances}.
 *
 * <p>Instances are immutable; the {@code with...} methods return changed copies.
 */
public final class SegmentationMetrics {

    private static final String PREDICTION = "prediction";
    private static final String TRUTH = "truth";
    private static final String PROBABILITY = "probability map";

    private final double[] spacing;
    private final int[] labels;
    private final boolean binary;
    private final double threshold;
    private final boolean surfaceDistances;

    /** Unit spacing, all labels, label images, threshold 0.5, with surface distances. */
    public SegmentationMetrics() {
        this(null, null, false, 0.5, true);
    }

    private SegmentationMetrics(double[] spacing, int[] labels, boolean binary, double threshold,
            boolean surfaceDistances) {
        this.spacing = spacing;
        this.labels = labels;
        this.binary = binary;
        this.threshold = threshold;
        this.surfaceDistances = surfaceDistances;
    }

    /** Voxel size per axis (x, y[, z]) in calibrated units; null for 1. Extra trailing values are ignored. */
    public SegmentationMetrics withSpacing(double... voxelSize) {
        if (voxelSize != null) {
            for (double s : voxelSize) {
                if (!(s > 0) || Double.isInfinite(s)) {
                    throw new EvaluationException("voxel spacing must be positive and finite, got "
                            + Arrays.toString(voxelSize));
                }
            }
        }
        return new SegmentationMetrics(voxelSize == null ? null : voxelSize.clone(), labels, binary, threshold,
                surfaceDistances);
    }

    /** The labels to report, in this order; null for all labels present. */
    public SegmentationMetrics withLabels(int... chosen) {
        if (chosen != null) {
            for (int label : chosen) {
                if (label <= 0) {
                    throw new EvaluationException("labels must be positive integers (0 is the background), got "
                            + label);
                }
            }
            if (Arrays.stream(chosen).distinct().count() != chosen.length) {
                throw new EvaluationException("a label is listed twice: " + Arrays.toString(chosen));
            }
        }
        return new SegmentationMetrics(spacing, chosen == null ? null : chosen.clone(), binary, threshold,
                surfaceDistances);
    }

    /** Binary mode: every non-zero value is foreground (label 1). */
    public SegmentationMetrics withBinary(boolean asBinary) {
        return new SegmentationMetrics(spacing, labels, asBinary, threshold, surfaceDistances);
    }

    /** The score at or above which a probability map counts as foreground when no prediction is given. */
    public SegmentationMetrics withThreshold(double scoreThreshold) {
        if (Double.isNaN(scoreThreshold)) {
            throw new EvaluationException("the threshold must be a number");
        }
        return new SegmentationMetrics(spacing, labels, binary, scoreThreshold, surfaceDistances);
    }

    /** Whether to compute HD95 and ASSD (the slowest part); without them both are NaN. */
    public SegmentationMetrics withSurfaceDistances(boolean compute) {
        return new SegmentationMetrics(spacing, labels, binary, threshold, compute);
    }

    /** Metrics per label of a label image against the truth. */
    public List<LabelMetrics> evaluate(RandomAccessibleInterval<? extends RealType<?>> prediction,
            RandomAccessibleInterval<? extends RealType<?>> truth) {
        return evaluate(prediction, truth, null);
    }

    /**
     * Metrics per label.
     *
     * @param prediction predicted labels or mask; null to threshold the probability map
     * @param truth true labels or mask, same size
     * @param probability scores for the foreground (any real numbers, higher = more likely), same size; null for
     *        no AUC
     * @return one entry per reported label, in label order (or the order given)
     */
    public List<LabelMetrics> evaluate(RandomAccessibleInterval<? extends RealType<?>> prediction,
            RandomAccessibleInterval<? extends RealType<?>> truth,
            RandomAccessibleInterval<? extends RealType<?>> probability) {
        if (truth == null) {
            throw new EvaluationException("no truth given");
        }
        if (prediction == null && probability == null) {
            throw new EvaluationException("give a prediction, a probability map, or both");
        }
        long[] dims = truth.dimensionsAsLongArray();
        if (prediction != null) {
            InputChecks.sameSize(PREDICTION, prediction, TRUTH, truth);
        }
        if (probability != null) {
            InputChecks.sameSize(PROBABILITY, probability, TRUTH, truth);
        }
        boolean asBinary = binary || prediction == null;
        double[] voxelSize = spacingFor(dims.length);
        if (asBinary && labels != null && (labels.length != 1 || labels[0] != 1)) {
            throw new EvaluationException("binary masks have the single label 1, but labels "
                    + Arrays.toString(labels) + " were requested");
        }
        Counts counts = count(prediction, truth, probability, dims, asBinary);

        int[] reported;
        if (labels != null) {
            reported = labels;
        } else {
            TreeSet<Integer> present = new TreeSet<>(counts.truth.keySet());
            present.addAll(counts.prediction.keySet());
            reported = present.stream().mapToInt(Integer::intValue).toArray();
        }
        long total = counts.total;
        List<LabelMetrics> results = new ArrayList<>(reported.length);
        for (int label : reported) {
            LabelStats p = counts.prediction.get(label);
            LabelStats t = counts.truth.get(label);
            long predicted = p == null ? 0 : p.count;
            long actual = t == null ? 0 : t.count;
            long tp = t == null ? 0 : t.overlap;
            long fp = predicted - tp;
            long fn = actual - tp;
            long tn = total - tp - fp - fn;
            double auc = Double.NaN;
            if (probability != null && actual > 0 && actual < total) {
                auc = auc(truth, probability, label, asBinary, actual, total);
            }
            double hd95 = Double.NaN;
            double assd = Double.NaN;
            if (surfaceDistances && predicted > 0 && actual > 0) {
                SurfaceDistances distances = surfaceDistances(prediction, probability, truth, label, asBinary, p, t,
                        voxelSize);
                hd95 = distances.hd95();
                assd = distances.assd();
            }
            results.add(LabelMetrics.fromCounts(label, tp, fp, fn, tn, auc, hd95, assd));
        }
        return results;
    }

    /** The surface distances of one label, computed in the bounding box of its voxels in both images. */
    SurfaceDistances surfaceDistances(RandomAccessibleInterval<? extends RealType<?>> prediction,
            RandomAccessibleInterval<? extends RealType<?>> probability,
            RandomAccessibleInterval<? extends RealType<?>> truth, int label, boolean asBinary, LabelStats p,
            LabelStats t, double[] voxelSize) {
        // Every site and every query voxel lies in the union of the two boxes, and outside the box there is only
        // background, so distances computed on the box are those on the whole image.
        int n = voxelSize.length;
        long[] min = new long[n];
        long[] max = new long[n];
        int[] boxDims = new int[n];
        for (int d = 0; d < n; d++) {
            min[d] = Math.min(p.min[d], t.min[d]);
            max[d] = Math.max(p.max[d], t.max[d]);
            boxDims[d] = (int) (max[d] - min[d] + 1);
        }
        boolean[] predicted = prediction != null ? mask(prediction, min, max, label, asBinary)
                : thresholdMask(probability, min, max);
        boolean[] actual = mask(truth, min, max, label, asBinary);
        return SurfaceDistances.of(predicted, actual, boxDims, voxelSize);
    }

    private boolean[] mask(RandomAccessibleInterval<? extends RealType<?>> image, long[] min, long[] max, int label,
            boolean asBinary) {
        Cursor<? extends RealType<?>> cursor = Views.flatIterable(Views.interval(image, offset(image, min),
                offset(image, max))).cursor();
        boolean[] mask = new boolean[InputChecks.toInt(size(min, max), "the region of label " + label)];
        for (int i = 0; i < mask.length; i++) {
            double v = cursor.next().getRealDouble();
            mask[i] = asBinary ? v != 0 : v == label;
        }
        return mask;
    }

    private boolean[] thresholdMask(RandomAccessibleInterval<? extends RealType<?>> probability, long[] min,
            long[] max) {
        Cursor<? extends RealType<?>> cursor = Views.flatIterable(Views.interval(probability,
                offset(probability, min), offset(probability, max))).cursor();
        boolean[] mask = new boolean[InputChecks.toInt(size(min, max), "the foreground region")];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = cursor.next().getRealDouble() >= threshold;
        }
        return mask;
    }

    private double auc(RandomAccessibleInterval<? extends RealType<?>> truth,
            RandomAccessibleInterval<? extends RealType<?>> probability, int label, boolean asBinary, long actual,
            long total) {
        double[] positives = new double[InputChecks.toInt(actual, "label " + label)];
        double[] negatives = new double[InputChecks.toInt(total - actual, "the background of label " + label)];
        Cursor<? extends RealType<?>> t = Views.flatIterable(truth).cursor();
        Cursor<? extends RealType<?>> s = Views.flatIterable(probability).cursor();
        int np = 0;
        int nn = 0;
        while (t.hasNext()) {
            double v = t.next().getRealDouble();
            double score = s.next().getRealDouble();
            if (asBinary ? v != 0 : v == label) {
                positives[np++] = score;
            } else {
                negatives[nn++] = score;
            }
        }
        Arrays.sort(positives);
        Arrays.sort(negatives);
        return Roc.aucOfSorted(positives, negatives);
    }

    private Counts count(RandomAccessibleInterval<? extends RealType<?>> prediction,
            RandomAccessibleInterval<? extends RealType<?>> truth,
            RandomAccessibleInterval<? extends RealType<?>> probability, long[] dims, boolean asBinary) {
        Counts counts = new Counts(dims.length);
        Cursor<? extends RealType<?>> t = Views.flatIterable(truth).cursor();
        Cursor<? extends RealType<?>> p = prediction == null ? null : Views.flatIterable(prediction).cursor();
        Cursor<? extends RealType<?>> s = probability == null ? null : Views.flatIterable(probability).cursor();
        int[] position = new int[dims.length];
        long total = 0;
        while (t.hasNext()) {
            int actual = toLabel(t.next().getRealDouble(), TRUTH, position, asBinary);
            double score = 0;
            if (s != null) {
                score = s.next().getRealDouble();
                if (Double.isNaN(score)) {
                    throw new EvaluationException(PROBABILITY + " holds NaN at " + InputChecks.position(position)
                            + "; scores must be numbers");
                }
            }
            int predicted = p != null ? toLabel(p.next().getRealDouble(), PREDICTION, position, asBinary)
                    : score >= threshold ? 1 : 0;
            if (predicted != 0) {
                counts.prediction(predicted).add(position);
            }
            if (actual != 0) {
                LabelStats stats = counts.truth(actual);
                stats.add(position);
                if (predicted == actual) {
                    stats.overlap++;
                }
            }
            total++;
            InputChecks.advance(position, dims);
        }
        counts.total = total;
        return counts;
    }

    private static int toLabel(double value, String role, int[] position, boolean asBinary) {
        if (asBinary) {
            if (Double.isNaN(value)) {
                throw new EvaluationException(role + " holds NaN at " + InputChecks.position(position));
            }
            return value != 0 ? 1 : 0;
        }
        return InputChecks.label(value, role, position);
    }

    private double[] spacingFor(int axes) {
        double[] voxelSize = new double[axes];
        for (int d = 0; d < axes; d++) {
            if (spacing == null) {
                voxelSize[d] = 1;
            } else if (d < spacing.length) {
                voxelSize[d] = spacing[d];
            } else {
                throw new EvaluationException("the images have " + axes + " axes but the spacing gives only "
                        + spacing.length + " values " + Arrays.toString(spacing));
            }
        }
        return voxelSize;
    }

    private static long[] offset(RandomAccessibleInterval<?> image, long[] position) {
        long[] shifted = new long[position.length];
        for (int d = 0; d < position.length; d++) {
            shifted[d] = position[d] + image.min(d);
        }
        return shifted;
    }

    private static long size(long[] min, long[] max) {
        long size = 1;
        for (int d = 0; d < min.length; d++) {
            size *= max[d] - min[d] + 1;
        }
        return size;
    }

    /** Voxel count, bounding box and overlap with the prediction of one label. */
    static final class LabelStats {
        long count;
        long overlap;
        final long[] min;
        final long[] max;

        LabelStats(int axes) {
            min = new long[axes];
            max = new long[axes];
            Arrays.fill(min, Long.MAX_VALUE);
            Arrays.fill(max, Long.MIN_VALUE);
        }

        void add(int[] position) {
            count++;
            for (int d = 0; d < position.length; d++) {
                if (position[d] < min[d]) {
                    min[d] = position[d];
                }
                if (position[d] > max[d]) {
                    max[d] = position[d];
                }
            }
        }
    }

    /** Per-label statistics of both images, with a one-entry cache since labels come in runs. */
    private static final class Counts {
        final int axes;
        final Map<Integer, LabelStats> prediction = new HashMap<>();
        final Map<Integer, LabelStats> truth = new HashMap<>();
        long total;
        private int lastPredictionLabel = -1;
        private LabelStats lastPrediction;
        private int lastTruthLabel = -1;
        private LabelStats lastTruth;

        Counts(int axes) {
            this.axes = axes;
        }

        LabelStats prediction(int label) {
            if (label != lastPredictionLabel) {
                lastPrediction = prediction.computeIfAbsent(label, k -> new LabelStats(axes));
                lastPredictionLabel = label;
            }
            return lastPrediction;
        }

        LabelStats truth(int label) {
            if (label != lastTruthLabel) {
                lastTruth = truth.computeIfAbsent(label, k -> new LabelStats(axes));
                lastTruthLabel = label;
            }
            return lastTruth;
        }
    }
}
