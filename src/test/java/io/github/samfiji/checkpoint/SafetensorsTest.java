package io.github.samfiji.checkpoint;

import static io.github.samfiji.checkpoint.TestFiles.resource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.github.samfiji.testing.NeedsSharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.samfiji.testing.Fixtures;

class SafetensorsTest {

    @TempDir
    Path temp;

    private static StateDict small() {
        StateDict d = new StateDict();
        d.put("a", TensorData.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        d.put("half", TensorData.of(TensorType.FLOAT16, new long[] {3},
                ByteBuffer.wrap(new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0, 0x00, 0x7c}))); // 1, -2, inf
        d.put("count", TensorData.ofLongs(new long[] {}, new long[] {100}));
        d.put("empty", TensorData.ofFloats(new long[] {1, 0, 4}, new float[0]));
        d.put("flags", TensorData.of(TensorType.BOOL, new long[] {3}, ByteBuffer.wrap(new byte[] {1, 0, 1})));
        return d;
    }

    @Test
    @NeedsSharedData
    void roundTripOfTheSamFixtureIsBitExactAndKeepsMetadata() throws IOException {
        StateDict original = PyTorchCheckpoint.read(Fixtures.set("sam_tiny").resolve("sam_tiny.pth"));
        Path file = temp.resolve("sam_tiny.safetensors");
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("source", "sam_tiny.pth \"quoted\" <tag> ü");
        Safetensors.write(file, original, metadata);

        StateDict back = Safetensors.read(file);
        assertEquals(original.keys(), back.keys());
        for (String key : original.keys()) {
            assertEquals(original.get(key), back.get(key), key);
        }
        assertEquals(metadata, Safetensors.readMetadata(file));
        assertEquals(original.keys(), StateDict.load(file).keys());
        // the header length field plus the header is padded to 8 bytes
        ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, head.getLong() % 8);
    }

    @Test
    void roundTripOfEdgeCasesAndDataAlignment() throws IOException {
        StateDict d = small();
        Path file = temp.resolve("small.safetensors");
        Safetensors.write(file, d, null);
        StateDict back = Safetensors.read(file);
        assertEquals(d.keys(), back.keys());
        for (String key : d.keys()) {
            assertEquals(d.get(key), back.get(key), key);
        }
        assertArrayEquals(new float[] {1, -2, Float.POSITIVE_INFINITY}, back.get("half").toFloats());
        assertTrue(Safetensors.readMetadata(file).isEmpty());
        // data ordered by element size: count (8 bytes) first, then the f32, f16, bool tensors
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            List<Safetensors.Entry> entries = Safetensors.readHeader(file, ch).entries();
            Map<String, Long> begin = new LinkedHashMap<>();
            entries.forEach(e -> begin.put(e.name(), e.begin()));
            assertEquals(0L, begin.get("count"));
            assertEquals(8L, begin.get("a"));
            assertEquals(32L, begin.get("half"));
            assertEquals(38L, begin.get("flags"));
        }
    }

    @Test
    void readsTheReferenceLayout() throws IOException {
        Path file = resource("reference_layout.safetensors");
        StateDict d = Safetensors.read(file);
        // header order: sorted by element size, then name, by the generator
        assertEquals(List.of("c.index", "b.weight", "a.half", "d.mask"), d.keys());
        var expected = TestFiles.expected().getAsJsonObject("reference_layout.safetensors");
        StateDict reordered = new StateDict();
        expected.keySet().forEach(k -> reordered.put(k, d.get(k)));
        TestFiles.assertMatchesExpected(expected, reordered);
        assertEquals(Map.of("format", "pt", "note", "hand-made"), Safetensors.readMetadata(file));
    }

    @Test
    void refusesToOverwriteWithoutTheFlag() throws IOException {
        Path file = temp.resolve("w.safetensors");
        Files.writeString(file, "precious");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Safetensors.write(file, small(), null));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("precious", Files.readString(file));
        assertEquals(List.of(file), listFolder());

        Safetensors.write(file, small(), Map.of("v", "2"), true);
        assertEquals(Map.of("v", "2"), Safetensors.readMetadata(file));
        assertEquals(List.of(file), listFolder());
    }

    @Test
    void failureHalfWayLeavesNoFileBehind() throws IOException {
        Path file = temp.resolve("partial.safetensors");
        IOException boom = new IOException("disk full");
        IOException e = assertThrows(IOException.class, () -> Safetensors.write(file, small(), null, false, name -> {
            assertTrue(listFolder().size() == 1 && !Files.exists(file), "only the temporary file exists meanwhile");
            if (name.equals("a")) {
                throw boom;
            }
        }));
        assertTrue(e == boom || e.getCause() == boom, e.toString());
        assertEquals(List.of(), listFolder());

        // and an existing file is left untouched when overwriting fails
        Files.writeString(file, "old");
        assertThrows(IOException.class, () -> Safetensors.write(file, small(), null, true, name -> {
            throw new IOException("fail");
        }));
        assertEquals("old", Files.readString(file));
        assertEquals(List.of(file), listFolder());
    }

    @Test
    void readOnlyFolderGivesAClearError() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root ignores folder permissions");
        Path folder = Files.createDirectory(temp.resolve("ro"));
        try {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-xr-xr-x"));
        } catch (UnsupportedOperationException e) {
            assumeFalse(true, "no POSIX permissions here");
        }
        try {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> Safetensors.write(folder.resolve("x.safetensors"), small(), null));
            assertTrue(e.getMessage().contains("x.safetensors"), e.getMessage());
            try (Stream<Path> s = Files.list(folder)) {
                assertEquals(0, s.count());
            }
        } finally {
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void missingFolderGivesAClearError() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Safetensors.write(temp.resolve("no/such/x.safetensors"), small(), null));
        assertTrue(e.getMessage().contains("folder does not exist"), e.getMessage());
    }

    private List<Path> listFolder() throws IOException {
        try (Stream<Path> s = Files.list(temp)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    // --- invalid headers -------------------------------------------------------------------------------------

    private Path withHeader(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return Files.write(temp.resolve("h.safetensors"), b.array());
    }

    private void assertInvalid(String json, int dataBytes, String expected) throws IOException {
        Path file = withHeader(json, dataBytes);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("h.safetensors"), e.getMessage());
    }

    @Test
    void corruptedHeadersAreExplained() throws IOException {
        String ok = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertEquals(1, Safetensors.read(withHeader(ok, 8)).size());

        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not valid JSON");
        assertInvalid("[1, 2]", 8, "not a JSON object");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "(12 bytes)");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "truncated or damaged");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "data_offsets [8, 0]");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape [-2]");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "shape [2.5]");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "data_offsets [0]");
        assertInvalid("{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 8, "F8_E4M3");
        assertInvalid("{\"x\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "has no dtype");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "twice");
        assertInvalid("{\"__metadata__\":[1]}", 0, "__metadata__ is not a JSON object");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
                "too many elements");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,8]}}", 8,
                "larger than 2 GB");
        assertInvalid("{} trailing", 0, "not valid JSON");
        // The data section must be covered exactly: no gap, no byte left over (a wrong header length shifts them).
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 9, "hold 8 data bytes but");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                "4 data bytes before tensor 'x'");
        assertInvalid("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "before tensor 'y'");
        assertInvalid("{}", 4, "hold 0 data bytes but");
        // Deep nesting and non-text metadata: refused without printing or recursing over them.
        assertInvalid("{\"x\":" + "[".repeat(100000) + "]".repeat(100000) + "}", 0, "rather than an object");
        assertInvalid("{\"__metadata__\":{\"a\":" + "[".repeat(100000) + "]".repeat(100000) + "}}", 0, "is not text");
        // A header padded with spaces whose length field is one byte short still parses; the shift must be caught.
        String padded = ok + "   ";
        byte[] json = padded.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer shortBy1 = java.nio.ByteBuffer.allocate(8 + json.length + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        shortBy1.putLong(json.length - 1).put(json).putFloat(1f).putFloat(2f);
        Path shifted = Files.write(temp.resolve("h.safetensors"), shortBy1.array());
        assertTrue(assertThrows(CheckpointException.class, () -> Safetensors.read(shifted)).getMessage()
                .contains("is the header length right?"));

        // a length field beyond the file, a tiny file, a non-UTF-8 header
        Path lying = Files.write(temp.resolve("h.safetensors"), new byte[] {(byte) 200, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        assertTrue(assertThrows(CheckpointException.class, () -> Safetensors.read(lying)).getMessage()
                .contains("truncated or damaged"));
        Path tiny = Files.write(temp.resolve("h.safetensors"), new byte[] {1, 2, 3});
        assertTrue(assertThrows(CheckpointException.class, () -> Safetensors.read(tiny)).getMessage()
                .contains("only 3 bytes"));
        Path latin = Files.write(temp.resolve("h.safetensors"), new byte[] {4, 0, 0, 0, 0, 0, 0, 0, '{', (byte) 0xff,
            (byte) 0xfe, '}'});
        assertTrue(assertThrows(CheckpointException.class, () -> Safetensors.read(latin)).getMessage()
                .contains("not UTF-8"));
        Path huge = Files.write(temp.resolve("h.safetensors"), new byte[] {0, 0, 0, 0, 0, 0, 0, 1, '{', '}'});
        assertTrue(assertThrows(CheckpointException.class, () -> Safetensors.read(huge)).getMessage()
                .contains("header length field"));
    }

    // --- chunked mapping (files over 2 GB) -------------------------------------------------------------------

    private static Safetensors.Entry entry(String name, long begin, long end) {
        return new Safetensors.Entry(name, TensorType.UINT8, new long[] {end - begin}, begin, end);
    }

    @Test
    void chunkPlanKeepsTensorsWholeAndChunksWithinTheLimit() {
        List<Safetensors.Entry> entries = List.of(entry("c", 40, 100), entry("a", 0, 30), entry("b", 30, 40),
                entry("empty", 40, 40), entry("big", 100, 400), entry("d", 400, 410), entry("gap", 500, 520));
        List<Safetensors.Chunk> chunks = Safetensors.planChunks(entries, 100);
        List<String> layout = new ArrayList<>();
        for (Safetensors.Chunk c : chunks) {
            assertTrue(c.end() - c.begin() <= 100 || c.entries().size() == 1, "only a lone tensor may exceed it");
            layout.add(c.begin() + "-" + c.end() + ":" + c.entries().stream().map(Safetensors.Entry::name).toList());
        }
        assertEquals(List.of("0-100:[a, b, c]", "100-400:[big]", "400-410:[d]", "500-520:[gap]"), layout);
        // with a limit of 1 byte every tensor is its own chunk
        assertEquals(6, Safetensors.planChunks(entries, 1).size());
        // a huge limit maps everything at once
        assertEquals(1, Safetensors.planChunks(entries, Long.MAX_VALUE).size());
    }

    @Test
    @NeedsSharedData
    void readingWithSmallChunksGivesTheSameTensors() throws IOException {
        StateDict original = PyTorchCheckpoint.read(Fixtures.set("mobile_sam_tiny").resolve("mobile_sam_tiny.pth"));
        Path file = temp.resolve("m.safetensors");
        Safetensors.write(file, original, null);
        for (long limit : new long[] {1, 1000, 4096, 100_000}) {
            StateDict back = Safetensors.read(file, limit);
            assertEquals(original.keys(), back.keys());
            for (String key : original.keys()) {
                assertEquals(original.get(key), back.get(key), key + " with chunks of " + limit);
            }
        }
    }

    @Test
    void tensorsAreReadOnlyViews() throws IOException {
        Path file = temp.resolve("v.safetensors");
        Safetensors.write(file, small(), null);
        ByteBuffer data = Safetensors.read(file).get("a").data();
        assertTrue(data.isReadOnly());
        assertEquals(24, data.remaining());
        assertFalse(data.order() == ByteOrder.BIG_ENDIAN);
    }
}
