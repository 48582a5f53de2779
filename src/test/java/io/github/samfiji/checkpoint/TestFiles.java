package io.github.samfiji.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;

/** Test helpers: the committed checkpoints, their expected values, and hand-made torch zips and pickles. */
final class TestFiles {

    private TestFiles() {
    }

    static Path resource(String name) {
        URL url = TestFiles.class.getResource("/checkpoints/" + name);
        assertNotNull(url, "missing test resource " + name);
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** expected.json → file → tensor → {shape, dtype, values}, in the order written. */
    static JsonObject expected() throws IOException {
        try (Reader r = new InputStreamReader(Files.newInputStream(resource("expected.json")), StandardCharsets.UTF_8)) {
            JsonReader reader = new JsonReader(r);
            reader.setLenient(true); // Python writes Infinity
            return JsonParser.parseReader(reader).getAsJsonObject();
        }
    }

    static long[] longs(JsonElement array) {
        return array.getAsJsonArray().asList().stream().mapToLong(JsonElement::getAsLong).toArray();
    }

    /** Checks every tensor of {@code dict} against expected.json's entry for {@code file}, in order. */
    static void assertMatchesExpected(JsonObject expectedFile, StateDict dict) {
        assertEquals(expectedFile.keySet().stream().toList(), dict.keys());
        for (Map.Entry<String, JsonElement> e : expectedFile.entrySet()) {
            JsonObject t = e.getValue().getAsJsonObject();
            TensorData actual = dict.get(e.getKey());
            String name = e.getKey();
            assertArrayEquals(longs(t.get("shape")), actual.shape(), name);
            assertEquals(t.get("dtype").getAsString(), actual.type().toString(), name);
            var values = t.get("values").getAsJsonArray();
            assertEquals(values.size(), actual.numel(), name);
            if (actual.type().isFloatingPoint()) {
                float[] f = actual.toFloats();
                for (int i = 0; i < f.length; i++) {
                    double v = values.get(i).getAsDouble();
                    if (actual.type() == TensorType.FLOAT64) {
                        assertEquals(v, actual.data().getDouble(8 * i), name + "[" + i + "]");
                    } else {
                        assertEquals((float) v, f[i], name + "[" + i + "]");
                    }
                }
            } else {
                long[] l = actual.toLongs();
                for (int i = 0; i < l.length; i++) {
                    long v = values.get(i).isJsonPrimitive() && values.get(i).getAsJsonPrimitive().isBoolean()
                            ? (values.get(i).getAsBoolean() ? 1 : 0) : values.get(i).getAsLong();
                    assertEquals(v, l[i], name + "[" + i + "]");
                }
            }
        }
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** Writes a zip in torch.save's layout: folder/data.pkl, folder/data/key..., folder/version. */
    static Path torchZip(Path file, String folder, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry(folder + "/data.pkl"));
            zip.write(pickle);
            for (Map.Entry<String, byte[]> s : storages.entrySet()) {
                zip.putNextEntry(new ZipEntry(folder + "/data/" + s.getKey()));
                zip.write(s.getValue());
            }
            zip.putNextEntry(new ZipEntry(folder + "/version"));
            zip.write("3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return file;
    }

    /** Emits pickle opcodes (protocol 2 style, as torch.save writes them). */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle() {
            out.write(0x80);
            out.write(2);
        }

        Pickle op(int opcode) {
            out.write(opcode);
            return this;
        }

        Pickle raw(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        Pickle global(String module, String name) {
            return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        }

        Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            out.writeBytes(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
            return raw(b);
        }

        /** BININT for 32-bit values, else LONG1 with 8 bytes. */
        Pickle integer(long v) {
            if (v == (int) v) {
                op('J');
                out.writeBytes(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            } else {
                op(0x8a).op(8);
                out.writeBytes(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array());
            }
            return this;
        }

        Pickle mark() {
            return op('(');
        }

        Pickle tuple() {
            return op('t');
        }

        Pickle ints(long... values) {
            mark();
            for (long v : values) {
                integer(v);
            }
            return tuple();
        }

        Pickle orderedDict() {
            return global("collections", "OrderedDict").op(')').op('R');
        }

        /** _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict()). */
        Pickle tensor(String storageType, String key, long numel, long offset, long[] size, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").mark();
            mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).tuple();
            op('Q'); // BINPERSID
            integer(offset).ints(size).ints(stride).op(0x89).orderedDict();
            return tuple().op('R');
        }

        /** An OrderedDict {name: tensor} of one tensor, complete with STOP. */
        static byte[] single(String name, String storageType, String key, long numel, long offset, long[] size,
                long[] stride) {
            return new Pickle().orderedDict().mark().str(name)
                    .tensor(storageType, key, numel, offset, size, stride).op('u').op('.').bytes();
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static Map<String, byte[]> storages(Object... keyAndBytes) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < keyAndBytes.length; i += 2) {
            out.put((String) keyAndBytes[i], (byte[]) keyAndBytes[i + 1]);
        }
        return out;
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
