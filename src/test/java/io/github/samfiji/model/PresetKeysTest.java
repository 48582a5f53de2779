package io.github.samfiji.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The presets build exactly the tensors of the published checkpoints (names, order, shapes, dtypes), so a
 * full-size checkpoint loads with no renaming; parameter counts equal the reference's.
 */
@NeedsSharedData
class PresetKeysTest {

    @ParameterizedTest
    @CsvSource({"vit_b, sam_vit_b_keys.json", "vit_l, sam_vit_l_keys.json", "vit_h, sam_vit_h_keys.json",
        "vit_t, mobile_sam_vit_t_keys.json"})
    void presetMatchesReferenceStateDict(String preset, String manifest) throws IOException {
        JsonObject json = JsonParser.parseString(
                Files.readString(Fixtures.shared().resolve("fixtures/key_manifests").resolve(manifest))).getAsJsonObject();
        JsonObject keys = json.getAsJsonObject("keys");
        Map<String, String> expected = new LinkedHashMap<>();
        for (String k : keys.keySet()) {
            JsonObject e = keys.getAsJsonObject(k);
            expected.put(k, e.get("shape").toString().replace(" ", "") + " " + e.get("dtype").getAsString());
        }
        Map<String, String> actual = new LinkedHashMap<>();
        // Building the module tree allocates no tensors, so even vit_h is cheap here.
        SamModel model = new SamModel(Presets.get(preset));
        try {
            model.namedParams().forEach((k, p) -> actual.put(k,
                    p.shape().toString().replace("(", "[").replace(")", "]").replace(" ", "") + " "
                            + p.dataType().asNumpy().substring(1).replace("f4", "float32").replace("i8", "int64")));
            assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()), "keys in state_dict order");
            List<String> mismatches = new ArrayList<>();
            expected.forEach((k, v) -> {
                if (!v.equals(actual.get(k))) {
                    mismatches.add(k + ": expected " + v + ", got " + actual.get(k));
                }
            });
            assertEquals(List.of(), mismatches);
            assertEquals(json.get("total_parameters").getAsLong(), model.parameterCount(), "parameter count");
        } finally {
            model.close();
        }
    }
}
