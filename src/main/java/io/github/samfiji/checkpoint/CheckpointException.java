package io.github.samfiji.checkpoint;

import java.io.IOException;

/** A model file that cannot be used, with a message that says what is wrong and what to do. */
public class CheckpointException extends IOException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
