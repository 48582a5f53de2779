package io.github.samfiji.training;

import io.github.samfiji.evaluation.PairedTests;
import io.github.samfiji.evaluation.Roc;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's logits on test images at a fixed sample of pixels, per image or volume, for AUC (per group) and DeLong's
 * test between two models (on the pooled pixels). At most {@link #MAX_PIXELS_PER_GROUP} pixels of a group are kept,
 * every k-th pixel of each slice, k from the group's size alone: every model is scored on the same pixels.
 */
public final class PixelScores {

    public static final int MAX_PIXELS_PER_GROUP = 200_000;

    private final Map<String, Integer> slicesPerGroup = new LinkedHashMap<>();
    private final Map<String, List<Boolean>> truths = new LinkedHashMap<>();
    private final Map<String, List<Float>> scores = new LinkedHashMap<>();

    /** @param samples the test samples the logits will come from (for the sampling stride) */
    public PixelScores(List<TrainingSample> samples) {
        for (TrainingSample s : samples) {
            slicesPerGroup.merge(s.group(), 1, Integer::sum);
        }
    }

    /** Records one sample's logits (at its size). */
    void add(TrainingSample sample, float[] logits) {
        int slices = slicesPerGroup.getOrDefault(sample.group(), 1);
        long pixels = (long) logits.length * slices;
        int stride = (int) Math.max(1, (pixels + MAX_PIXELS_PER_GROUP - 1) / MAX_PIXELS_PER_GROUP);
        List<Boolean> t = truths.computeIfAbsent(sample.group(), k -> new ArrayList<>());
        List<Float> v = scores.computeIfAbsent(sample.group(), k -> new ArrayList<>());
        for (int i = 0; i < logits.length; i += stride) {
            t.add(sample.mask()[i] != 0);
            v.add(logits[i]);
        }
    }

    /** AUC per group, in the order recorded (NaN where the sample holds only one class). */
    public double[] auc() {
        double[] out = new double[truths.size()];
        int g = 0;
        for (String group : truths.keySet()) {
            List<Boolean> t = truths.get(group);
            List<Float> v = scores.get(group);
            int positives = (int) t.stream().filter(b -> b).count();
            double[] pos = new double[positives];
            double[] neg = new double[t.size() - positives];
            int p = 0;
            int n = 0;
            for (int i = 0; i < t.size(); i++) {
                if (t.get(i)) {
                    pos[p++] = v.get(i);
                } else {
                    neg[n++] = v.get(i);
                }
            }
            out[g++] = pos.length == 0 || neg.length == 0 ? Double.NaN : Roc.auc(pos, neg);
        }
        return out;
    }

    /** DeLong's test of this model's pooled AUC against {@code other}'s, on the same pixels. */
    public PairedTests.DeLongResult deLong(PixelScores other) {
        boolean[] truth = pooledTruth();
        if (!java.util.Arrays.equals(truth, other.pooledTruth())) {
            throw new IllegalArgumentException("the two models were scored on different pixels");
        }
        return PairedTests.deLong(truth, pooledScores(), other.pooledScores());
    }

    private boolean[] pooledTruth() {
        List<Boolean> all = new ArrayList<>();
        truths.values().forEach(all::addAll);
        boolean[] out = new boolean[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    private double[] pooledScores() {
        List<Float> all = new ArrayList<>();
        scores.values().forEach(all::addAll);
        double[] out = new double[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }
}
