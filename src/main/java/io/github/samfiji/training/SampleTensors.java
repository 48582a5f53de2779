package io.github.samfiji.training;

import io.github.samfiji.image.MedSamPreprocessing;
import io.github.samfiji.image.PillowResize;
import io.github.samfiji.image.ResizeLongestSide;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.SamConfig;
import java.util.Random;

/**
 * Turns a training pair into model tensors exactly as inference sees images: the image resized so its longest side
 * is the input size (Pillow-exact), normalized and padded at the bottom and right (as {@link SamPredictor}); the
 * mask resized the same way, padded, and reduced to the decoder's low-resolution output grid (input / 4), where a
 * cell is object when at least half of it is. A model with MedSAM's preprocessing profile is trained on MedSAM's
 * input instead (the image squashed to the square input and min-max scaled, see {@link MedSamPreprocessing}), so a
 * model fine-tuned from MedSAM sees in training what it will see in use.
 */
public final class SampleTensors {

    private SampleTensors() {
    }

    /** A resized (unpadded) pair, prepared once per sample; augmentation works on these. */
    public record Resized(Rgb8Image image, byte[] mask) {
    }

    public static Resized resize(TrainingSample s, int inputSize) {
        return resize(s, inputSize, SamConfig.Preprocessing.SAM);
    }

    /** As above, for a model with the given preprocessing profile. */
    public static Resized resize(TrainingSample s, int inputSize, SamConfig.Preprocessing profile) {
        Rgb8Image image = profile == SamConfig.Preprocessing.MEDSAM ? MedSamPreprocessing.resize(s.image(), inputSize)
                : ResizeLongestSide.apply(s.image(), inputSize);
        int w = image.width();
        int h = image.height();
        byte[] grey = new byte[s.mask().length];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = s.mask()[i] != 0 ? (byte) 255 : 0;
        }
        byte[] resized = PillowResize.resize(Rgb8Image.fromGrey(s.width(), s.height(), grey), w, h).channelBytes(0);
        byte[] mask = new byte[w * h];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (byte) ((resized[i] & 0xff) >= 128 ? 1 : 0);
        }
        return new Resized(image, mask);
    }

    /** Normalized, padded input planes (3, S, S); MedSAM's profile: min-max scaled, nothing to pad. */
    public static float[] input(Rgb8Image resized, int inputSize, SamConfig config) {
        return config.preprocessing() == SamConfig.Preprocessing.MEDSAM ? MedSamPreprocessing.normalize(resized)
                : SamPredictor.preprocess(resized, inputSize, config);
    }

    /** Low-resolution binary target (S/4, S/4) of a resized mask of {@code w × h} inside the padded S × S frame. */
    public static float[] target(byte[] mask, int w, int h, int inputSize) {
        int low = inputSize / 4;
        int cell = 4;
        float[] out = new float[low * low];
        for (int y = 0; y < low; y++) {
            for (int x = 0; x < low; x++) {
                int count = 0;
                for (int dy = 0; dy < cell; dy++) {
                    int yy = y * cell + dy;
                    if (yy >= h) {
                        break;
                    }
                    for (int dx = 0; dx < cell; dx++) {
                        int xx = x * cell + dx;
                        if (xx < w && mask[yy * w + xx] != 0) {
                            count++;
                        }
                    }
                }
                out[y * low + x] = count * 2 >= cell * cell ? 1f : 0f;
            }
        }
        return out;
    }

    /** Input and target of one (optionally augmented) sample. */
    public static float[][] prepare(Resized r, int inputSize, SamConfig config, Augmentation augmentation, Random random) {
        Rgb8Image image = r.image();
        byte[] mask = r.mask();
        if (augmentation != null) {
            Augmentation.Pair p = augmentation.apply(image, mask, random);
            image = p.image();
            mask = p.mask();
        }
        return new float[][] {input(image, inputSize, config), target(mask, image.width(), image.height(), inputSize)};
    }
}
