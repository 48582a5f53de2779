package io.github.samfiji.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A weights file that cannot be used, with a message meant for the person who picked the file: which file,
 * what is wrong with it and, where there is something to do about it, what.
 */
public class CheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public CheckpointException(String message) {
        this(null, message, null);
    }

    public CheckpointException(String message, Throwable cause) {
        this(null, message, cause);
    }

    public CheckpointException(Path file, String message) {
        this(file, message, null);
    }

    /** {@code message} should name the file itself (see {@link #describe(Path)}). */
    public CheckpointException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file concerned, or {@code null} when the problem is not tied to one file. */
    public Path file() {
        return file;
    }

    /** How messages name a file: its name in quotes and the folder it sits in. */
    static String describe(Path file) {
        if (file == null) {
            return "the checkpoint";
        }
        Path name = file.getFileName();
        Path parent = file.toAbsolutePath().getParent();
        return "'" + (name == null ? file : name) + "'" + (parent == null ? "" : " (in " + parent + ")");
    }

    /** Text from a file, cut to a length that fits a message (names, keys and values can be megabytes). */
    static String brief(String text) {
        int limit = 80;
        return text.length() <= limit ? text : text.substring(0, limit) + "... (" + text.length() + " characters)";
    }

    static CheckpointException damaged(Path file, String detail, Throwable cause) {
        return new CheckpointException(file, describe(file) + " is truncated or damaged (" + detail
                + "). Download or copy the file again.", cause);
    }
}
