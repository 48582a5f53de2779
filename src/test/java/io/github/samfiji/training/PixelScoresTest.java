package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.evaluation.PairedTests;
import io.github.samfiji.evaluation.Roc;
import io.github.samfiji.image.Rgb8Image;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Logits kept for AUC and DeLong: every pixel of small images, the same strided pixels of large ones for all models. */
class PixelScoresTest {

    private static TrainingSample sample(String name, int w, int h, Random random) {
        byte[] mask = new byte[w * h];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (byte) (random.nextDouble() < 0.3 ? 1 : 0);
        }
        return new TrainingSample(name, name, Rgb8Image.fromGrey(w, h, new byte[w * h]), mask);
    }

    private static float[] logits(TrainingSample s, double signal, Random random) {
        float[] l = new float[s.mask().length];
        for (int i = 0; i < l.length; i++) {
            l[i] = (float) (signal * s.mask()[i] + random.nextGaussian());
        }
        return l;
    }

    @Test
    void aucOfSmallImagesUsesEveryPixelAndDeLongComparesTheSamePixels() {
        Random random = new Random(5);
        List<TrainingSample> samples = List.of(sample("a", 40, 30, random), sample("b", 50, 20, random));
        PixelScores good = new PixelScores(samples);
        PixelScores weak = new PixelScores(samples);
        List<float[]> goodLogits = new ArrayList<>();
        for (TrainingSample s : samples) {
            float[] g = logits(s, 2.0, random);
            goodLogits.add(g);
            good.add(s, g);
            weak.add(s, logits(s, 0.3, random));
        }
        for (int k = 0; k < samples.size(); k++) {
            TrainingSample s = samples.get(k);
            List<Double> pos = new ArrayList<>();
            List<Double> neg = new ArrayList<>();
            for (int i = 0; i < s.mask().length; i++) {
                (s.mask()[i] != 0 ? pos : neg).add((double) goodLogits.get(k)[i]);
            }
            double expected = Roc.auc(pos.stream().mapToDouble(Double::doubleValue).toArray(),
                    neg.stream().mapToDouble(Double::doubleValue).toArray());
            assertEquals(expected, good.auc()[k], 1e-12, "image " + s.name());
        }
        PairedTests.DeLongResult d = good.deLong(weak);
        assertEquals(40 * 30 + 50 * 20, d.positives() + d.negatives(), "every pixel of both images");
        assertTrue(d.aucA() > d.aucB() && d.pValue() < 1e-6, "the stronger model's AUC is higher: " + d);
    }

    @Test
    void largeImagesAreSampledAtAFixedStride() {
        Random random = new Random(7);
        TrainingSample big = sample("big", 1000, 500, random);
        PixelScores first = new PixelScores(List.of(big));
        PixelScores second = new PixelScores(List.of(big));
        first.add(big, logits(big, 1.0, random));
        second.add(big, logits(big, 1.0, random));
        PairedTests.DeLongResult d = first.deLong(second);
        int kept = d.positives() + d.negatives();
        assertTrue(kept <= PixelScores.MAX_PIXELS_PER_GROUP && kept >= PixelScores.MAX_PIXELS_PER_GROUP / 2,
                "kept " + kept);
        TrainingSample other = sample("other", 40, 30, random);
        PixelScores elsewhere = new PixelScores(List.of(other));
        elsewhere.add(other, logits(other, 1.0, random));
        assertThrows(IllegalArgumentException.class, () -> first.deLong(elsewhere));
    }
}
