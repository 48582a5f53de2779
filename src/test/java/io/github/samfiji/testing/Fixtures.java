package io.github.samfiji.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

/**
 * Locates the shared reference material ({@code ../shared} beside the repository, or the folder named by the
 * system property / environment variable {@code samfiji.shared} / {@code SAMFIJI_SHARED}). Tests that need it
 * are skipped with a message when it is absent, so the suite still runs on a bare clone.
 */
public final class Fixtures {

    private Fixtures() {
    }

    /**
     * The shared folder when it is there. {@code -Dsamfiji.shared=none} (or {@code SAMFIJI_SHARED=none}) hides it, so
     * that a run proves the suite passes on a bare clone.
     */
    public static Optional<Path> sharedFolder() {
        String configured = System.getProperty("samfiji.shared", System.getenv("SAMFIJI_SHARED"));
        if (configured != null && (configured.isBlank() || configured.equalsIgnoreCase("none"))) {
            return Optional.empty();
        }
        Path dir = configured != null ? Paths.get(configured) : Paths.get("..", "shared");
        return Files.isDirectory(dir.resolve("fixtures")) ? Optional.of(dir) : Optional.empty();
    }

    static String absenceMessage() {
        String configured = System.getProperty("samfiji.shared", System.getenv("SAMFIJI_SHARED"));
        String where = configured != null ? configured : Paths.get("..", "shared").toAbsolutePath().normalize().toString();
        return "shared reference folder not found at " + where + " (set -Dsamfiji.shared=...); skipping";
    }

    /** The shared folder; a test that reaches here without it is skipped (mark it {@link NeedsSharedData}). */
    public static Path shared() {
        Optional<Path> dir = sharedFolder();
        assumeTrue(dir.isPresent(), Fixtures::absenceMessage);
        return dir.get();
    }

    /** A fixture set folder, e.g. {@code sam_tiny} or {@code mobile_sam_tiny}. */
    public static Path set(String name) {
        Path dir = shared().resolve("fixtures").resolve(name);
        assumeTrue(Files.isDirectory(dir), "fixture set missing: " + dir);
        return dir;
    }

    public static Path data(String name) {
        Path dir = shared().resolve("data").resolve(name);
        assumeTrue(Files.isDirectory(dir), "data set missing: " + dir);
        return dir;
    }

    public static Npy npy(String set, String array) {
        try {
            return Npy.read(set(set).resolve(array + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
