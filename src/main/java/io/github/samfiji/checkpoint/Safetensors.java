package io.github.samfiji.checkpoint;

import static io.github.samfiji.checkpoint.CheckpointException.describe;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}}, then
 * the tensor bytes (offsets are relative to the end of the header).
 *
 * <p>Reading memory-maps the data in chunks of at most 1 GiB that never split a tensor, so files larger than
 * 2 GB work; the tensors are views of the mapping, not copies.
 */
public final class Safetensors {

    static final String METADATA_KEY = "__metadata__";
    /** The reference implementation refuses headers above 100 MB; so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final long DEFAULT_CHUNK_BYTES = 1L << 30;
    private static final Pattern UNSIGNED = Pattern.compile("\\d{1,19}");

    private Safetensors() {
    }

    /** One tensor of the header; {@code begin} and {@code end} are relative to the start of the data. */
    record Entry(String name, TensorType type, long[] shape, long begin, long end) {
        long length() {
            return end - begin;
        }
    }

    record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {
    }

    /** A region of the data section mapped at once, holding whole tensors. */
    record Chunk(long begin, long end, List<Entry> entries) {
    }

    // --- reading -----------------------------------------------------------------------------------------------

    /**
     * Reads all tensors, in the order of the header, as read-only views of a memory mapping of the file.
     *
     * @throws CheckpointException for a missing file or an invalid header, with a message naming the file
     */
    public static StateDict read(Path file) throws IOException {
        return read(file, DEFAULT_CHUNK_BYTES);
    }

    /** {@link #read(Path)} with mappings of at most {@code chunkBytes} (unless one tensor alone is larger). */
    static StateDict read(Path file, long chunkBytes) throws IOException {
        try (FileChannel channel = open(file)) {
            Header header = readHeader(file, channel);
            Map<Entry, ByteBuffer> buffers = new IdentityHashMap<>();
            for (Chunk chunk : planChunks(header.entries(), chunkBytes)) {
                MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY,
                        header.dataStart() + chunk.begin(), chunk.end() - chunk.begin());
                for (Entry e : chunk.entries()) {
                    buffers.put(e, mapped.slice((int) (e.begin() - chunk.begin()), (int) e.length()));
                }
            }
            StateDict out = new StateDict();
            for (Entry e : header.entries()) {
                ByteBuffer data = e.length() == 0 ? ByteBuffer.allocate(0) : buffers.get(e);
                out.put(e.name(), TensorData.wrap(e.type(), e.shape(), data));
            }
            return out;
        }
    }

    /** The {@code __metadata__} of the header (empty when there is none), without mapping any data. */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel channel = open(file)) {
            return readHeader(file, channel).metadata();
        }
    }

    private static FileChannel open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new CheckpointException(file, describe(file) + " is a folder, not a safetensors file.");
        }
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, describe(file) + " does not exist.", e);
        } catch (AccessDeniedException e) {
            throw new CheckpointException(file, describe(file) + " cannot be read (permission denied).", e);
        }
    }

    /**
     * Groups tensors (in any order) into mappable chunks: consecutive in the file, each spanning at most
     * {@code limit} bytes unless a single tensor is larger. Empty tensors need no mapping and are left out.
     */
    static List<Chunk> planChunks(List<Entry> entries, long limit) {
        List<Entry> sorted = new ArrayList<>();
        for (Entry e : entries) {
            if (e.length() > 0) {
                sorted.add(e);
            }
        }
        sorted.sort(Comparator.comparingLong(Entry::begin));
        List<Chunk> chunks = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long begin = 0;
        long end = 0;
        for (Entry e : sorted) {
            if (!current.isEmpty() && e.end() - begin > limit) {
                chunks.add(new Chunk(begin, end, List.copyOf(current)));
                current.clear();
            }
            if (current.isEmpty()) {
                begin = e.begin();
            }
            current.add(e);
            end = e.end();
        }
        if (!current.isEmpty()) {
            chunks.add(new Chunk(begin, end, List.copyOf(current)));
        }
        return chunks;
    }

    static Header readHeader(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw invalid(file, "it is only " + fileSize + " bytes long");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw invalid(file, "its header length field says " + Long.toUnsignedString(headerLength) + " bytes");
        }
        if (headerLength > fileSize - 8) {
            throw CheckpointException.damaged(file, "its header needs " + headerLength + " bytes but the file has "
                    + (fileSize - 8) + " after the length field", null);
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, 8);
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBytes.flip()).toString();
        } catch (CharacterCodingException e) {
            throw invalid(file, "its header is not UTF-8 text");
        }
        long dataStart = 8 + headerLength;
        return parseHeader(file, json, fileSize - dataStart, dataStart);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new java.io.EOFException();
            }
            position += n;
        }
    }

    static Header parseHeader(Path file, String json, long dataLength, long dataStart) throws CheckpointException {
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        try (JsonReader reader = new JsonReader(new StringReader(json))) {
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw invalid(file, "its header is not a JSON object");
            }
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                if (!seen.add(name)) {
                    throw invalid(file, "its header names '" + CheckpointException.brief(name) + "' twice");
                }
                JsonElement value = JsonParser.parseReader(reader);
                if (name.equals(METADATA_KEY)) {
                    if (!value.isJsonObject()) {
                        throw invalid(file, "its __metadata__ is not a JSON object");
                    }
                    for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
                        JsonElement v = m.getValue();
                        // The format's metadata maps text to text; anything else is refused, not printed.
                        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                            throw invalid(file, "its __metadata__ value for '" + CheckpointException.brief(m.getKey())
                                    + "' is not text");
                        }
                        metadata.put(m.getKey(), v.getAsString());
                    }
                } else {
                    entries.add(parseEntry(file, name, value, dataLength));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw invalid(file, "its header has text after the JSON object");
            }
        } catch (StackOverflowError e) {
            throw invalid(file, "its header nests JSON too deeply");
        } catch (IOException | JsonParseException | IllegalStateException e) {
            if (e instanceof CheckpointException c) {
                throw c;
            }
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw invalid(file, "its header is not valid JSON (" + CheckpointException.brief(String.valueOf(
                    root.getMessage())) + ")");
        }
        checkCoverage(file, entries, dataLength);
        return new Header(entries, metadata, dataStart);
    }

    private static Entry parseEntry(Path file, String name, JsonElement value, long dataLength)
            throws CheckpointException {
        String shown = CheckpointException.brief(name);
        if (!value.isJsonObject()) {
            throw invalid(file, "tensor '" + CheckpointException.brief(name) + "' is described by a "
                    + (value.isJsonArray() ? "list" : "value") + " rather than an object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dtype = o.get("dtype");
        if (dtype == null || !dtype.isJsonPrimitive() || !dtype.getAsJsonPrimitive().isString()) {
            throw invalid(file, "tensor '" + shown + "' has no dtype");
        }
        TensorType type = TensorType.fromSafetensorsName(dtype.getAsString());
        if (type == null) {
            throw new CheckpointException(file, describe(file) + " stores tensor '" + shown + "' as "
                    + CheckpointException.brief(dtype.getAsString()) + ", a data type sam-fiji does not support (it reads F32, F16, BF16, F64, "
                    + "I64, I32, I16, I8, U8 and BOOL).");
        }
        long[] shape = unsignedArray(file, name, "shape", o.get("shape"), -1);
        long[] offsets = unsignedArray(file, name, "data_offsets", o.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw invalid(file, "tensor '" + shown + "' has data_offsets [" + begin + ", " + end + "]");
        }
        long numel;
        long bytes;
        try {
            numel = TensorData.elementCount(shape);
            bytes = TensorData.byteCount(numel, type);
        } catch (IllegalArgumentException e) {
            throw invalid(file, "tensor '" + shown + "': " + e.getMessage());
        }
        if (end - begin != bytes) {
            throw invalid(file, "tensor '" + shown + "' is " + type.safetensorsName() + " of shape "
                    + Arrays.toString(shape) + " (" + bytes + " bytes) but its data_offsets span " + (end - begin)
                    + " bytes");
        }
        if (end > dataLength) {
            throw CheckpointException.damaged(file, "tensor '" + shown + "' ends at byte " + end
                    + " of the data but the file holds only " + dataLength + " data bytes", null);
        }
        return new Entry(name, type, shape, begin, end);
    }

    private static long[] unsignedArray(Path file, String tensor, String field, JsonElement value, int length)
            throws CheckpointException {
        if (value == null || !value.isJsonArray() || (length >= 0 && value.getAsJsonArray().size() != length)) {
            throw invalid(file, "tensor '" + CheckpointException.brief(tensor) + "' has " + (value == null ? "no " + field
                    : field + " " + CheckpointException.brief(value.toString())));
        }
        JsonArray array = value.getAsJsonArray();
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = array.get(i);
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber() || !UNSIGNED.matcher(v.getAsString()).matches()) {
                throw invalid(file, "tensor '" + CheckpointException.brief(tensor) + "' has " + field + " "
                        + CheckpointException.brief(value.toString()));
            }
            try {
                out[i] = Long.parseLong(v.getAsString());
            } catch (NumberFormatException e) {
                throw invalid(file, "tensor '" + CheckpointException.brief(tensor) + "' has " + field + " "
                        + CheckpointException.brief(value.toString()));
            }
        }
        return out;
    }

    /**
     * The tensors' bytes must tile the data section exactly, in some order, with no gap, overlap or byte left over
     * (as the reference reader requires). A header length that is off by a few bytes otherwise still parses (the
     * header is padded with spaces) and every weight would be read shifted.
     */
    private static void checkCoverage(Path file, List<Entry> entries, long dataLength) throws CheckpointException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.removeIf(e -> e.length() == 0);
        sorted.sort(Comparator.comparingLong(Entry::begin));
        long at = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < at) {
                throw invalid(file, "the data of tensors '" + previous.name() + "' and '" + e.name() + "' overlap");
            }
            if (e.begin() > at) {
                throw invalid(file, (e.begin() - at) + " data bytes before tensor '" + e.name()
                        + "' belong to no tensor (is the header length right?)");
            }
            at = e.end();
            previous = e;
        }
        if (at != dataLength) {
            throw invalid(file, "its tensors hold " + at + " data bytes but the file has " + dataLength
                    + " after the header (is the header length right?)");
        }
    }

    private static CheckpointException invalid(Path file, String problem) {
        return new CheckpointException(file, describe(file) + " is not a valid safetensors file: " + problem
                + ". The file may be damaged; download or convert it again.");
    }

    // --- writing -----------------------------------------------------------------------------------------------

    /** Called after each tensor is written; lets tests interrupt a write half-way. */
    interface WriteListener {
        void written(String name) throws IOException;
    }

    /** {@link #write(Path, StateDict, Map, boolean)} refusing to replace an existing file. */
    public static void write(Path file, StateDict tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, false);
    }

    /**
     * Writes {@code tensors} (and {@code metadata}, may be null) to {@code file}, atomically: the data goes to a
     * temporary file in the same folder, which is renamed to {@code file} only when complete, and deleted if
     * anything fails. The header lists the tensors in the dict's order; the data is ordered by decreasing element
     * size so that every tensor is aligned to its element size.
     *
     * @param overwrite whether an existing {@code file} may be replaced
     * @throws CheckpointException when {@code file} exists and {@code overwrite} is false, or it cannot be written
     */
    public static void write(Path file, StateDict tensors, Map<String, String> metadata, boolean overwrite)
            throws IOException {
        write(file, tensors, metadata, overwrite, name -> { });
    }

    static void write(Path file, StateDict tensors, Map<String, String> metadata, boolean overwrite,
            WriteListener listener) throws IOException {
        Path target = file.toAbsolutePath();
        if (!overwrite && Files.exists(target)) {
            throw exists(target);
        }
        Path folder = target.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new CheckpointException(file, "cannot write " + describe(file) + ": the folder does not exist.");
        }
        byte[] header = header(tensors, metadata);
        List<Map.Entry<String, TensorData>> order = dataOrder(tensors);

        Path temp;
        try {
            // Like any new file (the user's umask applies): createTempFile would make the model owner-only while
            // its JSON beside it is readable by the group.
            temp = Files.createFile(folder.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime())
                    + ".part"));
        } catch (AccessDeniedException e) {
            throw new CheckpointException(file, "cannot write " + describe(file)
                    + ": no permission to create files in that folder.", e);
        }
        boolean done = false;
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(out, length);
                writeFully(out, ByteBuffer.wrap(header));
                for (Map.Entry<String, TensorData> e : order) {
                    writeFully(out, e.getValue().data());
                    listener.written(e.getKey());
                }
                out.force(true);
            }
            moveIntoPlace(temp, target, overwrite);
            done = true;
        } catch (FileSystemException e) {
            throw new CheckpointException(file, "cannot write " + describe(file) + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static CheckpointException exists(Path target) {
        return new CheckpointException(target, describe(target) + " already exists; choose another name, or allow "
                + "overwriting it.");
    }

    private static void moveIntoPlace(Path temp, Path target, boolean overwrite) throws IOException {
        if (overwrite) {
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return;
        }
        // A rename would silently replace a file created meanwhile; a hard link fails instead.
        try {
            Files.createLink(target, temp);
            Files.delete(temp);
            return;
        } catch (FileAlreadyExistsException e) {
            throw exists(target);
        } catch (UnsupportedOperationException | FileSystemException e) {
            // no hard links on this file system: check, then rename
        }
        if (Files.exists(target)) {
            throw exists(target);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** Data order: stable by decreasing element size, so that each tensor starts aligned to its element size. */
    private static List<Map.Entry<String, TensorData>> dataOrder(StateDict tensors) {
        List<Map.Entry<String, TensorData>> order = new ArrayList<>(tensors.entries());
        order.sort(Comparator.comparingInt((Map.Entry<String, TensorData> e) -> e.getValue().type().byteSize())
                .reversed());
        return order;
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(StateDict tensors, Map<String, String> metadata) throws IOException {
        Map<String, long[]> offsets = new LinkedHashMap<>();
        long position = 0;
        for (Map.Entry<String, TensorData> e : dataOrder(tensors)) {
            long end = position + e.getValue().byteSize();
            offsets.put(e.getKey(), new long[] {position, end});
            position = end;
        }
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setHtmlSafe(false);
            json.beginObject();
            if (metadata != null && !metadata.isEmpty()) {
                json.name(METADATA_KEY).beginObject();
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    json.name(m.getKey()).value(m.getValue());
                }
                json.endObject();
            }
            for (Map.Entry<String, TensorData> e : tensors.entries()) {
                if (e.getKey().equals(METADATA_KEY)) {
                    throw new IllegalArgumentException("a tensor cannot be named " + METADATA_KEY);
                }
                TensorData t = e.getValue();
                json.name(e.getKey()).beginObject();
                json.name("dtype").value(t.type().safetensorsName());
                json.name("shape").beginArray();
                for (long d : t.shape()) {
                    json.value(d);
                }
                json.endArray();
                long[] o = offsets.get(e.getKey());
                json.name("data_offsets").beginArray().value(o[0]).value(o[1]).endArray();
                json.endObject();
            }
            json.endObject();
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (bytes.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(bytes, padded);
        Arrays.fill(out, bytes.length, padded, (byte) ' ');
        return out;
    }
}
