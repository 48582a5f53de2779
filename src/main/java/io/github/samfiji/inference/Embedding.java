package io.github.samfiji.inference;

/**
 * An image's encoder output for one model family (SAM 1 {@link ImageEmbedding}, SAM 2.1
 * {@code sam2.Sam2ImageEmbedding}): what every prompt on that image shares, so prompts cost only the decoder. It owns
 * native memory until closed; only the {@link PromptPredictor} of its family can decode it.
 */
public interface Embedding extends AutoCloseable {

    int originalWidth();

    int originalHeight();

    /** Milliseconds the encoder took (0 for an embedding read from a cache). */
    double encodeMillis();

    /** Whether {@link #close()} was called (its arrays are freed). */
    boolean isClosed();

    @Override
    void close();
}
