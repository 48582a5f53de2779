package io.github.samfiji.evaluation;

/**
 * Whether a label is absent from the prediction, the truth or both, which decides the conventions used for the
 * metrics that would otherwise divide by zero (see {@link SegmentationMetrics}).
 */
public enum EmptyCase {
    /** Both the prediction and the truth contain the label. */
    NONE,
    /** Neither contains the label: Dice, IoU and F1 are 1 by convention; distances are undefined. */
    BOTH_EMPTY,
    /** The truth contains the label and the prediction does not: Dice 0; distances undefined. */
    PREDICTION_EMPTY,
    /** The prediction contains the label and the truth does not: Dice 0; distances undefined. */
    TRUTH_EMPTY;

    static EmptyCase of(long predicted, long truth) {
        if (predicted == 0 && truth == 0) {
            return BOTH_EMPTY;
        }
        if (predicted == 0) {
            return PREDICTION_EMPTY;
        }
        return truth == 0 ? TRUTH_EMPTY : NONE;
    }

    /** Words for a report line. */
    public String describe() {
        switch (this) {
            case BOTH_EMPTY:
                return "empty in both prediction and truth (dice = iou = f1 = 1 by convention; distances undefined)";
            case PREDICTION_EMPTY:
                return "empty in the prediction only (dice = 0; distances undefined)";
            case TRUTH_EMPTY:
                return "empty in the truth only (dice = 0; distances undefined)";
            default:
                return "present in both";
        }
    }
}
