package io.github.samfiji.model.sam2;

import io.github.samfiji.inference.sam2.Sam2ImageEmbedding;
import io.github.samfiji.inference.sam2.Sam2ImagePredictor;
import io.github.samfiji.inference.sam2.Sam2Prediction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.model.Param;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The published tiny configuration at its real input size (1024², random weights): the window layouts the tiny
 * fixture does not cover (windows 14 and 7 on 64² and 32² grids, both padded, q-pooling of padded 14-windows, three
 * global blocks) run end to end with the right shapes and without holding native arrays afterwards.
 */
@Tag("slow")
class Sam2FullSizeSmokeTest {

    @Test
    void hieraTinyAt1024EncodesAndPredicts() {
        try (Sam2Model model = new Sam2Model(Sam2Config.hieraTiny())) {
            Random random = new Random(7);
            for (Map.Entry<String, Param> e : model.namedParams().entrySet()) {
                long[] dims = e.getValue().shape().getShape();
                float[] v = new float[Math.toIntExact(e.getValue().shape().size())];
                double std = dims.length >= 2 ? 1.0 / Math.sqrt(e.getValue().shape().size() / dims[0]) : 0.05;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * std + (e.getKey().endsWith("norm1.weight") ? 1 : 0));
                }
                model.setTensor(e.getKey(), e.getValue().shape(), v);
            }
            Sam2ImagePredictor predictor = new Sam2ImagePredictor(model);
            byte[] rgb = new byte[300 * 200 * 3];
            random.nextBytes(rgb);
            Rgb8Image image = new Rgb8Image(300, 200, rgb);
            int before = model.manager().getManagedArrays().size();
            long start = System.nanoTime();
            try (Sam2ImageEmbedding e = predictor.encode(image)) {
                long encodeMs = (System.nanoTime() - start) / 1_000_000;
                Sam2Prediction p = predictor.predict(e, Prompt.builder().point(150, 100, 1).box(100, 50, 200, 150).build(), true);
                assertEquals(3, p.masks().count());
                assertEquals(300 * 200, p.masks().logits()[0].length);
                assertEquals(256 * 256, p.masks().lowRes()[0].length);
                for (float iou : p.masks().iou()) {
                    assertTrue(iou >= 0 && iou <= 1, "IoU is a sigmoid output");
                }
                System.out.printf("sam2.1_hiera_t at 1024 (random weights): encode %d ms, predict %.0f ms%n", encodeMs,
                        p.masks().decodeMillis());
            }
            assertEquals(before, model.manager().getManagedArrays().size(), "native arrays held by the model");
        }
    }
}
