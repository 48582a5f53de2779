package io.github.samfiji.checkpoint;

import static io.github.samfiji.checkpoint.TestFiles.Pickle;
import static io.github.samfiji.checkpoint.TestFiles.floats;
import static io.github.samfiji.checkpoint.TestFiles.resource;
import static io.github.samfiji.checkpoint.TestFiles.storages;
import static io.github.samfiji.checkpoint.TestFiles.torchZip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.testing.NeedsSharedData;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.Npy;

class PyTorchCheckpointTest {

    @TempDir
    Path temp;

    // --- the reference fixtures ------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"sam_tiny", "mobile_sam_tiny"})
    @NeedsSharedData
    void fixtureCheckpointEqualsNpyBitExactly(String set) throws IOException {
        Path dir = Fixtures.set(set);
        StateDict dict = PyTorchCheckpoint.read(dir.resolve(set + ".pth"));
        JsonObject index;
        try (Reader r = Files.newBufferedReader(dir.resolve("weights_npy/_index.json"), StandardCharsets.UTF_8)) {
            index = JsonParser.parseReader(r).getAsJsonObject();
        }
        assertEquals(List.copyOf(index.keySet()), dict.keys(), "keys and their order");
        int zeroDim = 0;
        for (String key : dict.keys()) {
            TensorData t = dict.get(key);
            JsonObject info = index.getAsJsonObject(key);
            Npy npy = Npy.read(dir.resolve("weights_npy").resolve(key + ".npy"));
            assertArrayEquals(npy.shape, t.shape(), key);
            assertArrayEquals(TestFiles.longs(info.get("shape")), t.shape(), key);
            assertEquals(info.get("dtype").getAsString(), t.type().toString(), key);
            assertEquals(npy.dtype.equals("i8") ? TensorType.INT64 : TensorType.FLOAT32, t.type(), key);
            assertArrayEquals(npy.bytes(), TestFiles.bytes(t.data()), key);
            if (t.rank() == 0) {
                zeroDim++;
                assertEquals(1, t.numel());
                assertArrayEquals(new long[] {100}, t.toLongs(), key); // num_batches_tracked
            }
        }
        if (set.equals("mobile_sam_tiny")) {
            assertTrue(zeroDim > 0, "mobile_sam_tiny has 0-d num_batches_tracked tensors");
        }
        assertEquals(dict.keys(), StateDict.load(dir.resolve(set + ".pth")).keys());
    }

    @Test
    @NeedsSharedData
    void truncatedFixtureIsReportedAsDamaged() throws IOException {
        byte[] full = Files.readAllBytes(Fixtures.set("sam_tiny").resolve("sam_tiny.pth"));
        for (int keep : new int[] {full.length / 2, full.length - 10, 100}) {
            Path cut = Files.write(temp.resolve("cut_" + keep + ".pth"), Arrays.copyOf(full, keep));
            CheckpointException e = assertThrows(CheckpointException.class, () -> StateDict.load(cut));
            assertTrue(e.getMessage().contains("truncated or damaged"), e.getMessage());
            assertTrue(e.getMessage().contains(cut.getFileName().toString()), e.getMessage());
        }
        // a piece cut out of the middle: the central directory no longer points at the right places
        byte[] holed = new byte[full.length - 5000];
        System.arraycopy(full, 0, holed, 0, 100_000);
        System.arraycopy(full, 105_000, holed, 100_000, full.length - 105_000);
        Path hole = Files.write(temp.resolve("hole.pth"), holed);
        CheckpointException e = assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(hole));
        assertTrue(e.getMessage().contains("truncated or damaged"), e.getMessage());
    }

    // --- committed checkpoints made with torch.save (see make_checkpoints.py) ----------------------------------

    @Test
    void weightsNestedUnderModelAreFound() throws IOException {
        StateDict dict = PyTorchCheckpoint.read(resource("nested_model.pth"));
        TestFiles.assertMatchesExpected(TestFiles.expected().getAsJsonObject("nested_model.pth"), dict);
        TensorData count = dict.get("bn.num_batches_tracked");
        assertEquals(0, count.rank());
        assertEquals(TensorType.INT64, count.type());
        assertArrayEquals(new long[] {7}, count.toLongs());
    }

    @Test
    void weightsNestedUnderStateDictKeepTheirPrefixUntilUnwrapped() throws IOException {
        StateDict raw = PyTorchCheckpoint.read(resource("nested_state_dict.pth"));
        TestFiles.assertMatchesExpected(TestFiles.expected().getAsJsonObject("nested_state_dict.pth"), raw);
        StateDict loaded = StateDict.load(resource("nested_state_dict.pth"));
        assertEquals(List.of("layer.weight", "layer.bias", "scale"), loaded.keys());
        assertEquals(raw.get("module.layer.weight"), loaded.get("layer.weight"));
    }

    @Test
    void everyDtypeZeroDimAndZeroSizeTensors() throws IOException {
        StateDict dict = PyTorchCheckpoint.read(resource("dtypes.pth"));
        TestFiles.assertMatchesExpected(TestFiles.expected().getAsJsonObject("dtypes.pth"), dict);
        assertEquals(TensorType.FLOAT16, dict.get("f16").type());
        assertEquals(TensorType.BFLOAT16, dict.get("bf16").type());
        assertEquals(TensorType.BOOL, dict.get("bool").type());
        assertEquals(Float.POSITIVE_INFINITY, dict.get("f16").toFloats()[7]);
        assertArrayEquals(new long[] {}, dict.get("scalar").shape());
        assertArrayEquals(new float[] {2.5f}, dict.get("scalar").toFloats());
        assertArrayEquals(new long[] {2, 0, 3}, dict.get("empty").shape());
        assertEquals(0, dict.get("empty").numel());
        assertEquals(0, dict.get("empty").data().remaining());
        assertEquals(0, dict.get("empty1d").toLongs().length);
    }

    @Test
    void viewsAndSharedStoragesComeOutContiguousAndRight() throws IOException {
        StateDict dict = PyTorchCheckpoint.read(resource("views.pth"));
        TestFiles.assertMatchesExpected(TestFiles.expected().getAsJsonObject("views.pth"), dict);
        // spelled out for the transposed view of arange(24).reshape(4, 6)
        assertArrayEquals(new long[] {6, 4}, dict.get("transposed").shape());
        assertArrayEquals(new float[] {0, 6, 12, 18, 1, 7}, Arrays.copyOf(dict.get("transposed").toFloats(), 6));
        assertArrayEquals(new float[] {8, 9, 10, 14, 15, 16}, dict.get("block").toFloats());
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, dict.get("expanded").toFloats());
        assertArrayEquals(new float[] {23}, dict.get("element").toFloats());
        assertEquals(6 * 4 * 4, dict.get("transposed").data().remaining());
    }

    // --- refused pickles -------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"evil_os_system.pth:os.system", "evil_builtins_eval.pth:builtins.eval",
        "evil_in_state_dict.pth:posix.system"})
    void maliciousGlobalsAreRefusedByName(String spec) {
        String[] parts = spec.split(":");
        Path file = resource(parts[0]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> StateDict.load(file));
        assertTrue(e.getMessage().contains("refers to Python object '" + parts[1] + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("refusing to load it"), e.getMessage());
        assertTrue(e.getMessage().contains(parts[0]), e.getMessage());
    }

    /** Globals Pyrolite itself knows (its static registry, exception and class-dict fallbacks) are refused too. */
    @ParameterizedTest
    @ValueSource(strings = {"copy_reg:_reconstructor", "__builtin__:set", "builtins:bytearray", "array:array",
        "datetime:datetime", "builtins:ValueError", "exceptions:Exception", "numpy.core.multiarray:_reconstruct",
        "torch:Tensor", "torch._utils:_rebuild_parameter_with_state", "subprocess:Popen"})
    void anyGlobalOutsideTheWhitelistIsRefused(String spec) throws IOException {
        String[] mn = spec.split(":");
        byte[] pickle = new Pickle().global(mn[0], mn[1]).op(')').op('R').op('.').bytes();
        Path file = torchZip(temp.resolve("g.pth"), "x", pickle, Map.of());
        CheckpointException e = assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(file));
        assertTrue(e.getMessage().contains("'" + mn[0] + "." + mn[1] + "'"), e.getMessage());
    }

    @Test
    void instAndStackGlobalRoutesAreRefusedToo() throws IOException {
        // protocol 0 INST: (S'echo hi'\nios\nsystem\n.
        byte[] inst = "(S'echo hi'\nios\nsystem\n.".getBytes(StandardCharsets.US_ASCII);
        Path a = torchZip(temp.resolve("inst.pth"), "x", inst, Map.of());
        assertTrue(assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(a)).getMessage()
                .contains("'os.system'"));
        // STACK_GLOBAL naming a whitelisted module with another name
        byte[] stack = new Pickle().str("torch._utils").str("_rebuild_device_tensor_from_numpy").op(0x93).op('.').bytes();
        Path b = torchZip(temp.resolve("stack.pth"), "x", stack, Map.of());
        assertTrue(assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(b)).getMessage()
                .contains("'torch._utils._rebuild_device_tensor_from_numpy'"));
    }

    // --- sizes checked before allocation ---------------------------------------------------------------------

    @Test
    void storageDeclaringMoreThanItsEntryHoldsIsAnError() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> PyTorchCheckpoint.read(resource("short_storage.pth")));
        assertTrue(e.getMessage().contains("declares 1000 float32 elements (4000 bytes) but its entry holds only 16"),
                e.getMessage());
    }

    @Test
    void handMadeTensorMatchesAndSizesAreChecked() throws IOException {
        byte[] four = floats(1, 2, 3, 4);
        // sanity: the hand-made pickle works: a 2x2 transposed view
        Path ok = torchZip(temp.resolve("ok.pth"), "anything",
                Pickle.single("w", "FloatStorage", "0", 4, 0, new long[] {2, 2}, new long[] {1, 2}),
                storages("0", four));
        assertArrayEquals(new float[] {1, 3, 2, 4}, PyTorchCheckpoint.read(ok).get("w").toFloats());

        // a view reaching past the end of its storage
        assertDamaged(Pickle.single("w", "FloatStorage", "0", 4, 1, new long[] {2, 2}, new long[] {2, 1}), four,
                "reaches beyond its storage");
        // an element count beyond long
        assertDamaged(Pickle.single("w", "FloatStorage", "0", 4, 0, new long[] {1L << 40, 1L << 40},
                new long[] {1, 1}), four, "too many elements");
        // a storage of 2^61 elements: rejected from its declaration, nothing allocated
        assertDamaged(Pickle.single("w", "FloatStorage", "0", 1L << 61, 0, new long[] {1}, new long[] {1}), four,
                "more than 2 GB");
        // a storage of 3 GB
        assertDamaged(Pickle.single("w", "ByteStorage", "0", 3L << 30, 0, new long[] {1}, new long[] {1}), four,
                "more than 2 GB");
        // negative size
        assertDamaged(Pickle.single("w", "FloatStorage", "0", 4, 0, new long[] {-1}, new long[] {1}), four,
                "negative dimension");
        // a storage without its entry
        assertDamaged(Pickle.single("w", "FloatStorage", "7", 4, 0, new long[] {4}, new long[] {1}), four,
                "has no entry");
        // an unknown storage type is a refused global
        assertDamaged(Pickle.single("w", "ComplexFloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}), four,
                "'torch.ComplexFloatStorage'");
        // a string length past the end of the pickle
        byte[] lying = new Pickle().op('X').raw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}).bytes();
        assertDamaged(lying, four, "truncated or damaged");
    }

    /** The hostile files of the fuzzing report: each ends fast, with a short message and bounded memory. */
    @Test
    void hostilePicklesAreRefusedQuicklyWithShortMessages() throws IOException {
        byte[] four = floats(1, 2, 3, 4);
        // An expanded view (stride 0) of 20000 x 20000 over 4 floats: 1.6 GB if copied out.
        assertRefusedQuickly(Pickle.single("w", "FloatStorage", "0", 4, 0, new long[] {20000, 20000}, new long[] {0, 0}),
                four, "repeat their data");
        // A list that contains itself used as a dictionary key (hashing it would never end).
        assertRefusedQuickly(new Pickle().op('}').op(']').op('q').op(0).op('h').op(0).op('a').integer(1).op('s')
                .op('.').bytes(), four, "dictionary key is a list");
        // A 10,000-deep nest of lists as the value of a tensor's storage type: described without printing it.
        Pickle deep = new Pickle().op('}').str("w");
        for (int i = 0; i < 10000; i++) {
            deep.op(']');
        }
        for (int i = 0; i < 9999; i++) {
            deep.op('a');
        }
        assertRefusedQuickly(deep.op('s').op('.').bytes(), four, "contains no weights");
        // A 1 MB integer (LONG4), and the same as protocol-0 text (LONG): refused before decoding.
        byte[] huge = new byte[1 << 20];
        java.util.Arrays.fill(huge, (byte) 0x55);
        assertRefusedQuickly(new Pickle().op(0x8b).raw(java.nio.ByteBuffer.allocate(4)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(huge.length).array()).raw(huge).op('.').bytes(), four,
                "an integer of 1048576 bytes");
        assertRefusedQuickly(new Pickle().op('L').raw(("9".repeat(1 << 20) + "L\n").getBytes(StandardCharsets.US_ASCII))
                .op('.').bytes(), four, "an integer of 1048577 digits");
        // A 1 MB global name is not echoed in full.
        assertRefusedQuickly(new Pickle().global("os", "x".repeat(1 << 20)).op('.').bytes(), four, "characters)");
        // Numbers too large for a size.
        assertRefusedQuickly(Pickle.single("w", "FloatStorage", "0", 4, 0, new long[] {1L << 62, 4}, new long[] {1, 1}),
                four, "too many elements");
    }

    private void assertRefusedQuickly(byte[] pickle, byte[] storage, String expected) throws IOException {
        Path file = torchZip(temp.resolve("hostile.pth"), "hostile", pickle, storages("0", storage));
        long start = System.nanoTime();
        CheckpointException e = assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(file));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().length() < 400, "message of " + e.getMessage().length() + " characters");
        assertTrue(seconds < 5, "took " + seconds + " s");
    }

    @Test
    void duplicatedZipEntriesAreRefused() throws IOException {
        // ZipOutputStream refuses duplicate names, so write two names of equal length and rename one in place.
        byte[] first = floats(1, 2, 3, 4);
        byte[] second = floats(5, 6, 7, 8);
        Path file = torchZip(temp.resolve("dup.pth"), "dup",
                Pickle.single("w", "FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1}),
                storages("0", first, "1", second));
        byte[] zip = Files.readAllBytes(file);
        byte[] from = "dup/data/1".getBytes(StandardCharsets.US_ASCII);
        byte[] to = "dup/data/0".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + from.length <= zip.length; i++) {
            if (Arrays.equals(zip, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, zip, i, to.length);
            }
        }
        Files.write(file, zip);
        String message = assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(file)).getMessage();
        assertTrue(message.contains("lists 'dup/data/0' twice"), message);
    }

    private void assertDamaged(byte[] pickle, byte[] storage, String expected) throws IOException {
        Path file = torchZip(temp.resolve("bad.pth"), "bad", pickle, storages("0", storage));
        CheckpointException e = assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("bad.pth"), e.getMessage());
    }

    @Test
    void zipWithoutCheckpointOrWithSeveral() throws IOException {
        Path none = temp.resolve("archive.zip");
        try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(none))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("readme.txt"));
            zip.write("hello".getBytes(StandardCharsets.US_ASCII));
        }
        assertTrue(assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(none)).getMessage()
                .contains("no '<folder>/data.pkl'"));
        assertTrue(assertThrows(CheckpointException.class,
                () -> PyTorchCheckpoint.read(resource("torchscript.pt"))).getMessage().contains("TorchScript"));
    }

    @Test
    void topLevelThatIsNotADictOfWeights() throws IOException {
        byte[] list = new Pickle().op(']').op('.').bytes();
        Path file = torchZip(temp.resolve("list.pth"), "x", list, Map.of());
        assertTrue(assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(file)).getMessage()
                .contains("rather than a dictionary of weights"));
        byte[] dict = new Pickle().op('}').mark().str("epoch").integer(3).str("lr").integer(1).op('u').op('.').bytes();
        Path noWeights = torchZip(temp.resolve("nw.pth"), "x", dict, Map.of());
        String message = assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(noWeights)).getMessage();
        assertTrue(message.contains("contains no weights") && message.contains("[epoch, lr]"), message);
        // a dict that contains itself: no endless search
        byte[] cycle = new Pickle().op('}').op('q').op(0).str("self").op('h').op(0).op('s').op('.').bytes();
        Path cyclic = torchZip(temp.resolve("cycle.pth"), "x", cycle, Map.of());
        assertTrue(assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(cyclic)).getMessage()
                .contains("contains no weights"));
    }

    @Test
    void contiguityRule() {
        assertTrue(PyTorchCheckpoint.isContiguous(new long[] {}, new long[] {}));
        assertTrue(PyTorchCheckpoint.isContiguous(new long[] {2, 3}, new long[] {3, 1}));
        assertTrue(PyTorchCheckpoint.isContiguous(new long[] {1, 3}, new long[] {99, 1}));
        assertFalse(PyTorchCheckpoint.isContiguous(new long[] {3, 2}, new long[] {1, 3}));
        assertFalse(PyTorchCheckpoint.isContiguous(new long[] {2, 3}, new long[] {0, 1}));
    }
}
