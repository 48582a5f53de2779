package io.github.samfiji.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes user-facing output files atomically: the content goes to a temporary file in the same folder, which
 * replaces the target only when complete, so a failure never leaves a half-written file or destroys an old one.
 * Existing files are never replaced unless the caller says so.
 */
public final class OutputFiles {

    /** Writes content to the given (temporary) path. */
    @FunctionalInterface
    public interface Writer {
        void write(Path temporary) throws IOException;
    }

    private OutputFiles() {
    }

    public static void write(Path target, boolean overwrite, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        if (!overwrite && Files.exists(absolute)) {
            throw new FileAlreadyExistsException(absolute.toString(), null,
                    "exists already; choose another output name or allow overwriting (--overwrite)");
        }
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        removeStaleLeftovers(dir);
        // Created like any new file (the user's umask applies), unlike createTempFile's owner-only permissions.
        Path temp = Files.createFile(dir.resolve("." + absolute.getFileName() + "." + Long.toHexString(System.nanoTime())
                + ".partial"));
        try {
            writer.write(temp);
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Folders already cleaned in this session (a listing per written file would cost much in big batch folders). */
    private static final java.util.Set<Path> CLEANED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Deletes the hidden {@code .*.partial} / {@code .*.part} files that a killed write left in {@code dir} more than
     * a day ago (a younger one may belong to a write still running elsewhere).
     */
    static void removeStaleLeftovers(Path dir) {
        if (!CLEANED.add(dir)) {
            return;
        }
        java.time.Instant dayAgo = java.time.Instant.now().minus(java.time.Duration.ofDays(1));
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            // Only names with our hexadecimal stamp: a download's ".NAME.part" is kept for resuming.
            return n.matches("\\..+\\.[0-9a-f]+\\.part(ial)?");
        })) {
            for (Path leftover : files) {
                if (Files.getLastModifiedTime(leftover).toInstant().isBefore(dayAgo)) {
                    Files.deleteIfExists(leftover);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Cleaning is a courtesy; the write itself must not fail for it.
        }
    }

    public static void writeString(Path target, boolean overwrite, String content) throws IOException {
        write(target, overwrite, t -> Files.writeString(t, content));
    }

    /**
     * Writes JSON that any parser accepts: a number that is not finite (a NaN score, an infinite distance) is left
     * out of its object (null in an array), instead of written as a bare NaN, which JSON has not.
     */
    public static void writeJson(Path target, boolean overwrite, JsonElement json) throws IOException {
        writeString(target, overwrite, new GsonBuilder().setPrettyPrinting().create()
                .toJson(finite(json)));
    }

    /** A copy of {@code json} with every non-finite number replaced by null. */
    public static JsonElement finite(JsonElement json) {
        if (json.isJsonPrimitive() && json.getAsJsonPrimitive().isNumber()) {
            double v = json.getAsDouble();
            return Double.isFinite(v) ? json : JsonNull.INSTANCE;
        }
        if (json.isJsonArray()) {
            JsonArray out = new JsonArray();
            json.getAsJsonArray().forEach(e -> out.add(finite(e)));
            return out;
        }
        if (json.isJsonObject()) {
            JsonObject out = new JsonObject();
            json.getAsJsonObject().entrySet().forEach(e -> out.add(e.getKey(), finite(e.getValue())));
            return out;
        }
        return json;
    }

    /** Fails, naming the first one, if any of the targets exists. */
    public static void requireAbsent(Path... targets) throws FileAlreadyExistsException {
        for (Path t : targets) {
            if (Files.exists(t)) {
                throw new FileAlreadyExistsException(t.toAbsolutePath().toString(), null,
                        "exists already; choose another output name or allow overwriting (--overwrite)");
            }
        }
    }
}
