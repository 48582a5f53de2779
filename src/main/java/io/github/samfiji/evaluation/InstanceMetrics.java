package io.github.samfiji.evaluation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

/**
 * Instance segmentation accuracy, for automatic segmentation: each positive integer of the prediction and of the
 * truth is one object (instance label images, 2D or 3D; 0 is background).
 *
 * <p>A predicted and a true object match at a threshold t when their IoU is at least t; each object matches at
 * most one other. Matching is greedy by decreasing IoU (ties: lower true label, then lower predicted label).
 * For t &gt;= 0.5 this is also a maximum matching: objects of one image are disjoint, so above 0.5 an object
 * overlaps at most one object of the other image enough, and at exactly 0.5 the only way to have two partners is
 * to be the union of two equal halves, which then have no other partner; any choice gives the same count.
 * Thresholds below 0.5, where matches compete, are refused.
 *
 * <p>At each threshold: TP = matched pairs, FP = unmatched predictions, FN = unmatched true objects, segmentation
 * accuracy SA = TP / (TP + FP + FN). mSA is the mean SA over t = 0.50, 0.55, ..., 0.95; SA50 and SA75 are SA at
 * 0.5 and 0.75; precision TP / (TP + FP), recall TP / (TP + FN) and F1 2TP / (2TP + FP + FN) are those of the
 * matching at 0.5. Empty cases: with no object on either side SA and F1 are 1 (as Dice), precision and recall
 * undefined; precision is undefined without predictions, recall without true objects.
 */
public final class InstanceMetrics {

    /** The thresholds of mSA: 0.50, 0.55, ..., 0.95, each the double nearest to k / 100. */
    public static final double[] THRESHOLDS = thresholds();

    /** Instance metrics columns of the results table, in the order of {@link Result#values()}. */
    public static final List<String> COLUMNS = List.of("n_truth", "n_pred", "tp", "fp", "fn", "precision", "recall",
            "f1", "sa50", "sa75", "msa", "mean_matched_iou");

    private InstanceMetrics() {
    }

    /**
     * The matching of one image at every threshold of {@link #THRESHOLDS}.
     *
     * @param truthCount number of true objects
     * @param predictionCount number of predicted objects
     * @param thresholds the IoU thresholds
     * @param truePositives matches per threshold
     * @param meanMatchedIou mean IoU of the pairs matched at 0.5 (NaN when none)
     */
    public record Result(int truthCount, int predictionCount, double[] thresholds, int[] truePositives,
            double meanMatchedIou) {

        /** TP at a threshold index. */
        public int tp(int i) {
            return truePositives[i];
        }

        public int fp(int i) {
            return predictionCount - truePositives[i];
        }

        public int fn(int i) {
            return truthCount - truePositives[i];
        }

        /** SA = TP / (TP + FP + FN) at threshold index i; 1 when both images are empty. */
        public double accuracy(int i) {
            int denominator = tp(i) + fp(i) + fn(i);
            return denominator == 0 ? 1 : (double) tp(i) / denominator;
        }

        /** SA at the threshold t (which must be one of {@link #thresholds()}). */
        public double accuracyAt(double t) {
            return accuracy(indexOf(t));
        }

        /** Mean SA over the thresholds. */
        public double meanAccuracy() {
            double sum = 0;
            for (int i = 0; i < thresholds.length; i++) {
                sum += accuracy(i);
            }
            return sum / thresholds.length;
        }

        public double precision() {
            int i = indexOf(0.5);
            return predictionCount == 0 ? Double.NaN : (double) tp(i) / predictionCount;
        }

        public double recall() {
            int i = indexOf(0.5);
            return truthCount == 0 ? Double.NaN : (double) tp(i) / truthCount;
        }

        public double f1() {
            int i = indexOf(0.5);
            int denominator = 2 * tp(i) + fp(i) + fn(i);
            return denominator == 0 ? 1 : 2.0 * tp(i) / denominator;
        }

        /** The values in the order of {@link InstanceMetrics#COLUMNS}. */
        public double[] values() {
            int i = indexOf(0.5);
            return new double[] {truthCount, predictionCount, tp(i), fp(i), fn(i), precision(), recall(), f1(),
                accuracyAt(0.5), accuracyAt(0.75), meanAccuracy(), meanMatchedIou};
        }

        private int indexOf(double t) {
            for (int i = 0; i < thresholds.length; i++) {
                if (thresholds[i] == t) {
                    return i;
                }
            }
            throw new IllegalArgumentException("threshold " + t + " was not evaluated");
        }
    }

    /** One pair of overlapping objects. */
    public record Overlap(int truthLabel, int predictionLabel, double iou) {
    }

    /** Instance metrics of a predicted instance label image against the true one. */
    public static Result evaluate(RandomAccessibleInterval<? extends RealType<?>> prediction,
            RandomAccessibleInterval<? extends RealType<?>> truth) {
        long[] dims = InputChecks.sameSize("prediction", prediction, "truth", truth);
        Map<Integer, long[]> predictionSizes = new HashMap<>();
        Map<Integer, long[]> truthSizes = new HashMap<>();
        Map<Long, long[]> intersections = new HashMap<>();
        Cursor<? extends RealType<?>> p = Views.flatIterable(prediction).cursor();
        Cursor<? extends RealType<?>> t = Views.flatIterable(truth).cursor();
        int[] position = new int[dims.length];
        while (t.hasNext()) {
            int a = InputChecks.label(t.next().getRealDouble(), "truth", position);
            int b = InputChecks.label(p.next().getRealDouble(), "prediction", position);
            if (a != 0) {
                truthSizes.computeIfAbsent(a, k -> new long[1])[0]++;
            }
            if (b != 0) {
                predictionSizes.computeIfAbsent(b, k -> new long[1])[0]++;
            }
            if (a != 0 && b != 0) {
                intersections.computeIfAbsent(((long) a << 32) | b, k -> new long[1])[0]++;
            }
            InputChecks.advance(position, dims);
        }
        List<Overlap> overlaps = new ArrayList<>(intersections.size());
        for (Map.Entry<Long, long[]> e : intersections.entrySet()) {
            int a = (int) (e.getKey() >>> 32);
            int b = (int) (e.getKey() & 0xffffffffL);
            long inter = e.getValue()[0];
            long union = truthSizes.get(a)[0] + predictionSizes.get(b)[0] - inter;
            overlaps.add(new Overlap(a, b, (double) inter / union));
        }
        return match(truthSizes.size(), predictionSizes.size(), overlaps, THRESHOLDS);
    }

    /**
     * Matches objects from their overlaps (pairs not listed do not overlap).
     *
     * @param truthCount number of true objects
     * @param predictionCount number of predicted objects
     * @param overlaps IoU of the overlapping pairs
     * @param thresholds IoU thresholds, each at least 0.5
     */
    public static Result match(int truthCount, int predictionCount, List<Overlap> overlaps, double[] thresholds) {
        for (double t : thresholds) {
            if (!(t >= 0.5 && t <= 1)) {
                throw new EvaluationException("IoU thresholds must lie in [0.5, 1] (greedy matching is only optimal"
                        + " there), got " + t);
            }
        }
        List<Overlap> sorted = new ArrayList<>(overlaps);
        sorted.sort(Comparator.comparingDouble(Overlap::iou).reversed()
                .thenComparingInt(Overlap::truthLabel).thenComparingInt(Overlap::predictionLabel));
        int[] tp = new int[thresholds.length];
        double meanIou = Double.NaN;
        for (int i = 0; i < thresholds.length; i++) {
            Set<Integer> usedTruth = new HashSet<>();
            Set<Integer> usedPrediction = new HashSet<>();
            double iouSum = 0;
            for (Overlap o : sorted) {
                if (o.iou() < thresholds[i]) {
                    break;
                }
                if (!usedTruth.contains(o.truthLabel()) && !usedPrediction.contains(o.predictionLabel())) {
                    usedTruth.add(o.truthLabel());
                    usedPrediction.add(o.predictionLabel());
                    iouSum += o.iou();
                    tp[i]++;
                }
            }
            if (thresholds[i] == 0.5 && tp[i] > 0) {
                meanIou = iouSum / tp[i];
            }
        }
        return new Result(truthCount, predictionCount, thresholds.clone(), tp, meanIou);
    }

    private static double[] thresholds() {
        double[] t = new double[10];
        for (int k = 0; k < t.length; k++) {
            t[k] = (50 + 5 * k) / 100.0;
        }
        return t;
    }
}
