package io.github.samfiji.ij;

import ij.ImageListener;
import ij.ImagePlus;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Embedding;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.PromptPredictor;
import io.github.samfiji.inference.SamPromptPredictor;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.inference.StackEmbeddings;
import io.github.samfiji.io.Progress;
import io.github.samfiji.model.SamModel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The loaded model's embeddings of the open images, one {@link StackEmbeddings} per image (its current channel and
 * frame), shared by every Fiji command: a slice encoded when it was prompted is not encoded again to propagate, to
 * evaluate or to prompt it again. A plane's input uses its volume's intensity range ({@link StackSlices}). When
 * ImageJ reports that an image changed, its slices are checked against their pixels on next use and re-encoded only
 * if they changed; embeddings of closed images are freed, and those of the least recently used images beyond
 * {@link #IMAGES} too.
 */
public final class EmbeddingCache implements ImageListener {

    /** Images whose embeddings are kept (the current one and the ones before it). */
    public static final int IMAGES = 3;

    private record Key(int imageId, int channel, int frame) {
    }

    private final PromptPredictor predictor;
    private final java.util.function.Supplier<String> modelKey;
    private final LinkedHashMap<Key, StackEmbeddings> stacks = new LinkedHashMap<>(8, 0.75f, true);
    /** Each open image's planes with their volume intensity range, recomputed after the image changes. */
    // Not guarded by this cache's lock: a store reading a slice must not wait for a thread that holds this lock while
    // it waits for that store (imageUpdated, stack()), or the two would deadlock.
    private final Map<Key, StackSlices> volumes = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param modelKey identifies the model for the disk cache ({@link io.github.samfiji.checkpoint.ModelIdentity});
     *                 asked for only when a cache folder is used
     */
    EmbeddingCache(PromptPredictor predictor, java.util.function.Supplier<String> modelKey) {
        this.predictor = predictor;
        this.modelKey = modelKey;
        ImagePlus.addImageListener(this);
    }

    EmbeddingCache(SamModel model, java.util.function.Supplier<String> modelKey) {
        this(PromptPredictor.of(new SamPredictor(model)), modelKey);
    }

    EmbeddingCache(SamModel model, String modelKey) {
        this(model, () -> modelKey);
    }

    EmbeddingCache(SamModel model) {
        this(model, "");
    }

    /** The SAM 1 predictor, for jobs that run SAM 1 models only. */
    public SamPredictor predictor() {
        if (predictor instanceof SamPromptPredictor sam1) {
            return sam1.samPredictor();
        }
        throw new IllegalArgumentException("this command runs SAM/MobileSAM/MedSAM models, not SAM 2.1");
    }

    /** The loaded model's predictor, of either family. */
    public PromptPredictor promptPredictor() {
        return predictor;
    }

    /** The SAM 1 embedding of a plane (1-based stack index), encoding it if needed; owned by this cache. */
    public ImageEmbedding get(ImagePlus image, int stackIndex, Progress progress) {
        Embedding e = embedding(image, stackIndex, progress);
        if (e instanceof ImageEmbedding sam1) {
            return sam1;
        }
        throw new IllegalArgumentException("this command runs SAM/MobileSAM/MedSAM models, not SAM 2.1");
    }

    /** The embedding of a plane (1-based stack index) for the loaded model, encoding it if needed; owned by this cache. */
    public Embedding embedding(ImagePlus image, int stackIndex, Progress progress) {
        StackEmbeddings stack;
        int z;
        synchronized (this) {
            stack = stack(image, null);
            z = planes(image).planeOf(stackIndex);
        }
        if (z < 0) {
            throw new IllegalArgumentException("stack position " + stackIndex + " is not a slice of the current "
                    + "channel and frame of " + image.getTitle());
        }
        return stack.embedding(z, progress);
    }

    /**
     * The slice embeddings of the image's current channel and frame; with a folder they also persist on disk, where
     * the command line finds them too.
     */
    public synchronized StackEmbeddings stack(ImagePlus image, Path diskCache) {
        Key key = key(image);
        StackEmbeddings stack = stacks.get(key);
        int depth = planes(image).depth();
        if (stack == null || stack.depth() != depth) {
            if (stack != null) {
                stack.close();
            }
            // Slices are read through the current planes, so an edit that changes the volume's range is seen.
            stack = new StackEmbeddings(predictor, z -> currentSlice(key, image, z), depth, diskCache, modelKey);
            stacks.put(key, stack);
            Iterator<Map.Entry<Key, StackEmbeddings>> oldest = stacks.entrySet().iterator();
            while (stacks.size() > IMAGES) {
                Map.Entry<Key, StackEmbeddings> e = oldest.next();
                e.getValue().close();
                volumes.remove(e.getKey());
                oldest.remove();
            }
        }
        stack.useDiskCache(diskCache);
        return stack;
    }

    private Rgb8Image currentSlice(Key key, ImagePlus image, int z) {
        return volumes.computeIfAbsent(key, k -> StackSlices.of(image)).slice(z);
    }

    /** The model input of a plane: the same as propagation and automatic segmentation give that plane. */
    synchronized Rgb8Image input(ImagePlus image, int stackIndex) {
        return planes(image).planeInput(stackIndex);
    }

    private StackSlices planes(ImagePlus image) {
        return volumes.computeIfAbsent(key(image), k -> StackSlices.of(image));
    }

    private static Key key(ImagePlus image) {
        return new Key(image.getID(), image.getNChannels() > 1 ? image.getChannel() : 1,
                image.getNFrames() > 1 ? image.getFrame() : 1);
    }

    public synchronized void clear() {
        volumes.clear();
        stacks.values().forEach(StackEmbeddings::close);
        stacks.clear();
        ImagePlus.removeImageListener(this);
    }

    @Override
    public synchronized void imageClosed(ImagePlus image) {
        volumes.keySet().removeIf(k -> k.imageId() == image.getID());
        stacks.entrySet().removeIf(e -> {
            if (e.getKey().imageId() == image.getID()) {
                e.getValue().close();
                return true;
            }
            return false;
        });
    }

    @Override
    public void imageOpened(ImagePlus image) {
    }

    @Override
    public synchronized void imageUpdated(ImagePlus image) {
        // Pixels may have changed, and with them the volume's range: recompute the planes, re-check the slices.
        volumes.keySet().removeIf(k -> k.imageId() == image.getID());
        stacks.forEach((k, s) -> {
            if (k.imageId() == image.getID()) {
                s.invalidate();
            }
        });
    }
}
