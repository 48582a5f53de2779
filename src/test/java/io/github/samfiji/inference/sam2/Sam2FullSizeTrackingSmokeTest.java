package io.github.samfiji.inference.sam2;

import io.github.samfiji.model.sam2.Sam2Config;
import io.github.samfiji.model.sam2.Sam2Model;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.model.Param;
import io.github.samfiji.inference.sam2.Sam2VolumePropagator.SliceResult;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Tracking with the published tiny configuration at its real size (1024², random weights): 64 x 64 token grids for
 * the rotary encoding (the fixture has 8 x 8), 4 memory attention layers, 256-wide pointers split into 4 memory
 * tokens; a short stack runs forward and backward with the right shapes and leaves no native arrays behind.
 */
@Tag("slow")
class Sam2FullSizeTrackingSmokeTest {

    @Test
    void hieraTinyAt1024TracksThroughAShortStack() {
        try (Sam2Model model = new Sam2Model(Sam2Config.hieraTiny())) {
            Random random = new Random(11);
            for (Map.Entry<String, Param> e : model.namedParams().entrySet()) {
                long[] dims = e.getValue().shape().getShape();
                float[] v = new float[Math.toIntExact(e.getValue().shape().size())];
                double std = dims.length >= 2 ? 1.0 / Math.sqrt(e.getValue().shape().size() / dims[0]) : 0.05;
                boolean norm = e.getKey().endsWith("norm.weight") || e.getKey().matches(".*norm\\d\\.weight");
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * std + (norm ? 1 : 0));
                }
                model.setTensor(e.getKey(), e.getValue().shape(), v);
            }
            int w = 120;
            int h = 90;
            byte[][] slices = new byte[3][w * h];
            for (byte[] s : slices) {
                random.nextBytes(s);
            }
            int before = model.manager().getManagedArrays().size();
            long start = System.nanoTime();
            try (Sam2VolumePropagator p = new Sam2VolumePropagator(model, z -> Rgb8Image.fromGrey(w, h, slices[z]), 3,
                    w, h)) {
                p.addPrompt(1, Prompt.builder().box(30, 20, 90, 70).build());
                List<SliceResult> forward = p.propagate(false);
                List<SliceResult> reverse = p.propagate(true);
                assertEquals(List.of(1, 2), forward.stream().map(SliceResult::z).toList());
                assertEquals(List.of(1, 0), reverse.stream().map(SliceResult::z).toList());
                for (SliceResult r : p.lastResults(Sam2VolumePropagator.DEFAULT_OBJECT)) {
                    assertEquals(w * h, r.logits().length);
                    assertEquals(256 * 256, r.lowRes().length);
                    for (float v : r.logits()) {
                        assertTrue(Float.isFinite(v), "finite logits");
                    }
                }
                System.out.printf("sam2.1_hiera_t tracking at 1024 (random weights): 3 slices in %d ms%n",
                        (System.nanoTime() - start) / 1_000_000);
            }
            assertEquals(before, model.manager().getManagedArrays().size(), "native arrays held by the model");
        }
    }
}
