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
}
