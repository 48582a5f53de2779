package io.github.samfiji.ij;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.model.SamModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.github.samfiji.imagejio.StackSlices;

/**
 * Keeps the model the user chose loaded between commands, since loading a ViT-H takes many seconds and gigabytes.
 * Choosing another file (or a changed file) replaces it and frees the old one with its cached embeddings.
 */
public final class ModelCache {

    private static Path loadedFile;
    private static Path loadedConfig;
    private static long loadedStamp;
    private static SamModel model;
    private static EmbeddingCache embeddings;
    /** Slice embeddings of the stacks last propagated through, by image ID and cache folder (two at most). */
    private static final java.util.LinkedHashMap<String, io.github.samfiji.inference.StackEmbeddings> STACKS =
            new java.util.LinkedHashMap<>(4, 0.75f, true);

    private ModelCache() {
    }

    public static synchronized SamModel get(Path checkpoint, Path config) throws IOException {
        Path file = checkpoint.toAbsolutePath().normalize();
        long stamp = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() : -1;
        if (model != null && file.equals(loadedFile) && stamp == loadedStamp
                && java.util.Objects.equals(config, loadedConfig)) {
            return model;
        }
        release();
        model = ModelLoader.load(file, config);
        loadedFile = file;
        loadedConfig = config;
        loadedStamp = stamp;
        embeddings = new EmbeddingCache(model);
        return model;
    }

    /** The embedding cache of the loaded model. */
    public static synchronized EmbeddingCache embeddings(SamModel forModel) {
        if (forModel != model) {
            throw new IllegalStateException("model is no longer loaded");
        }
        return embeddings;
    }

    /**
     * The slice embeddings of a stack for the loaded model, kept between runs so a re-run after a correction only
     * decodes; slices whose pixels changed are encoded again. With a folder, embeddings also persist on disk.
     */
    public static synchronized io.github.samfiji.inference.StackEmbeddings stack(SamModel forModel, ij.ImagePlus image,
            StackSlices planes, Path diskCache) {
        EmbeddingCache cache = embeddings(forModel);
        String key = image.getID() + "|" + diskCache;
        io.github.samfiji.inference.StackEmbeddings stack = STACKS.get(key);
        if (stack == null || stack.depth() != planes.depth()) {
            if (stack != null) {
                stack.close();
            }
            String modelKey;
            try {
                modelKey = io.github.samfiji.checkpoint.ModelIdentity.of(loadedFile, loadedConfig);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read the model file " + loadedFile, e);
            }
            stack = new io.github.samfiji.inference.StackEmbeddings(cache.predictor(), planes.asFunction(), planes.depth(),
                    diskCache, modelKey);
            STACKS.put(key, stack);
            while (STACKS.size() > 2) {
                java.util.Map.Entry<String, io.github.samfiji.inference.StackEmbeddings> eldest =
                        STACKS.entrySet().iterator().next();
                eldest.getValue().close();
                STACKS.remove(eldest.getKey());
            }
        }
        return stack;
    }

    public static synchronized void release() {
        STACKS.values().forEach(io.github.samfiji.inference.StackEmbeddings::close);
        STACKS.clear();
        if (embeddings != null) {
            embeddings.clear();
            embeddings = null;
        }
        if (model != null) {
            model.close();
            model = null;
        }
        loadedFile = null;
    }
}
