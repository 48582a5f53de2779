package io.github.samfiji.evaluation;

import java.util.List;

/**
 * The metrics of one label in one image (or volume). Undefined values are {@code NaN} and are written as empty
 * cells; {@link #emptyCase()} says why a value is missing or set by convention.
 *
 * @param label the label value (1 for binary masks)
 * @param truePositives voxels with the label in both
 * @param falsePositives voxels with the label in the prediction only
 * @param falseNegatives voxels with the label in the truth only
 * @param trueNegatives voxels with the label in neither
 * @param dice 2|P∩G| / (|P| + |G|)
 * @param iou |P∩G| / |P∪G|
 * @param sensitivity TP / (TP + FN), the recall
 * @param specificity TN / (TN + FP)
 * @param precision TP / (TP + FP)
 * @param f1 2 precision recall / (precision + recall); equal to Dice for one binary mask
 * @param auc area under the ROC curve of the probability map against the truth; NaN without a map
 * @param hd95 95th percentile of the symmetric surface distances, calibrated units
 * @param assd average symmetric surface distance, calibrated units
 * @param emptyCase which side, if any, lacks the label
 */
public record LabelMetrics(int label, long truePositives, long falsePositives, long falseNegatives, long trueNegatives,
        double dice, double iou, double sensitivity, double specificity, double precision, double f1, double auc,
        double hd95, double assd, EmptyCase emptyCase) {

    /** The value columns of the results table, in the order of {@link #values()}. */
    public static final List<String> COLUMNS = List.of("dice", "iou", "sensitivity", "specificity", "precision", "f1",
            "auc", "hd95", "assd");

    /** The metrics in the order of {@link #COLUMNS}. */
    public double[] values() {
        return new double[] {dice, iou, sensitivity, specificity, precision, f1, auc, hd95, assd};
    }

    /**
     * The overlap metrics from the four counts, with the empty-case conventions of {@link SegmentationMetrics};
     * AUC and distances are passed through.
     */
    public static LabelMetrics fromCounts(int label, long tp, long fp, long fn, long tn, double auc, double hd95,
            double assd) {
        long predicted = tp + fp;
        long truth = tp + fn;
        EmptyCase empty = EmptyCase.of(predicted, truth);
        double dice;
        double iou;
        if (empty == EmptyCase.BOTH_EMPTY) {
            dice = 1;
            iou = 1;
        } else {
            dice = 2.0 * tp / (predicted + truth);
            iou = (double) tp / (tp + fp + fn);
        }
        double sensitivity = ratio(tp, truth);
        double specificity = ratio(tn, tn + fp);
        double precision = ratio(tp, predicted);
        // F1 from the counts is 2TP / (2TP + FP + FN), the same number as Dice, and follows its convention.
        double f1 = dice;
        return new LabelMetrics(label, tp, fp, fn, tn, dice, iou, sensitivity, specificity, precision, f1, auc, hd95,
                assd, empty);
    }

    private static double ratio(long numerator, long denominator) {
        return denominator == 0 ? Double.NaN : (double) numerator / denominator;
    }
}
