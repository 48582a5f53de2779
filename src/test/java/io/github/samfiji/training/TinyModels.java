package io.github.samfiji.training;

import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import io.github.samfiji.model.SamConfig.VitConfig;
import io.github.samfiji.model.SamModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Very small SAM models and synthetic images for fast training tests. */
final class TinyModels {

    private TinyModels() {
    }

    /** A ViT SAM at 64 px input: 4 x 4 token grid, two blocks (windowed and global), decoder width 32. */
    static SamConfig config() {
        return new SamConfig(new VitConfig(64, 16, 3, 32, 2, 2, 2.0, 32, true, true, true, 2, new int[] {1}),
                new DecoderConfig(32, 8, 3, 2, 64, 2, 2, 3, 32));
    }

    /**
     * A MobileSAM-style TinyViT SAM at 64 px: stage grids 16, 8, 4, 4 with windows 4, 4, 2, 2 (so windowed
     * attention runs) and 1, 2, 2, 3 heads (so the per-head qkv layout matters).
     */
    static SamConfig tinyVitConfig() {
        return new SamConfig(new TinyVitConfig(64, 3, 0, new int[] {16, 24, 32, 48}, new int[] {1, 1, 2, 1},
                new int[] {1, 2, 2, 3}, new int[] {4, 4, 2, 2}, 2.0, 2.0, 3, 32),
                new DecoderConfig(32, 8, 3, 2, 64, 2, 2, 3, 32));
    }

    /** The small SAM of samples/sam_tiny.json at another input size (real-data runs in the default tests). */
    static SamConfig samTinyAt(int inputSize) throws java.io.IOException {
        SamConfig config = io.github.samfiji.model.ConfigJson.parse(
                java.nio.file.Files.readString(java.nio.file.Path.of("samples/sam_tiny.json")));
        return config.imageSize() == inputSize ? config : InputResize.configFor(config, inputSize);
    }

    /** A shared data set ({@code ../shared/data/NAME}: images/ and masks/) as training samples. */
    static List<TrainingSample> sharedData(String name) throws java.io.IOException {
        java.nio.file.Path dir = io.github.samfiji.testing.Fixtures.data(name);
        return io.github.samfiji.imagejio.TrainingData.fromFolders(dir.resolve("images"), dir.resolve("masks"));
    }

    static SamModel randomTinyVit(long seed) {
        SamModel model = new SamModel(tinyVitConfig());
        model.initializeRandom(seed);
        return model;
    }

    static SamModel randomModel(long seed) {
        SamModel model = new SamModel(config());
        model.initializeRandom(seed);
        return model;
    }

    /** Grey images with one bright disc (the object) on a noisy darker background, at random places. */
    static List<TrainingSample> discs(int count, int width, int height, long seed) {
        Random random = new Random(seed);
        List<TrainingSample> out = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            double r = Math.min(width, height) * (0.15 + 0.15 * random.nextDouble());
            double cx = r + random.nextDouble() * (width - 2 * r);
            double cy = r + random.nextDouble() * (height - 2 * r);
            byte[] grey = new byte[width * height];
            byte[] mask = new byte[width * height];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    boolean inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                    double v = (inside ? 170 : 70) + random.nextGaussian() * 20;
                    grey[y * width + x] = (byte) Math.max(0, Math.min(255, (int) v));
                    mask[y * width + x] = (byte) (inside ? 1 : 0);
                }
            }
            out.add(new TrainingSample("disc" + n, "disc" + n, Rgb8Image.fromGrey(width, height, grey), mask));
        }
        return out;
    }
}
