package io.github.samfiji.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Names a loaded model for caches of its results (the embedding store on disk): the weights file (absolute path, size,
 * modification time) and its configuration (the given JSON, else the sidecar, by content). The command line and Fiji
 * build it here, so the same model and image find the same cached embeddings from either.
 */
public final class ModelIdentity {

    private ModelIdentity() {
    }

    public static String of(Path checkpoint, Path config) throws IOException {
        Path file = checkpoint.toAbsolutePath().normalize();
        StringBuilder key = new StringBuilder(file.toString()).append('|').append(Files.size(file)).append('|')
                .append(Files.getLastModifiedTime(file).toMillis());
        Path json = config != null ? config : ModelLoader.sidecarOf(file);
        if (Files.isRegularFile(json)) {
            key.append('|').append(Files.readString(json));
        }
        return key.toString();
    }
}
