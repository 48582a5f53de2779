package io.github.samfiji.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Presets;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.FixtureModels;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Loading published-format checkpoints: architecture inference, JSON sidecars, load reports, bad files. */
@NeedsSharedData
class ModelLoaderTest {

    @TempDir
    Path temp;

    @ParameterizedTest
    @CsvSource({"sam_tiny, sam_tiny.pth", "mobile_sam_tiny, mobile_sam_tiny.pth"})
    void pthLoadsBitIdenticalToTheNpyWeights(String set, String file) throws IOException {
        Path dir = Fixtures.set(set);
        try (SamModel fromPth = ModelLoader.load(dir.resolve(file), dir.resolve("config.json"));
             SamModel fromNpy = FixtureModels.fromNpy(set)) {
            assertEquals(fromNpy.config(), fromPth.config());
            Map<String, Param> a = fromPth.namedParams();
            Map<String, Param> b = fromNpy.namedParams();
            assertEquals(b.keySet(), a.keySet());
            for (String k : a.keySet()) {
                assertArrayEquals(values(b.get(k)), values(a.get(k)), k);
            }
        }
    }

    private static float[] values(Param p) {
        return p.value().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    }

    @Test
    void vitArchitectureInferredFromShapesExceptDecoderHeads() throws IOException {
        SamConfig reference = FixtureModels.config("sam_tiny");
        ArchitectureInference.Result r = ArchitectureInference.infer(
                ModelLoader.shapes(StateDict.load(Fixtures.set("sam_tiny").resolve("sam_tiny.pth"))));
        assertEquals(reference.encoder(), r.config().encoder());
        assertEquals(8, r.config().decoder().transformerNumHeads(), "assumed published head count");
        assertEquals(reference.decoder().promptEmbedDim(), r.config().decoder().promptEmbedDim());
        assertEquals(reference.decoder().transformerMlpDim(), r.config().decoder().transformerMlpDim());
        assertEquals(reference.decoder().attentionDownsampleRate(), r.config().decoder().attentionDownsampleRate());
        assertTrue(r.assumptions().stream().anyMatch(s -> s.contains("heads")));
    }

    @Test
    void renamedBlockKeysAreRefusedBeforeAnyModelIsBuilt() throws IOException {
        // Uses the bundled sample so that it runs on a bare clone too.
        java.util.Map<String, long[]> shapes = ModelLoader.shapes(StateDict.load(Path.of("samples/sam_tiny.pth")));
        String key = "mask_decoder.transformer.layers.1.norm1.weight";
        assertTrue(shapes.containsKey(key));
        java.util.Map<String, long[]> far = new java.util.LinkedHashMap<>(shapes);
        far.put(key.replace("layers.1.", "layers.100000."), far.remove(key));
        String message = assertThrows(CheckpointException.class, () -> ArchitectureInference.infer(far)).getMessage();
        assertTrue(message.contains("block number no SAM model has"), message);
        java.util.Map<String, long[]> huge = new java.util.LinkedHashMap<>(shapes);
        huge.put(key.replace("layers.1.", "layers.99999999999999999999."), huge.remove(key));
        message = assertThrows(CheckpointException.class, () -> ArchitectureInference.infer(huge)).getMessage();
        assertTrue(message.contains("block number no SAM model has") && message.length() < 300, message);
        java.util.Map<String, long[]> gap = new java.util.LinkedHashMap<>(shapes);
        gap.put(key.replace("layers.1.", "layers.3."), gap.remove(key));
        message = assertThrows(CheckpointException.class, () -> ArchitectureInference.infer(gap)).getMessage();
        assertTrue(message.contains("block 2 is missing"), message);
        // Shapes crafted to reach an index, a division or an int overflow: named as impossible shapes instead.
        for (Object[] c : new Object[][] {
            {"prompt_encoder.not_a_point_embed.weight", new long[] {1}},
            {"mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight", new long[] {0, 32}},
            {"image_encoder.neck.0.weight", new long[] {1L << 40, 1, 1, 1}}}) {
            java.util.Map<String, long[]> crafted = new java.util.LinkedHashMap<>(shapes);
            crafted.put((String) c[0], (long[]) c[1]);
            message = assertThrows(CheckpointException.class, () -> ArchitectureInference.infer(crafted)).getMessage();
            assertTrue(message.contains("which no SAM-family model has"), message);
        }
    }

    @Test
    void tinyVitArchitectureInferredFromShapesExceptInputSize() throws IOException {
        SamConfig reference = FixtureModels.config("mobile_sam_tiny");
        SamConfig inferred = ArchitectureInference.infer(ModelLoader.shapes(
                StateDict.load(Fixtures.set("mobile_sam_tiny").resolve("mobile_sam_tiny.pth")))).config();
        // A sidecar giving only what shapes cannot tell completes it to the reference configuration.
        SamConfig completed = ConfigJson.parse(
                "{\"image_encoder\": {\"img_size\": 256}, \"prompt_and_decoder\": {\"transformer_num_heads\": 2}}", inferred);
        assertEquals(reference, completed);
    }

    /** The full-size presets are recovered from the shapes of the published checkpoints alone. */
    @ParameterizedTest
    @CsvSource({"vit_b, sam_vit_b_keys.json", "vit_l, sam_vit_l_keys.json", "vit_h, sam_vit_h_keys.json",
        "vit_t, mobile_sam_vit_t_keys.json"})
    void presetsInferredFromPublishedShapes(String preset, String manifest) throws IOException {
        JsonObject keys = JsonParser.parseString(Files.readString(
                Fixtures.shared().resolve("fixtures/key_manifests").resolve(manifest))).getAsJsonObject().getAsJsonObject("keys");
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String k : keys.keySet()) {
            shapes.put(k, new com.google.gson.Gson().fromJson(keys.getAsJsonObject(k).get("shape"), long[].class));
        }
        assertEquals(Presets.get(preset), ArchitectureInference.infer(shapes).config());
    }

    @Test
    void sidecarNextToTheCheckpointIsUsed() throws IOException {
        Path dir = Fixtures.set("sam_tiny");
        Path copy = temp.resolve("tiny.pth");
        Files.copy(dir.resolve("sam_tiny.pth"), copy);
        Files.copy(dir.resolve("config.json"), temp.resolve("tiny.json"));
        try (SamModel m = ModelLoader.load(copy, null)) {
            assertEquals(2, m.config().decoder().transformerNumHeads());
        }
    }

    @Test
    void checkpointOfAnotherArchitectureIsReportedPrecisely() {
        Path dir = Fixtures.set("sam_tiny");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> ModelLoader.build(Presets.get("vit_b"), StateDict.load(dir.resolve("sam_tiny.pth")), "sam_tiny.pth"));
        assertTrue(e.getMessage().contains("image_encoder.pos_embed"), e.getMessage());
        assertTrue(e.getMessage().contains("[1, 64, 64, 768]") && e.getMessage().contains("[1, 16, 16, 64]"), e.getMessage());
    }

    @Test
    void mobileSamWeightsWithSamConfigAreRejected() {
        Path sam = Fixtures.set("sam_tiny");
        Path mobile = Fixtures.set("mobile_sam_tiny");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> ModelLoader.load(mobile.resolve("mobile_sam_tiny.pth"), sam.resolve("config.json")));
        assertTrue(e.getMessage().contains("missing") || e.getMessage().contains("unexpected"), e.getMessage());
    }

    @Test
    void nonCheckpointAndTruncatedFilesGiveClearErrors() throws IOException {
        Path text = temp.resolve("notes.pth");
        Files.writeString(text, "this is not a model");
        CheckpointException a = assertThrows(CheckpointException.class, () -> ModelLoader.load(text, null));
        assertTrue(a.getMessage().contains("notes.pth"), a.getMessage());

        byte[] full = Files.readAllBytes(Fixtures.set("sam_tiny").resolve("sam_tiny.pth"));
        Path cut = temp.resolve("cut.pth");
        Files.write(cut, java.util.Arrays.copyOf(full, full.length / 2));
        CheckpointException b = assertThrows(CheckpointException.class, () -> ModelLoader.load(cut, null));
        assertTrue(b.getMessage().contains("truncated") || b.getMessage().contains("damaged"), b.getMessage());

        assertThrows(java.nio.file.NoSuchFileException.class, () -> ModelLoader.load(temp.resolve("absent.pth"), null));
    }

    @Test
    void safetensorsRoundTripLoadsTheSameModel() throws IOException {
        Path dir = Fixtures.set("mobile_sam_tiny");
        StateDict state = StateDict.load(dir.resolve("mobile_sam_tiny.pth"));
        Path st = temp.resolve("mobile.safetensors");
        Safetensors.write(st, state, Map.of("format", "pt"), false);
        try (SamModel a = ModelLoader.load(st, dir.resolve("config.json"));
             SamModel b = ModelLoader.load(dir.resolve("mobile_sam_tiny.pth"), dir.resolve("config.json"))) {
            for (String k : List.copyOf(a.namedParams().keySet())) {
                assertArrayEquals(values(b.namedParams().get(k)), values(a.namedParams().get(k)), k);
            }
        }
    }
}
