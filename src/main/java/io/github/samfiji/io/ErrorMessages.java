package io.github.samfiji.io;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;

/**
 * The one way sam-fiji turns a failure into words for a user, shared by the command line and the Fiji commands:
 * one line, at most a few hundred characters, no Java class names; out-of-memory with advice; Java runtime failures
 * called what they are (a problem to report) rather than shown as they are.
 */
public final class ErrorMessages {

    static final int LIMIT = 400;

    private ErrorMessages() {
    }

    public static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) {
            String reason = n.getReason();
            return reason != null ? n.getFile() + ": " + reason : "file not found: " + n.getFile();
        }
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " " + (f.getReason() != null ? f.getReason() : "exists already");
        }
        if (e instanceof OutOfMemoryError) {
            return String.format(Locale.ROOT, "out of memory (the Java heap is %.1f GB): use a smaller image or tile "
                    + "it, or give Java more memory (SAMFIJI_JAVA_OPTS=-Xmx12g; Fiji: Edit > Options > Memory)",
                    Runtime.getRuntime().maxMemory() / (1024.0 * 1024 * 1024));
        }
        if (e instanceof StackOverflowError) {
            return "an input is nested too deeply to read (a damaged or hostile file?)";
        }
        String message = e.getMessage();
        if (message == null || message.isBlank() || isInternal(e)) {
            return "unexpected internal problem" + (message == null || message.isBlank() ? "" : " ("
                    + shorten(message, 120) + ")") + "; run again with --debug (Fiji: see the Console) and report it";
        }
        return shorten(message.replace('\n', ' ').replace('\r', ' '), LIMIT);
    }

    /** Runtime exceptions that mean a bug or an unchecked input rather than a problem already explained. */
    private static boolean isInternal(Throwable e) {
        return e instanceof NullPointerException || e instanceof IndexOutOfBoundsException
                || e instanceof ArithmeticException || e instanceof ClassCastException
                || e instanceof NegativeArraySizeException || e instanceof ArrayStoreException;
    }

    private static String shorten(String text, int limit) {
        return text.length() <= limit ? text : text.substring(0, limit) + "...";
    }
}
