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
 * The embeddings of a stack's slices (a 2D image is a stack of one), each encoded at most once and kept for as long as
 * this object lives, so prompting a slice again, propagating several objects, or re-running after a correction costs
 * only the decoder. This is the one embedding store: the command line and Fiji's prompting, propagation and
 * evaluation all ask it. With a cache folder the embeddings also go to disk, keyed by the slice's pixels and the
 * model ({@link io.github.samfiji.checkpoint.ModelIdentity}), so a later session, from either front end, does not
 * encode again.
 *
 * <p>A slice found in memory is returned without looking at its pixels again (converting and hashing a 4000 x 4000
 * plane takes about 50 ms per prompt); after the pixels may have changed, the owner calls {@link #invalidate()} and
 * each slice is then checked once against its content key and encoded again only if it changed.
 */
public final class StackEmbeddings implements AutoCloseable {

    private final PromptPredictor predictor;
    private final IntFunction<Rgb8Image> slices;
    private final int depth;
    private Path cacheFolder;
    /** The model's identity, asked for only when a cache folder is used (hashing a large checkpoint takes seconds). */
    private final java.util.function.Supplier<String> modelKey;
    private final Map<Integer, Embedding> encoded = new HashMap<>();
    /** Content key of each encoded slice: a slice whose pixels changed since is encoded again. */
    private final Map<Integer, String> keys = new HashMap<>();
    /** Slices whose pixels may have changed since they were encoded (checked on their next use). */
    private final java.util.Set<Integer> unchecked = new java.util.HashSet<>();
    private int encodedNow;
    private int readFromDisk;

    /**
     * @param slices     0-based slice index to its image (called once per slice, and again after {@link #invalidate()})
     * @param cacheFolder where to keep embeddings across sessions, or null for memory only
     * @param modelKey   identifies the model's weights and configuration (part of the on-disk key)
     */
    public StackEmbeddings(SamPredictor predictor, IntFunction<Rgb8Image> slices, int depth, Path cacheFolder,
                           String modelKey) {
        this(PromptPredictor.of(predictor), slices, depth, cacheFolder, () -> modelKey);
    }

    /** As above, the model's identity computed on first use of the disk cache, at most once. */
    public StackEmbeddings(SamPredictor predictor, IntFunction<Rgb8Image> slices, int depth, Path cacheFolder,
                           java.util.function.Supplier<String> modelKey) {
        this(PromptPredictor.of(predictor), slices, depth, cacheFolder, modelKey);
    }

    /** A store of either model family's embeddings (SAM 1 or SAM 2.1, as the predictor's). */
    public StackEmbeddings(PromptPredictor predictor, IntFunction<Rgb8Image> slices, int depth, Path cacheFolder,
                           java.util.function.Supplier<String> modelKey) {
        this.predictor = predictor;
        this.slices = slices;
        this.depth = depth;
        this.cacheFolder = cacheFolder;
        String[] known = new String[1];
        this.modelKey = () -> {
            if (known[0] == null) {
                String k = modelKey == null ? null : modelKey.get();
                known[0] = k == null ? "" : k;
            }
            return known[0];
        };
    }

    /** From now on also keep embeddings in {@code folder} (null: memory only). */
    public synchronized void useDiskCache(Path folder) {
        this.cacheFolder = folder;
    }

    /** The pixels may have changed: each slice is checked against its content on its next use. */
    public synchronized void invalidate() {
        unchecked.addAll(encoded.keySet());
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

    /** The predictor whose embeddings this store holds. */
    public PromptPredictor predictor() {
        return predictor;
    }

    /** The SAM 1 embedding of slice {@code z} (0-based); owned by this object, do not close it. */
    public ImageEmbedding get(int z, Progress progress) {
        Embedding e = embedding(z, progress);
        if (e instanceof ImageEmbedding sam1) {
            return sam1;
        }
        throw new IllegalStateException("this store holds SAM 2.1 embeddings: use embedding(z, progress)");
    }

    /** The embedding of slice {@code z} (0-based), of the predictor's family; owned by this object, do not close it. */
    public synchronized Embedding embedding(int z, Progress progress) {
        if (z < 0 || z >= depth) {
            throw new IllegalArgumentException("slice " + (z + 1) + " does not exist: the stack has " + depth + " slices");
        }
        Embedding e = encoded.get(z);
        if (e != null && !unchecked.contains(z)) {
            return persisted(keys.get(z), e);
        }
        Rgb8Image image = slices.apply(z);
        String key = key(image);
        unchecked.remove(z);
        if (e != null && key.equals(keys.get(z))) {
            return persisted(key, e);
        }
        if (e != null) {
            e.close();
        }
        e = null;
        Path file = cacheFolder == null ? null : cacheFile(key);
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

    /** {@code e}, after writing it to the cache folder if it was encoded before the folder was chosen. */
    private Embedding persisted(String key, Embedding e) {
        if (cacheFolder != null && !Files.isRegularFile(cacheFile(key))) {
            write(cacheFile(key), e);
        }
        return e;
    }

    /** The slice's content key: its size and model input pixels (the store belongs to one model). */
    private static String key(Rgb8Image image) {
        return sha256(ByteBuffer.allocate(8).putInt(image.width()).putInt(image.height()).array(), image.toBytes());
    }

    /** On disk, the key also names the model, so one folder serves several models. */
    private Path cacheFile(String contentKey) {
        return cacheFolder.resolve(sha256(modelKey.get().getBytes(StandardCharsets.UTF_8),
                contentKey.getBytes(StandardCharsets.UTF_8)) + ".safetensors");
    }

    private static String sha256(byte[]... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                sha.update(part);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private Embedding read(Path file) {
        try {
            StateDict state = Safetensors.read(file);
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            for (String k : state.keys()) {
                tensors.put(k, state.get(k));
            }
            return predictor.fromStored(new PromptPredictor.StoredEmbedding(tensors, Safetensors.readMetadata(file)));
        } catch (IOException | RuntimeException ex) {
            // A damaged or foreign cache file is not the user's data: encode again and replace it.
            return null;
        }
    }

    private void write(Path file, Embedding e) {
        try {
            Files.createDirectories(file.getParent());
            PromptPredictor.StoredEmbedding stored = predictor.toStored(e);
            Safetensors.write(file, new StateDict(stored.tensors()), stored.metadata(), true);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the embedding cache " + file + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public synchronized void close() {
        encoded.values().forEach(Embedding::close);
        encoded.clear();
        keys.clear();
        unchecked.clear();
    }
}
