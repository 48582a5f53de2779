package io.github.samfiji.checkpoint;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.io.OutputFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header (name to dtype, shape and byte
 * range; optional {@code __metadata__} strings), then the raw data. Tensors are memory-mapped one by one, so
 * files larger than 2 GB (ViT-H) read fine.
 */
public final class Safetensors {

    private static final long MAX_HEADER = 100L * 1024 * 1024;

    private Safetensors() {
    }

    public static StateDict read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(ch, file);
            StateDict out = new StateDict();
            for (Map.Entry<String, JsonElement> e : h.json.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonObject t = e.getValue().getAsJsonObject();
                TensorType type = TensorType.fromSafetensors(t.get("dtype").getAsString());
                long[] shape = new Gson().fromJson(t.get("shape"), long[].class);
                JsonArray range = t.getAsJsonArray("data_offsets");
                long begin = range.get(0).getAsLong();
                long end = range.get(1).getAsLong();
                long need = TensorData.numel(shape) * type.bytes();
                if (begin < 0 || end < begin || end - begin != need || h.dataStart + end > ch.size()) {
                    throw new CheckpointException(file.getFileName() + ": tensor '" + e.getKey() + "' has byte range ["
                            + begin + ", " + end + ") that does not fit its shape or the file; the file is damaged");
                }
                ByteBuffer data = need == 0 ? ByteBuffer.allocate(0)
                        : ch.map(FileChannel.MapMode.READ_ONLY, h.dataStart + begin, need);
                out.put(e.getKey(), new TensorData(shape, type, data.order(ByteOrder.LITTLE_ENDIAN)));
            }
            return out;
        } catch (IllegalStateException | ClassCastException | com.google.gson.JsonParseException | NullPointerException e) {
            throw new CheckpointException(file.getFileName() + " has a malformed safetensors header: " + e.getMessage(), e);
        }
    }

    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            JsonObject meta = header(ch, file).json.getAsJsonObject("__metadata__");
            Map<String, String> out = new LinkedHashMap<>();
            if (meta != null) {
                meta.entrySet().forEach(e -> out.put(e.getKey(), e.getValue().getAsString()));
            }
            return out;
        }
    }

    private record Header(JsonObject json, long dataStart) {
    }

    private static Header header(FileChannel ch, Path file) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        if (ch.read(len, 0) != 8) {
            throw new CheckpointException(file.getFileName() + " is too short to be a safetensors file");
        }
        long n = len.getLong(0);
        if (n <= 0 || n > MAX_HEADER || 8 + n > ch.size()) {
            throw new CheckpointException(file.getFileName() + " is not a valid safetensors file (header length " + n + ")");
        }
        ByteBuffer json = ByteBuffer.allocate((int) n);
        ch.read(json, 8);
        try {
            JsonObject obj = JsonParser.parseString(new String(json.array(), StandardCharsets.UTF_8)).getAsJsonObject();
            return new Header(obj, 8 + n);
        } catch (RuntimeException e) {
            throw new CheckpointException(file.getFileName() + " has a malformed safetensors header: " + e.getMessage(), e);
        }
    }

    /**
     * Writes tensors and metadata atomically (a temporary file renamed into place); an existing file is only
     * replaced when {@code overwrite} is true.
     */
    public static void write(Path file, StateDict state, Map<String, String> metadata, boolean overwrite) throws IOException {
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        List<TensorData> order = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : state.entries()) {
            TensorData t = e.getValue();
            long size = t.numel() * t.type().bytes();
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", t.type().safetensorsName());
            entry.add("shape", new Gson().toJsonTree(t.shape()));
            JsonArray range = new JsonArray();
            range.add(offset);
            range.add(offset + size);
            entry.add("data_offsets", range);
            header.add(e.getKey(), entry);
            order.add(t);
            offset += size;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        java.util.Arrays.fill(headerBytes, (byte) ' ');
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        OutputFiles.write(file, overwrite, temp -> {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(temp), 1 << 20)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
                out.write(len.array());
                out.write(headerBytes);
                byte[] chunk = new byte[1 << 20];
                for (TensorData t : order) {
                    ByteBuffer b = t.data();
                    while (b.hasRemaining()) {
                        int k = Math.min(chunk.length, b.remaining());
                        b.get(chunk, 0, k);
                        out.write(chunk, 0, k);
                    }
                }
            }
        });
    }
}
