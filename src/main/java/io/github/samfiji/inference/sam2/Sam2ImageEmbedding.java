package io.github.samfiji.inference.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * The SAM 2 encoder's output for one image, kept so that any number of prompts cost only the decoder: the
 * stride-16 image embedding and the two projected high-resolution feature maps. It owns their native memory (one
 * manager, closed by {@link #close()}); using it after closing throws.
 */
public final class Sam2ImageEmbedding implements io.github.samfiji.inference.Embedding {

    private final NDManager manager;
    private final NDArray highRes0;
    private final NDArray highRes1;
    /** The encoder's stride-16 level as the tracker reads it (no no-memory embedding). */
    private final NDArray level2;
    private final NDArray imageEmbed;
    private final int originalWidth;
    private final int originalHeight;
    private final double encodeMillis;

    /**
     * Takes ownership of {@code features} (high_res_feats0, high_res_feats1, the stride-16 level, image_embed = that
     * level plus the no-memory embedding), which are moved into {@code manager}; the embedding closes that manager.
     */
    Sam2ImageEmbedding(NDManager manager, NDList features, int originalWidth, int originalHeight, double encodeMillis) {
        if (features.size() != 4) {
            throw new IllegalArgumentException("expected 4 feature maps, got " + features.size());
        }
        features.attach(manager);
        this.manager = manager;
        this.highRes0 = features.get(0);
        this.highRes1 = features.get(1);
        this.level2 = features.get(2);
        this.imageEmbed = features.get(3);
        this.originalWidth = originalWidth;
        this.originalHeight = originalHeight;
        this.encodeMillis = encodeMillis;
    }

    private NDArray live(NDArray a) {
        if (a.isReleased()) {
            throw new IllegalStateException("this SAM 2 image embedding was closed");
        }
        return a;
    }

    /** (1, C, S/16, S/16), with the no-memory embedding added. */
    NDArray imageEmbed() {
        return live(imageEmbed);
    }

    /** (1, C/8, S/4, S/4). */
    NDArray highRes0() {
        return live(highRes0);
    }

    /** (1, C/4, S/8, S/8). */
    NDArray highRes1() {
        return live(highRes1);
    }

    @Override
    public boolean isClosed() {
        return imageEmbed.isReleased();
    }

    /**
     * What the tracker reads of a slice (high_res_feats0, high_res_feats1, the stride-16 level without the no-memory
     * embedding), so a slice prompted in the image predictor is not encoded again to track it. Owned by this
     * embedding.
     */
    NDList frameFeatures() {
        return new NDList(highRes0(), highRes1(), live(level2));
    }

    public float[] imageEmbedValues() {
        return imageEmbed().toFloatArray();
    }

    public int originalWidth() {
        return originalWidth;
    }

    public int originalHeight() {
        return originalHeight;
    }

    public double encodeMillis() {
        return encodeMillis;
    }

    @Override
    public void close() {
        manager.close();
    }
}
