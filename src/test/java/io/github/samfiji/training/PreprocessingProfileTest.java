package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamConfig.Preprocessing;
import io.github.samfiji.model.SamModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preprocessing profile in the JSON configuration, through input resizing, and saved with fine-tuned models. */
class PreprocessingProfileTest {

    @Test
    void jsonSetsKeepsAndDefaultsTheProfile() {
        SamConfig base = TinyModels.config();
        assertEquals(Preprocessing.SAM, base.preprocessing());
        assertEquals(Preprocessing.MEDSAM, ConfigJson.parse("{\"preprocessing\": \"MedSAM\"}", base).preprocessing());
        assertEquals(Preprocessing.SAM, ConfigJson.parse("{}", base).preprocessing());
        SamConfig medsam = base.withPreprocessing(Preprocessing.MEDSAM);
        String json = ConfigJson.toJson(medsam);
        assertTrue(json.contains("\"preprocessing\": \"medsam\""), json);
        assertEquals(medsam, ConfigJson.parse(json));
        assertEquals(Preprocessing.MEDSAM, ConfigJson.parse("{}", medsam).preprocessing(), "a partial JSON keeps the base's");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigJson.parse("{\"preprocessing\": \"nnunet\"}", base));
        assertTrue(e.getMessage().contains("nnunet") && e.getMessage().contains("medsam"), e.getMessage());
    }

    @Test
    void inputResizeKeepsTheProfile() {
        SamConfig medsam = TinyModels.config().withPreprocessing(Preprocessing.MEDSAM);
        SamConfig smaller = InputResize.configFor(medsam, 32);
        assertEquals(32, smaller.imageSize());
        assertEquals(Preprocessing.MEDSAM, smaller.preprocessing());
    }

    @Test
    void aModelFineTunedFromMedSamIsSavedAndLoadedWithMedSamsProfile(@TempDir Path dir) throws Exception {
        SamModel model = new SamModel(TinyModels.config().withPreprocessing(Preprocessing.MEDSAM));
        try (model) {
            model.initializeRandom(7);
            Path file = dir.resolve("tuned.safetensors");
            ModelFiles.save(model, null, null, file, false);
            String sidecar = Files.readString(ModelLoader.sidecarOf(file));
            assertTrue(sidecar.contains("\"preprocessing\": \"medsam\""), sidecar);
            try (SamModel loaded = ModelLoader.load(file, null)) {
                assertEquals(Preprocessing.MEDSAM, loaded.config().preprocessing());
            }
        }
    }

    @Test
    void aMedSamModelTrainsOnMedSamsInputAsItPredicts() {
        // An odd-sized picture with a bright square object: training must see the squashed, min-max scaled input the
        // predictor feeds such a model, and a mask squashed the same way.
        int w = 50;
        int h = 30;
        byte[] grey = new byte[w * h];
        byte[] mask = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean inside = x >= 10 && x < 30 && y >= 5 && y < 20;
                grey[y * w + x] = (byte) (inside ? 200 : 40 + (x + y) % 7);
                mask[y * w + x] = (byte) (inside ? 1 : 0);
            }
        }
        TrainingSample s = new TrainingSample("square", "square", io.github.samfiji.image.Rgb8Image.fromGrey(w, h, grey),
                mask);
        SamConfig medsam = TinyModels.config().withPreprocessing(Preprocessing.MEDSAM);
        int size = medsam.imageSize();
        SampleTensors.Resized r = SampleTensors.resize(s, size, Preprocessing.MEDSAM);
        assertEquals(size, r.image().width());
        assertEquals(size, r.image().height(), "squashed to the square input, no padding");
        float[][] tensors = SampleTensors.prepare(r, size, medsam, null, null);
        org.junit.jupiter.api.Assertions.assertArrayEquals(
                io.github.samfiji.image.MedSamPreprocessing.input(s.image(), size), tensors[0], "the predictor's input");
        // The object spans x 10..29 of 50 and y 5..19 of 30: on the low-resolution grid, columns 20%..60% and rows
        // 16.7%..66.7% of the side.
        int low = size / 4;
        assertEquals(1f, tensors[1][(low / 2 - 2) * low + low * 2 / 5], "inside the squashed object");
        assertEquals(0f, tensors[1][(low / 2 - 2) * low + low * 3 / 4], "right of it");
        assertEquals(0f, tensors[1][(low * 4 / 5) * low + low * 2 / 5], "below it");
        // SAM's profile keeps the aspect ratio and pads instead.
        SampleTensors.Resized sam = SampleTensors.resize(s, size, Preprocessing.SAM);
        assertEquals(size * h / w, sam.image().height(), 1);
    }
}
