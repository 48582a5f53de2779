package io.github.samfiji.ij;

import ij.ImageListener;
import ij.ImagePlus;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.image.IntensityMapping;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.Progress;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.SamModel;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One encode per image plane: embeddings are kept (least recently used first out) so that re-prompting a slice
 * costs only the decoder. The key includes a hash of the plane's SAM input, so edited pixels are re-encoded;
 * embeddings of closed images are freed.
 */
public final class EmbeddingCache implements ImageListener {

    /** Embeddings kept at most (a ViT embedding is 4 MB). */
    public static final int CAPACITY = 64;

    private record Key(int imageId, int stackIndex, int contentHash) {
    }

    private final SamPredictor predictor;
    private final LinkedHashMap<Key, ImageEmbedding> entries = new LinkedHashMap<>(16, 0.75f, true);

    EmbeddingCache(SamModel model) {
        this.predictor = new SamPredictor(model);
        ImagePlus.addImageListener(this);
    }

    public SamPredictor predictor() {
        return predictor;
    }

    /** The embedding of a plane (1-based stack index), encoding it if needed. */
    public ImageEmbedding get(ImagePlus image, int stackIndex, Progress progress) {
        Rgb8Image rgb = ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, stackIndex), IntensityMapping.automatic());
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



    public synchronized void clear() {
        entries.values().forEach(ImageEmbedding::close);
        entries.clear();
        ImagePlus.removeImageListener(this);
    }

    @Override
    public synchronized void imageClosed(ImagePlus image) {
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
    public void imageUpdated(ImagePlus image) {
    }
}
