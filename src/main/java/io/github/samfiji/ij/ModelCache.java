package io.github.samfiji.ij;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.model.SamModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps the model the user chose loaded between commands, since loading a ViT-H takes many seconds and gigabytes.
 * Choosing another file (or a changed file) replaces it and frees the old one with its cached embeddings.
 */
public final class ModelCache {

    private static Path loadedFile;
    private static Path loadedConfig;
    private static io.github.samfiji.model.SamConfig.Preprocessing loadedPreprocessing;
    private static long loadedStamp;
    private static SamModel model;
    private static EmbeddingCache embeddings;

    private ModelCache() {
    }

    public static synchronized SamModel get(Path checkpoint, Path config) throws IOException {
        return get(checkpoint, config, null);
    }

    /** The model with the preprocessing profile chosen in the command ({@code null}: its configuration's). */
    public static synchronized SamModel get(Path checkpoint, Path config,
                                            io.github.samfiji.model.SamConfig.Preprocessing preprocessing)
            throws IOException {
        Path file = checkpoint.toAbsolutePath().normalize();
        long stamp = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() : -1;
        if (model != null && file.equals(loadedFile) && stamp == loadedStamp
                && java.util.Objects.equals(config, loadedConfig) && preprocessing == loadedPreprocessing) {
            return model;
        }
        release();
        model = ModelLoader.load(file, config, preprocessing);
        loadedFile = file;
        loadedConfig = config;
        loadedPreprocessing = preprocessing;
        loadedStamp = stamp;
        // The identity hashes the whole checkpoint: only when a disk cache is used, not at every model load.
        Path identityFile = file;
        Path identityConfig = config;
        // Embeddings on disk depend on the preprocessing: a profile chosen here is part of their key.
        String profile = preprocessing == null ? "" : "|preprocessing " + preprocessing.id();
        embeddings = new EmbeddingCache(model, () -> identity(identityFile, identityConfig) + profile);
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
     * The slice embeddings of an image for the loaded model, the same store that prompting uses, kept between runs so
     * a re-run after a correction only decodes; slices whose pixels changed are encoded again. With a folder,
     * embeddings also persist on disk.
     */
    public static synchronized io.github.samfiji.inference.StackEmbeddings stack(SamModel forModel, ij.ImagePlus image,
            Path diskCache) {
        return embeddings(forModel).stack(image, diskCache);
    }

    private static String identity(Path file, Path config) {
        try {
            return io.github.samfiji.checkpoint.ModelIdentity.of(file, config);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the model file " + file, e);
        }
    }

    public static synchronized void release() {
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
