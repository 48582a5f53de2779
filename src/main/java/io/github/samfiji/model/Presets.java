package io.github.samfiji.model;

import io.github.samfiji.model.SamConfig.DecoderConfig;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import io.github.samfiji.model.SamConfig.VitConfig;
import java.util.List;
import java.util.Locale;

/** The published architectures: SAM ViT-B/L/H and MobileSAM's ViT-T. */
public final class Presets {

    public static final List<String> NAMES = List.of("vit_b", "vit_l", "vit_h", "vit_t");

    private Presets() {
    }

    public static SamConfig get(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "vit_b" -> vit(768, 12, 12, new int[] {2, 5, 8, 11});
            case "vit_l" -> vit(1024, 24, 16, new int[] {5, 11, 17, 23});
            case "vit_h" -> vit(1280, 32, 16, new int[] {7, 15, 23, 31});
            case "vit_t" -> new SamConfig(new TinyVitConfig(1024, 3, 1000, new int[] {64, 128, 160, 320},
                    new int[] {2, 2, 6, 2}, new int[] {2, 4, 5, 10}, new int[] {7, 7, 14, 7}, 4.0, 4.0, 3, 256),
                    DecoderConfig.sam());
            default -> throw new IllegalArgumentException("unknown model preset '" + name + "'; known: " + NAMES);
        };
    }

    private static SamConfig vit(int dim, int depth, int heads, int[] global) {
        return new SamConfig(new VitConfig(1024, 16, 3, dim, depth, heads, 4.0, 256, true, true, true, 14, global),
                DecoderConfig.sam());
    }
}
