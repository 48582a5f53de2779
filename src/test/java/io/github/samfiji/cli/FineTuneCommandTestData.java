package io.github.samfiji.cli;

import io.github.samfiji.model.SamConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Synthetic fine-tuning data (discs) and a tiny model configuration for the command and macro tests. */
public final class FineTuneCommandTestData {

    private FineTuneCommandTestData() {
    }

    /** A tiny ViT SAM at 64 px (the same shape as the training tests' model). */
    public static SamConfig tinyConfig() {
        return new SamConfig(new SamConfig.VitConfig(64, 16, 3, 32, 2, 2, 2.0, 32, true, true, true, 2, new int[] {1}),
                new SamConfig.DecoderConfig(32, 8, 3, 2, 64, 2, 2, 3, 32));
    }

    /** Writes count grey PNG images with a bright disc and their masks (255 = disc) into images/ and masks/. */
    public static void writeDiscs(Path images, Path masks, int count, int w, int h, long seed) throws IOException {
        Files.createDirectories(images);
        Files.createDirectories(masks);
        Random random = new Random(seed);
        for (int n = 0; n < count; n++) {
            double r = Math.min(w, h) * (0.15 + 0.15 * random.nextDouble());
            double cx = r + random.nextDouble() * (w - 2 * r);
            double cy = r + random.nextDouble() * (h - 2 * r);
            BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            BufferedImage mask = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    boolean inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                    int v = (int) Math.max(0, Math.min(255, (inside ? 170 : 70) + random.nextGaussian() * 20));
                    image.getRaster().setSample(x, y, 0, v);
                    mask.getRaster().setSample(x, y, 0, inside ? 255 : 0);
                }
            }
            ImageIO.write(image, "png", images.resolve(String.format("img%02d.png", n)).toFile());
            ImageIO.write(mask, "png", masks.resolve(String.format("img%02d.png", n)).toFile());
        }
    }

    /**
     * Writes {@code source}'s model with its single-mask output negated (the last layer of the first hypernetwork
     * MLP): a prompt-free pass then calls foreground exactly what the original calls background.
     */
    public static void writeNegatedModel(Path source, Path out) throws IOException {
        try (io.github.samfiji.model.SamModel m = io.github.samfiji.checkpoint.ModelLoader.load(source, null)) {
            for (String name : new String[] {"weight", "bias"}) {
                String key = "mask_decoder.output_hypernetworks_mlps.0.layers.2." + name;
                var p = m.namedParams().get(key);
                float[] v = p.value().toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = -v[i];
                }
                m.setTensor(key, p.shape(), v);
            }
            io.github.samfiji.training.ModelFiles.save(m, null, null, out, false);
        }
    }
}
