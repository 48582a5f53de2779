package io.github.samfiji.training.pretrain;

import java.util.Random;

/**
 * Random patch masking: of an image's patches exactly {@code round(ratio · count)} are masked (at least one stays
 * visible), chosen uniformly without replacement, as in MAE.
 */
public final class PatchMasking {

    private PatchMasking() {
    }

    /** How many of {@code count} patches a ratio masks. */
    public static int maskedCount(int count, double ratio) {
        checkRatio(ratio);
        return (int) Math.min(count - 1L, Math.round(ratio * count));
    }

    /** Refuses ratios outside [0, 1). */
    public static void checkRatio(double ratio) {
        if (!(ratio >= 0 && ratio < 1)) {
            throw new IllegalArgumentException("the mask ratio must be at least 0 and below 1 (got " + ratio + ")");
        }
    }

    /** Flags of {@code count} patches, true = masked. */
    public static boolean[] draw(int count, double ratio, Random random) {
        int masked = maskedCount(count, ratio);
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        // Partial Fisher-Yates: the first `masked` entries are a uniform sample.
        for (int i = 0; i < masked; i++) {
            int j = i + random.nextInt(count - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] flags = new boolean[count];
        for (int i = 0; i < masked; i++) {
            flags[order[i]] = true;
        }
        return flags;
    }

    /** The indices of the visible (unmasked) patches, ascending. */
    public static long[] visible(boolean[] masked) {
        int n = 0;
        for (boolean m : masked) {
            n += m ? 0 : 1;
        }
        long[] out = new long[n];
        int k = 0;
        for (int i = 0; i < masked.length; i++) {
            if (!masked[i]) {
                out[k++] = i;
            }
        }
        return out;
    }
}
