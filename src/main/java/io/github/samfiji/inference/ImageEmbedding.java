package io.github.samfiji.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The encoder output for one image (or slice), kept so that any number of prompts cost only the decoder.
 * Holds native memory: close it when the image is done with.
 */
public final class ImageEmbedding implements Embedding {

    private final NDManager manager;
    private final NDArray features;
    private final int originalWidth;
    private final int originalHeight;
    private final int inputWidth;
    private final int inputHeight;
    private final double encodeMillis;

    ImageEmbedding(NDManager manager, NDArray features, int originalWidth, int originalHeight, int inputWidth,
                   int inputHeight, double encodeMillis) {
        this.manager = manager;
        this.features = features;
        this.originalWidth = originalWidth;
        this.originalHeight = originalHeight;
        this.inputWidth = inputWidth;
        this.inputHeight = inputHeight;
        this.encodeMillis = encodeMillis;
    }

    /** Rebuilds an embedding from stored features (the on-disk cache), owned by a new sub-manager of the model's. */
    static ImageEmbedding restore(ai.djl.ndarray.NDManager parent, float[] features, long[] shape, int originalWidth,
                                  int originalHeight, int inputWidth, int inputHeight) {
        NDManager owner = parent.newSubManager();
        NDArray array = io.github.samfiji.model.Ops.constant(owner, features, new ai.djl.ndarray.types.Shape(shape));
        return new ImageEmbedding(owner, array, originalWidth, originalHeight, inputWidth, inputHeight, 0);
    }

    NDArray features() {
        if (features.isReleased()) {
            throw new IllegalStateException("this image embedding was closed");
        }
        return features;
    }

    /** The manager that owns this embedding's arrays; what it owns is freed when the embedding is closed. */
    NDManager manager() {
        return manager;
    }

    @Override
    public boolean isClosed() {
        return features.isReleased();
    }

    public float[] toFloatArray() {
        return features().toFloatArray();
    }

    public long[] shape() {
        return features().getShape().getShape();
    }

    public int originalWidth() {
        return originalWidth;
    }

    public int originalHeight() {
        return originalHeight;
    }

    /** Size of the resized image inside the padded encoder input. */
    public int inputWidth() {
        return inputWidth;
    }

    public int inputHeight() {
        return inputHeight;
    }

    public double encodeMillis() {
        return encodeMillis;
    }

    @Override
    public void close() {
        manager.close();
    }
}
