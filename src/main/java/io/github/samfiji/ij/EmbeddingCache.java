package io.github.samfiji.ij;

import ij.ImageListener;
import ij.ImagePlus;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.io.Progress;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.SamModel;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import io.github.samfiji.imagejio.StackSlices;

/**
 * One encode per image plane: embeddings are kept (least recently used first out) so that re-prompting a slice
 * costs only the decoder. A plane's input uses its volume's intensity range ({@link StackSlices}). The key includes a hash of the plane's SAM input, so edited pixels are re-encoded;
 * embeddings of closed images are freed.
 */
public final class EmbeddingCache implements ImageListener {

    /** Embeddings kept at most (a ViT embedding is 4 MB). */
    public static final int CAPACITY = 64;

    private record Key(int imageId, int stackIndex, int contentHash) {
    }

    private final SamPredictor predictor;
    private final LinkedHashMap<Key, ImageEmbedding> entries = new LinkedHashMap<>(16, 0.75f, true);
    /** Each open image's planes with their volume intensity range, recomputed after the image changes. */
    private final Map<Integer, StackSlices> volumes = new java.util.HashMap<>();

    EmbeddingCache(SamModel model) {
        this.predictor = new SamPredictor(model);
        ImagePlus.addImageListener(this);
    }

    public SamPredictor predictor() {
        return predictor;
    }

    /** The embedding of a plane (1-based stack index), encoding it if needed. */
    public ImageEmbedding get(ImagePlus image, int stackIndex, Progress progress) {
        Rgb8Image rgb = input(image, stackIndex);
        Key key = new Key(image.getID(), stackIndex, Arrays.hashCode(rgb.toBytes()));
        synchronized (this) {
            ImageEmbedding cached = entries.get(key);
            if (cached != null) {
                return cached;
            }
        }
        ImageEmbedding fresh = predictor.encode(rgb, progress);
        synchronized (this) {
            entries.put(key, fresh);
            while (entries.size() > CAPACITY) {
                Iterator<Map.Entry<Key, ImageEmbedding>> oldest = entries.entrySet().iterator();
                oldest.next().getValue().close();
                oldest.remove();
            }
        }
        return fresh;
    }



    /** The model input of a plane: the same as propagation and automatic segmentation give that plane. */
    synchronized Rgb8Image input(ImagePlus image, int stackIndex) {
        StackSlices planes = volumes.get(image.getID());
        if (planes == null || planes.planeOf(stackIndex) < 0) {
            // First use, an edit, or another channel or frame of a hyperstack.
            planes = StackSlices.of(image);
            volumes.put(image.getID(), planes);
        }
        return planes.planeInput(stackIndex);
    }

    public synchronized void clear() {
        volumes.clear();
        entries.values().forEach(ImageEmbedding::close);
        entries.clear();
        ImagePlus.removeImageListener(this);
    }

    @Override
    public synchronized void imageClosed(ImagePlus image) {
        volumes.remove(image.getID());
        entries.entrySet().removeIf(e -> {
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
        volumes.remove(image.getID()); // pixels may have changed, and with them the volume's range
    }
}
