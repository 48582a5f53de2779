package io.github.samfiji.io;

import java.util.concurrent.CancellationException;

/**
 * Receives progress of long work (encoding, stacks, batches) and can cancel it. The ImageJ layer maps it to the
 * progress bar and the Escape key, the command line to a console line.
 */
public interface Progress {

    Progress NONE = new Progress() {
        @Override
        public void update(double fraction, String message) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }
    };

    /** @param fraction 0..1 of the work done */
    void update(double fraction, String message);

    boolean isCancelled();

    /** Throws {@link CancellationException} if the user asked to stop; long loops call it between steps. */
    default void checkCancelled() {
        if (isCancelled()) {
            throw new CancellationException("cancelled by the user");
        }
    }

    /** A view that maps this task's 0..1 onto {@code [base, base + span]} of {@code whole}, for steps of a larger job. */
    static Progress scaled(Progress whole, double base, double span) {
        return new Progress() {
            @Override
            public void update(double fraction, String message) {
                whole.update(base + span * Math.max(0, Math.min(1, fraction)), message);
            }

            @Override
            public boolean isCancelled() {
                return whole.isCancelled();
            }
        };
    }
}
