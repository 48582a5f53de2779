package io.github.samfiji.model.sam2;

import io.github.samfiji.checkpoint.Sam2Loader;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.checkpoint.ArchitectureInference;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An official {@code sam2.1_hiera_*.pt} without configuration is recognised by its keys and shapes alone (the
 * reference key manifests stand in for the 150-900 MB files), and the family check tells SAM 2.1 from SAM 1.
 */
@NeedsSharedData
class Sam2PresetRecognitionTest {

    private static Map<String, long[]> shapes(String manifest) throws IOException {
        JsonObject root = JsonParser.parseString(Files.readString(Fixtures.shared()
                .resolve("fixtures/key_manifests/" + manifest))).getAsJsonObject();
        Map<String, long[]> out = new LinkedHashMap<>();
        root.getAsJsonObject("keys").entrySet().forEach(e -> {
            JsonArray s = e.getValue().isJsonObject() ? e.getValue().getAsJsonObject().getAsJsonArray("shape")
                    : e.getValue().getAsJsonArray();
            long[] shape = new long[s.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = s.get(i).getAsLong();
            }
            out.put(e.getKey(), shape);
        });
        return out;
    }

    @ParameterizedTest
    @CsvSource({"sam2.1_hiera_t", "sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l"})
    void publishedSizesAreRecognisedByShape(String name) throws Exception {
        Map<String, long[]> s = shapes(name + "_keys.json");
        assertTrue(ArchitectureInference.isSam2(s));
        assertEquals(Sam2Config.presets().get(name), Sam2Loader.recognise(s, name + ".pt"));
    }

    @Test
    void sam1CheckpointsAreNotSam2() throws Exception {
        for (String f : Fixtures.shared().resolve("fixtures/key_manifests").toFile().list()) {
            if (f.endsWith("_keys.json") && (f.startsWith("vit_") || f.startsWith("sam_vit") || f.contains("mobile"))) {
                assertFalse(ArchitectureInference.isSam2(shapes(f)), f);
            }
        }
    }
}
