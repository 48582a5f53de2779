package io.github.samfiji.cli;

import io.github.samfiji.inference.Progress;
import java.io.PrintStream;
import java.util.Locale;

/** A progress line on the console (stderr), rewritten in place at most a few times a second. */
final class ConsoleProgress implements Progress {

    private static final long INTERVAL_NANOS = 250_000_000L;
    private final PrintStream out;
    private long last;
    private int lastLength;

    ConsoleProgress(PrintStream out) {
        this.out = out;
    }

    ConsoleProgress() {
        this(System.err);
    }

    @Override
    public void update(double fraction, String message) {
        long now = System.nanoTime();
        if (fraction < 1 && now - last < INTERVAL_NANOS) {
            return;
        }
        last = now;
        String line = String.format(Locale.ROOT, "[%3.0f%%] %s", 100 * fraction, message);
        out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        lastLength = line.length();
        if (fraction >= 1) {
            out.println();
            lastLength = 0;
        }
        out.flush();
    }

    @Override
    public boolean isCancelled() {
        return false;
    }
}
