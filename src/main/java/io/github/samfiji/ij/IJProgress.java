package io.github.samfiji.ij;

import ij.IJ;
import io.github.samfiji.io.Progress;

/** Progress shown on ImageJ's status line and progress bar (a console line when headless); Escape cancels. */
public final class IJProgress implements Progress {

    private final String task;
    private long lastConsole;

    public IJProgress(String task) {
        this.task = task;
    }

    @Override
    public void update(double fraction, String message) {
        String text = "SAM " + task + ": " + message;
        if (java.awt.GraphicsEnvironment.isHeadless()) {
            long now = System.currentTimeMillis();
            if (now - lastConsole > 1000 || fraction >= 1) {
                System.err.printf("%s (%.0f%%)%n", text, 100 * fraction);
                lastConsole = now;
            }
        } else {
            IJ.showStatus(text + " (press Esc to cancel)");
            IJ.showProgress(fraction);
        }
    }

    @Override
    public boolean isCancelled() {
        return IJ.escapePressed();
    }

    public void done() {
        IJ.showProgress(1.0);
        IJ.showStatus("");
    }
}
