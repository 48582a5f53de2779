package io.github.samfiji.training;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dice per image or volume. The slices of one volume (one group) are pooled, 2·Σ|P∩T| / (Σ|P| + Σ|T|), which is
 * the volume's 3D Dice; a 2D image is its own group. Scoring slice by slice would count every empty slice that the
 * model leaves empty as a perfect 1 and say little about the object. Both empty (a whole image or volume without
 * object, predicted empty) counts as 1.
 */
public final class VolumeDice {

    /**
     * Group names in order of first appearance, their Dice, and their pixel counts {|P∩T|, |P|, |T|, pixels} (pooled
     * over a volume's slices), from which the other overlap measures follow.
     */
    public record Scores(List<String> groups, double[] dice, long[][] counts) {

        public double mean() {
            double s = 0;
            for (double d : dice) {
                s += d;
            }
            return dice.length == 0 ? Double.NaN : s / dice.length;
        }

        /** IoU per group (both empty: 1). */
        public double[] iou() {
            return measure(c -> c[1] + c[2] - c[0] == 0 ? 1.0 : c[0] / (double) (c[1] + c[2] - c[0]));
        }

        /** Sensitivity (recall) per group; NaN where the truth is empty. */
        public double[] sensitivity() {
            return measure(c -> c[2] == 0 ? Double.NaN : c[0] / (double) c[2]);
        }

        /** Specificity per group; NaN where the truth fills the image. */
        public double[] specificity() {
            return measure(c -> c[3] - c[2] == 0 ? Double.NaN : (c[3] - c[1] - c[2] + c[0]) / (double) (c[3] - c[2]));
        }

        /** Precision per group; NaN where nothing is predicted. */
        public double[] precision() {
            return measure(c -> c[1] == 0 ? Double.NaN : c[0] / (double) c[1]);
        }

        private double[] measure(java.util.function.ToDoubleFunction<long[]> f) {
            double[] out = new double[counts.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = f.applyAsDouble(counts[i]);
            }
            return out;
        }
    }

    private VolumeDice() {
    }

    /** {@code predicted.get(i)} is the prediction for {@code samples.get(i)}, at its size. */
    public static Scores of(List<TrainingSample> samples, List<boolean[]> predicted) {
        if (samples.size() != predicted.size()) {
            throw new IllegalArgumentException(predicted.size() + " predictions for " + samples.size() + " samples");
        }
        Map<String, long[]> counts = new LinkedHashMap<>();
        for (int i = 0; i < samples.size(); i++) {
            byte[] truth = samples.get(i).mask();
            boolean[] p = predicted.get(i);
            if (p.length != truth.length) {
                throw new IllegalArgumentException("prediction of " + samples.get(i).name() + " has " + p.length
                        + " pixels, its mask " + truth.length);
            }
            count(counts.computeIfAbsent(samples.get(i).group(), k -> new long[4]), p, truth);
        }
        List<String> groups = new ArrayList<>(counts.keySet());
        double[] dice = new double[groups.size()];
        long[][] pooled = new long[groups.size()][];
        for (int g = 0; g < dice.length; g++) {
            pooled[g] = counts.get(groups.get(g));
            dice[g] = dice(pooled[g]);
        }
        return new Scores(List.copyOf(groups), dice, pooled);
    }

    /** Dice of one 2D prediction against its mask (both empty: 1). */
    public static double of(boolean[] predicted, byte[] truth) {
        long[] c = new long[4];
        count(c, predicted, truth);
        return dice(c);
    }

    /** Adds |P∩T|, |P|, |T| and the pixel count of one slice to {@code c}. */
    private static void count(long[] c, boolean[] predicted, byte[] truth) {
        c[3] += truth.length;
        for (int j = 0; j < truth.length; j++) {
            boolean t = truth[j] != 0;
            if (predicted[j]) {
                c[1]++;
            }
            if (t) {
                c[2]++;
            }
            if (predicted[j] && t) {
                c[0]++;
            }
        }
    }

    private static double dice(long[] c) {
        return c[1] + c[2] == 0 ? 1.0 : 2.0 * c[0] / (c[1] + c[2]);
    }
}
