package io.github.samfiji.model.sam2;

import io.github.samfiji.checkpoint.Sam2Loader;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.checkpoint.CheckpointException;
import io.github.samfiji.checkpoint.StateDict;
import io.github.samfiji.model.sam2.Sam2Config.BlockSpec;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SAM 2.1 model structure: the presets equal the reference's key manifests; the tiny fixture loads strictly. */
@NeedsSharedData
class Sam2LoadingTest {

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    private static long[] shape(JsonElement entry) {
        JsonArray a = entry.getAsJsonObject().getAsJsonArray("shape");
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"sam2.1_hiera_t", "sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l"})
    void presetHasExactlyTheReferenceKeysAndShapes(String name) throws IOException {
        JsonObject manifest = json(Fixtures.shared().resolve("fixtures/key_manifests/" + name + "_keys.json"));
        Map<String, long[]> expected = new TreeMap<>();
        manifest.getAsJsonObject("keys").entrySet().forEach(e -> expected.put(e.getKey(), shape(e.getValue())));
        Sam2Config config = Sam2Config.presets().get(name);
        Map<String, long[]> mine = new TreeMap<>(Sam2Loader.expectedShapes(config));
        assertEquals(expected.keySet(), mine.keySet(), name + ": keys");
        expected.forEach((k, s) -> assertArrayEquals(s, mine.get(k), name + ": shape of " + k));
        try (Sam2Model model = new Sam2Model(config)) {
            assertEquals(manifest.get("total_parameters").getAsLong(), model.parameterCount(), name + ": parameters");
        }
    }

    @Test
    void tinyConfigMatchesDerivedBlockLayout() throws IOException {
        Path set = Fixtures.set("sam2_tiny");
        JsonObject root = json(set.resolve("config.json"));
        Sam2Config config = Sam2Config.fromJson(Files.readString(set.resolve("config.json")));
        JsonObject derived = root.getAsJsonObject("derived");
        assertEquals(derived.get("hidden_dim").getAsInt(), config.hiddenDim());
        assertEquals(derived.get("mem_dim").getAsInt(), config.memDim());
        assertEquals(derived.get("sam_image_embedding_size").getAsInt(), config.embeddingSize());
        assertEquals(derived.get("low_res_mask_size").getAsInt(), config.lowResSize());
        List<BlockSpec> blocks = config.trunk().blocks();
        JsonArray ref = derived.getAsJsonArray("trunk_blocks");
        assertEquals(ref.size(), blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            JsonObject b = ref.get(i).getAsJsonObject();
            BlockSpec mine = blocks.get(i);
            assertEquals(b.get("dim").getAsInt(), mine.dim(), "block " + i);
            assertEquals(b.get("dim_out").getAsInt(), mine.dimOut(), "block " + i);
            assertEquals(b.get("num_heads").getAsInt(), mine.heads(), "block " + i);
            assertEquals(b.get("window_size").getAsInt(), mine.window(), "block " + i);
            assertEquals(!b.get("q_stride").isJsonNull(), mine.poolsQueries(), "block " + i);
        }
        JsonArray ends = derived.getAsJsonArray("trunk_stage_ends");
        for (int i = 0; i < ends.size(); i++) {
            assertEquals(ends.get(i).getAsInt(), config.trunk().stageEnds()[i]);
        }
    }

    @Test
    void tinyCheckpointLoadsStrictlyWithItsValues() throws IOException {
        Path set = Fixtures.set("sam2_tiny");
        try (Sam2Model model = Sam2Loader.load(set.resolve("sam2_tiny.pt"), set.resolve("config.json"))) {
            assertTrue(model.isComplete());
            assertEquals(359, model.namedParams().size());
            for (String key : new String[] {"no_mem_embed", "image_encoder.trunk.pos_embed",
                "image_encoder.trunk.blocks.6.attn.qkv.weight", "memory_encoder.fuser.layers.1.gamma",
                "sam_prompt_encoder.pe_layer.positional_encoding_gaussian_matrix", "sam_mask_decoder.conv_s1.bias"}) {
                Npy ref = Npy.read(set.resolve("weights_npy").resolve(key + ".npy"));
                assertArrayEquals(ref.floats(), model.namedParams().get(key).value().toFloatArray(), key);
            }
        }
    }

    @Test
    void tinyCheckpointWithoutConfigIsRefusedWithAdvice() throws IOException {
        Path set = Fixtures.set("sam2_tiny");
        StateDict state = StateDict.load(set.resolve("sam2_tiny.pt"));
        assertNotNull(state.get("no_mem_embed"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Sam2Loader.recognise(state, "sam2_tiny.pt"));
        assertTrue(e.getMessage().contains("configuration"), e.getMessage());
    }

    @Test
    void wrongConfigurationIsRefusedNamingTheMismatch() throws IOException {
        Path set = Fixtures.set("sam2_tiny");
        StateDict state = StateDict.load(set.resolve("sam2_tiny.pt"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Sam2Loader.build(Sam2Config.hieraTiny(), state, "sam2_tiny.pt"));
        assertTrue(e.getMessage().contains("shape mismatch"), e.getMessage());
    }
}
