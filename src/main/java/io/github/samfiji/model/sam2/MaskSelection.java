package io.github.samfiji.model.sam2;

/**
 * Which of the decoder's four mask tokens a SAM 2 prediction returns. With multimask output: the three
 * ambiguity-aware tokens 1-3. Otherwise token 0, unless its mask is unstable (its area changes by more than 2% when
 * the threshold moves by ±0.05), in which case the multimask token with the highest predicted IoU replaces it: the
 * reference's "dynamic multimask via stability", on in every SAM 2 predictor.
 */
public final class MaskSelection {

    public static final float STABILITY_DELTA = 0.05f;
    public static final float STABILITY_THRESHOLD = 0.98f;

    private MaskSelection() {
    }

    /**
     * @param masks   the logits of all tokens, token-major, {@code area} values each
     * @param iou     the predicted IoU of all tokens
     * @return the chosen token indices
     */
    public static int[] choose(float[] masks, float[] iou, int area, boolean multimask) {
        int tokens = iou.length;
        if (multimask) {
            int[] all = new int[tokens - 1];
            for (int i = 1; i < tokens; i++) {
                all[i - 1] = i;
            }
            return all;
        }
        if (stability(masks, 0, area) >= STABILITY_THRESHOLD) {
            return new int[] {0};
        }
        int best = 1;
        for (int i = 2; i < tokens; i++) {
            if (iou[i] > iou[best]) {
                best = i;
            }
        }
        return new int[] {best};
    }

    /**
     * #(logit > delta) / #(logit > -delta) of the mask at {@code offset}, in float32 as the reference; 1 when no
     * logit exceeds -delta.
     */
    public static float stability(float[] masks, int offset, int area) {
        int inner = 0;
        int outer = 0;
        for (int i = offset; i < offset + area; i++) {
            if (masks[i] > STABILITY_DELTA) {
                inner++;
            }
            if (masks[i] > -STABILITY_DELTA) {
                outer++;
            }
        }
        return outer > 0 ? (float) inner / (float) outer : 1f;
    }
}
