package io.github.samfiji.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.Npy;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PyTorch zip and safetensors readers on real and crafted files (see resources/checkpoints). */
class CheckpointFormatTest {

    @TempDir
    Path temp;

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(CheckpointFormatTest.class.getResource("/checkpoints/" + name).toURI());
    }

    @ParameterizedTest
    @CsvSource({"sam_tiny, sam_tiny.pth", "mobile_sam_tiny, mobile_sam_tiny.pth"})
    void fixtureCheckpointsEqualTheirNpyWeightsInOrder(String set, String file) throws IOException {
        Path dir = Fixtures.set(set);
        StateDict state = StateDict.load(dir.resolve(file));
        JsonObject index = JsonParser.parseString(Files.readString(dir.resolve("weights_npy/_index.json"))).getAsJsonObject();
        assertEquals(new ArrayList<>(index.keySet()), new ArrayList<>(state.keys()), "keys in file order");
        for (String key : state.keys()) {
            Npy ref = Npy.read(dir.resolve("weights_npy").resolve(key + ".npy"));
            TensorData t = state.get(key);
            assertArrayEquals(ref.shape, t.shape(), key);
            if (ref.dtype.equals("i8")) {
                assertEquals(TensorType.INT64, t.type(), key);
                assertEquals(ref.longs()[0], t.data().getLong(0), key);
            } else {
                assertEquals(TensorType.FLOAT32, t.type(), key);
                assertArrayEquals(ref.floats(), t.toFloats(), key);
            }
        }
    }

    @Test
    void stateDictNestedUnderModelIsFound() throws Exception {
        StateDict s = StateDict.load(resource("nested.pth"));
        assertEquals(List.of("layer.weight"), new ArrayList<>(s.keys()));
        assertArrayEquals(new long[] {2, 3}, s.get("layer.weight").shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, s.get("layer.weight").toFloats());
    }

    @Test
    void halfAndBfloat16() throws Exception {
        StateDict s = StateDict.load(resource("half.pth"));
        assertEquals(TensorType.FLOAT16, s.get("h").type());
        assertArrayEquals(new float[] {1.5f, -2f, 65504f, 0x1p-24f}, s.get("h").toFloats());
        assertEquals(TensorType.BFLOAT16, s.get("bf").type());
        assertArrayEquals(new float[] {1f, -3.5f, 0.15625f}, s.get("bf").toFloats());
    }

    @Test
    void stridedViewsAndSharedStorages() throws Exception {
        StateDict s = StateDict.load(resource("views.pth"));
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, s.get("transposed").toFloats());
        assertArrayEquals(new float[] {0, 1, 2, 3}, s.get("first").toFloats());
        assertArrayEquals(new float[] {6, 7, 8, 9}, s.get("second").toFloats());
    }

    @Test
    void dataParallelPrefixIsRemoved() throws Exception {
        assertEquals(List.of("a"), new ArrayList<>(StateDict.load(resource("module_prefix.pth")).keys()));
    }

    @ParameterizedTest
    @CsvSource({"evil_global.pth", "evil_stack_global.pth"})
    void codeInThePickleIsRefusedNamingTheGlobal(String file) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> StateDict.load(resource(file)));
        assertTrue(e.getMessage().contains("'posix.system'") && e.getMessage().contains("refusing"), e.getMessage());
    }

    @Test
    void declaredSizeBeyondTheArchiveIsRefusedBeforeAllocation() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> StateDict.load(resource("oversize.pth")));
        assertTrue(e.getMessage().contains("1000000000 elements") && e.getMessage().contains("16 bytes"), e.getMessage());
    }

    @Test
    void safetensorsRoundTripKeepsValuesOrderAndMetadata() throws IOException {
        StateDict state = StateDict.load(Fixtures.set("mobile_sam_tiny").resolve("mobile_sam_tiny.pth"));
        Path file = temp.resolve("m.safetensors");
        Safetensors.write(file, state, Map.of("architecture", "vit_t", "note", "test"), false);
        StateDict back = StateDict.load(file);
        assertEquals(new ArrayList<>(state.keys()), new ArrayList<>(back.keys()));
        for (String k : state.keys()) {
            assertEquals(state.get(k).type(), back.get(k).type(), k);
            assertArrayEquals(state.get(k).shape(), back.get(k).shape(), k);
            assertEquals(state.get(k).data(), back.get(k).data(), k);
        }
        assertEquals(Map.of("architecture", "vit_t", "note", "test"), Safetensors.readMetadata(file));
        // Never replaced without asking; no temporary files left behind.
        assertThrows(FileAlreadyExistsException.class, () -> Safetensors.write(file, state, Map.of(), false));
        Safetensors.write(file, state, Map.of(), true);
        try (Stream<Path> files = Files.list(temp)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void corruptSafetensorsHeaderIsReported() throws IOException {
        Path file = temp.resolve("bad.safetensors");
        byte[] header = "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 64]}}".getBytes();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + header.length + 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(file, b.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> StateDict.load(file));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("damaged"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void loadReportListsEveryKindOfMismatch() {
        StateDict state = new StateDict();
        state.put("a", TensorData.ofFloats(new long[] {2}, new float[2]));
        state.put("extra", TensorData.ofFloats(new long[] {1}, new float[1]));
        LoadReport r = LoadReport.compare(Map.of("a", new long[] {3}, "b", new long[] {1}), state);
        assertEquals(List.of("b"), r.missing());
        assertEquals(List.of("extra"), r.unexpected());
        assertEquals(List.of("a expected [3] but the checkpoint has [2]"), r.shapeMismatches());
        assertFalse(r.isExact());
        CheckpointException e = assertThrows(CheckpointException.class, () -> r.throwIfIncompatible("x.pth"));
        assertTrue(e.getMessage().startsWith("x.pth does not fit"), e.getMessage());
    }
}
