package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import io.github.samfiji.image.Rgb8Image;
import java.util.ArrayList;
import java.util.List;

/**
 * Several classes from several prompt-free models, one model per class (the fine-tune command trains one class at a
 * time, e.g. with {@code --label N}): a pixel belongs to the class whose model is most confident, among those that
 * call it foreground (logit above 0); else it is background.
 */
public final class SemanticClasses {

    private SemanticClasses() {
    }

    /**
     * @param logits one logit map per class, all of one size, class k (1-based) at index k - 1
     * @return class per pixel, 0 for background; on equal logits the lower class wins
     */
    public static int[] labels(List<float[]> logits) {
        if (logits.isEmpty()) {
            throw new IllegalArgumentException("no class logits");
        }
        int n = logits.get(0).length;
        for (float[] l : logits) {
            if (l.length != n) {
                throw new IllegalArgumentException("class logit maps differ in size: " + l.length + " and " + n);
            }
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            float best = Prediction.MASK_THRESHOLD;
            for (int k = 0; k < logits.size(); k++) {
                float v = logits.get(k)[i];
                if (v > best) {
                    best = v;
                    out[i] = k + 1;
                }
            }
        }
        return out;
    }

    /** A class present in an image and where. */
    public record ClassRegion(int label, InstanceMask region) {
    }

    /** The regions of the classes present in {@code image}, one per class, in class order. */
    public static List<ClassRegion> regions(List<PromptFreeSegmenter> models, Rgb8Image image, Progress progress) {
        return regions(logits(models, image, progress), image.width());
    }

    /** Each class model's logits on {@code image}, class order. */
    public static List<float[]> logits(List<PromptFreeSegmenter> models, Rgb8Image image, Progress progress) {
        return logits(models, image, null, progress);
    }

    /** As above; {@code firstWholeImage} (may be null) is class 1's embedding of the image from a store. */
    public static List<float[]> logits(List<PromptFreeSegmenter> models, Rgb8Image image,
                                       java.util.function.Function<Progress, ? extends Embedding> firstWholeImage,
                                       Progress progress) {
        List<float[]> logits = new ArrayList<>();
        for (int k = 0; k < models.size(); k++) {
            logits.add(models.get(k).logits(image, k == 0 ? firstWholeImage : null,
                    Progress.scaled(progress, k / (double) models.size(), 1.0 / models.size())));
        }
        return logits;
    }

    /** The regions of the classes present, from their logits on an image {@code width} pixels wide. */
    public static List<ClassRegion> regions(List<float[]> logits, int width) {
        int[] labels = labels(logits);
        List<ClassRegion> out = new ArrayList<>();
        for (int k = 1; k <= logits.size(); k++) {
            InstanceMask m = InstanceMask.of(mask(labels, k), width, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN);
            if (m != null) {
                out.add(new ClassRegion(k, m));
            }
        }
        return out;
    }

    /** Probabilities from logits: the sigmoid of each value, as a new array. */
    public static float[] probabilities(float[] logits) {
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (1 / (1 + Math.exp(-logits[i])));
        }
        return p;
    }

    /** The pixels of class {@code k} in {@code labels}, as a mask. */
    public static boolean[] mask(int[] labels, int k) {
        boolean[] m = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            m[i] = labels[i] == k;
        }
        return m;
    }
}
