package io.github.samfiji.cli;

import io.github.samfiji.io.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/** Progress as a console line on the error stream, at most one a second (and the last one). */
final class ConsoleProgress implements Progress {

    private final PrintWriter err;
    private long last;
    private String lastMessage = "";

    ConsoleProgress(PrintWriter err) {
        this.err = err;
    }

    /** On {@code System.err}. */
    ConsoleProgress() {
        this(new PrintWriter(System.err, true));
    }

    @Override
    public void update(double fraction, String message) {
        long now = System.currentTimeMillis();
        boolean phaseChanged = !firstWord(message).equals(firstWord(lastMessage));
        if (now - last >= 1000 || fraction >= 1 || phaseChanged) {
            err.printf(Locale.ROOT, "%s (%.0f%%)%n", message, 100 * fraction);
            err.flush();
            last = now;
            lastMessage = message;
        }
    }

    private static String firstWord(String s) {
        int space = s.indexOf(' ');
        return space < 0 ? s : s.substring(0, space);
    }

    @Override
    public boolean isCancelled() {
        return false; // Ctrl-C ends the program; a download's partial file is kept and resumed next time
    }
}
