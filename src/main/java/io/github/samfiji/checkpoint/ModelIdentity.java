package io.github.samfiji.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Names a model for caches of its results (the embedding store on disk): the SHA-256 of the weights file's content
 * and its configuration (the given JSON, else the sidecar, by content). A copy or a renamed file is the same model; a
 * re-saved one with other weights is not. The command line and Fiji build it here, so the same model and image find
 * the same cached embeddings from either. (The input size is part of the configuration; the intensity mapping is in
 * the image key, which hashes the model's input pixels.)
 */
public final class ModelIdentity {

    /** Content hashes by file, size and modification time: a file is read once per session, not once per use. */
    private static final Map<String, String> HASHES = new ConcurrentHashMap<>();

    private ModelIdentity() {
    }

    public static String of(Path checkpoint, Path config) throws IOException {
        Path file = checkpoint.toAbsolutePath().normalize();
        String stamp = file + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
        String content = HASHES.get(stamp);
        if (content == null) {
            content = sha256(file);
            HASHES.put(stamp, content);
        }
        StringBuilder key = new StringBuilder("sha256:").append(content);
        Path json = config != null ? config : ModelLoader.sidecarOf(file);
        if (Files.isRegularFile(json)) {
            key.append('|').append(Files.readString(json));
        }
        return key.toString();
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
