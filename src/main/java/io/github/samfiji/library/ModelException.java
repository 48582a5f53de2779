package io.github.samfiji.library;

import java.io.IOException;

/** A model could not be downloaded or installed; the message says why and what to do. */
public class ModelException extends IOException {

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
