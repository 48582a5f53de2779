package io.github.samfiji.evaluation;

/**
 * Bad input to an evaluation: images that do not match in size, labels that are not integers, a requested label
 * that cannot exist, folders with nothing in common. The message is written for the user and says what to change.
 */
public class EvaluationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EvaluationException(String message) {
        super(message);
    }

    public EvaluationException(String message, Throwable cause) {
        super(message, cause);
    }
}
