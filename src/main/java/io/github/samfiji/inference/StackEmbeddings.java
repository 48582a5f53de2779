package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import io.github.samfiji.checkpoint.Safetensors;
import io.github.samfiji.checkpoint.StateDict;
import io.github.samfiji.checkpoint.TensorData;
import io.github.samfiji.image.Rgb8Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The embeddings of a stack's slices, each encoded at most once and kept for as long as this object lives, so
 * propagating several objects, or re-running after a correction, costs only the decoder. With a cache folder the
 * embeddings also go to disk, keyed by the slice's pixels and the model, so a later session on the same stack does
 * not encode again.
 */
public final class StackEmbeddings implements AutoCloseable {

    private final SamPredictor predictor;
    private final IntFunction<Rgb8Image> slices;
    private final int depth;
    private final Path cacheFolder;
    private final String modelKey;
    private final Map<Integer, ImageEmbedding> encoded = new HashMap<>();
    /** Content key of each encoded slice: a slice whose pixels changed since is encoded again. */
    private final Map<Integer, String> keys = new HashMap<>();
    private int encodedNow;
    private int readFromDisk;

    /**
     * @param slices     0-based slice index to its image (called at most once per slice)
     * @param cacheFolder where to keep embeddings across sessions, or null for memory only
     * @param modelKey   identifies the model's weights and configuration (part of the on-disk key)
     */
    public StackEmbeddings(SamPredictor predictor, IntFunction<Rgb8Image> slices, int depth, Path cacheFolder,
                           String modelKey) {
        this.predictor = predictor;
        this.slices = slices;
        this.depth = depth;
        this.cacheFolder = cacheFolder;
        this.modelKey = modelKey == null ? "" : modelKey;
    }

    public int depth() {
        return depth;
    }

    /** How many slices were run through the encoder by this object (not found in memory or on disk). */
    public int encodedCount() {
        return encodedNow;
    }

    /** How many slices came from the disk cache. */
    public int diskHits() {
        return readFromDisk;
    }

    /** The embedding of slice {@code z} (0-based); owned by this object, do not close it. */
    public synchronized ImageEmbedding get(int z, Progress progress) {
        if (z < 0 || z >= depth) {
            throw new IllegalArgumentException("slice " + (z + 1) + " does not exist: the stack has " + depth + " slices");
        }
        Rgb8Image image = slices.apply(z);
        String key = key(image);
        ImageEmbedding e = encoded.get(z);
        if (e != null && key.equals(keys.get(z))) {
            return e;
        }
        if (e != null) {
            e.close();
        }
        e = null;
        Path file = cacheFolder == null ? null : cacheFolder.resolve(key + ".safetensors");
        if (file != null && Files.isRegularFile(file)) {
            e = read(file);
            if (e != null) {
                readFromDisk++;
            }
        }
        if (e == null) {
            e = predictor.encode(image, progress);
            encodedNow++;
            if (file != null) {
                write(file, e);
            }
        }
        encoded.put(z, e);
        keys.put(z, key);
        return e;
    }

    private String key(Rgb8Image image) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(modelKey.getBytes(StandardCharsets.UTF_8));
            sha.update(ByteBuffer.allocate(8).putInt(image.width()).putInt(image.height()).array());
            sha.update(image.toBytes());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private ImageEmbedding read(Path file) {
        try {
            StateDict state = Safetensors.read(file);
            Map<String, String> meta = Safetensors.readMetadata(file);
            TensorData t = state.require("features");
            return ImageEmbedding.restore(predictor.model().manager(), t.toFloats(), t.shape(),
                    Integer.parseInt(meta.get("original_width")), Integer.parseInt(meta.get("original_height")),
                    Integer.parseInt(meta.get("input_width")), Integer.parseInt(meta.get("input_height")));
        } catch (IOException | RuntimeException ex) {
            // A damaged or foreign cache file is not the user's data: encode again and replace it.
            return null;
        }
    }

    private static void write(Path file, ImageEmbedding e) {
        try {
            Files.createDirectories(file.getParent());
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            tensors.put("features", TensorData.ofFloats(e.shape(), e.toFloatArray()));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("original_width", Integer.toString(e.originalWidth()));
            meta.put("original_height", Integer.toString(e.originalHeight()));
            meta.put("input_width", Integer.toString(e.inputWidth()));
            meta.put("input_height", Integer.toString(e.inputHeight()));
            Safetensors.write(file, new StateDict(tensors), meta, true);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the embedding cache " + file + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public synchronized void close() {
        encoded.values().forEach(ImageEmbedding::close);
        encoded.clear();
        keys.clear();
    }
}
