package io.github.samfiji.training;

import io.github.samfiji.image.Rgb8Image;
import java.util.List;

/**
 * Reference segmenters without learning, to put a fine-tuned model's Dice in context: every pixel object, and a
 * global Otsu threshold of the grey image (the polarity, object brighter or darker than the threshold, chosen on the
 * training images).
 */
public final class Baselines {

    private Baselines() {
    }

    /**
     * The ellipse inscribed in the tight box of the sample's mask: the trivial baseline of a box prompt (all false
     * when the mask is empty).
     */
    public static boolean[] boxEllipse(TrainingSample s) {
        int[] b = io.github.samfiji.inference.MaskGeometry.bounds(FineTuner.toBoolean(s.mask()), s.width());
        return b == null ? new boolean[s.mask().length]
                : io.github.samfiji.inference.MaskGeometry.inscribedEllipse(s.width(), s.height(), b[0], b[1], b[2], b[3]);
    }

    public static boolean[] allForeground(TrainingSample s) {
        boolean[] out = new boolean[s.mask().length];
        java.util.Arrays.fill(out, true);
        return out;
    }

    /** Otsu's threshold of a 256-bin histogram (the level that maximizes the between-class variance). */
    public static int otsuThreshold(int[] histogram) {
        long total = 0;
        double sum = 0;
        for (int i = 0; i < 256; i++) {
            total += histogram[i];
            sum += (double) i * histogram[i];
        }
        double sumBelow = 0;
        long below = 0;
        double bestVariance = -1;
        int best = 0;
        for (int t = 0; t < 256; t++) {
            below += histogram[t];
            if (below == 0) {
                continue;
            }
            long above = total - below;
            if (above == 0) {
                break;
            }
            sumBelow += (double) t * histogram[t];
            double meanBelow = sumBelow / below;
            double meanAbove = (sum - sumBelow) / above;
            double variance = (double) below * above * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (variance > bestVariance) {
                bestVariance = variance;
                best = t;
            }
        }
        return best;
    }

    /** Otsu segmentation: pixels above the threshold (bright = true) or at/below it (bright = false). */
    public static boolean[] otsu(TrainingSample s, boolean bright) {
        int[] grey = grey(s.image());
        int[] hist = new int[256];
        for (int v : grey) {
            hist[v]++;
        }
        int t = otsuThreshold(hist);
        boolean[] out = new boolean[grey.length];
        for (int i = 0; i < grey.length; i++) {
            out[i] = (grey[i] > t) == bright;
        }
        return out;
    }

    /** The Otsu polarity with the higher mean Dice on {@code train}. */
    public static boolean otsuBrightObjects(List<TrainingSample> train) {
        double bright = 0;
        double dark = 0;
        for (TrainingSample s : train) {
            bright += VolumeDice.of(otsu(s, true), s.mask());
            dark += VolumeDice.of(otsu(s, false), s.mask());
        }
        return bright >= dark;
    }

    static int[] grey(Rgb8Image image) {
        byte[] rgb = image.toBytes();
        int[] out = new int[image.width() * image.height()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((rgb[3 * i] & 0xff) + (rgb[3 * i + 1] & 0xff) + (rgb[3 * i + 2] & 0xff)) / 3;
        }
        return out;
    }
}
