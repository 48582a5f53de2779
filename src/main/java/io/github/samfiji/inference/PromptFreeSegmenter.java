package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import io.github.samfiji.image.Rgb8Image;
import java.util.List;

/**
 * Semantic segmentation with a model fine-tuned for prompt-free use: one decoder pass with no points, box or mask
 * per image (or per tile of a large image, the logits of overlapping tiles averaged). For a model that was not
 * fine-tuned this way the result is meaningless, as SAM was never trained for empty prompts.
 */
public final class PromptFreeSegmenter {

    private final PromptPredictor predictor;
    private final int tileSize;
    private final int tileOverlap;

    /** @param tileSize tile side in pixels, 0 = the whole image at once */
    public PromptFreeSegmenter(SamPredictor predictor, int tileSize, int tileOverlap) {
        this(PromptPredictor.of(predictor), tileSize, tileOverlap);
    }

    /** A segmenter for a model of either family. */
    public PromptFreeSegmenter(PromptPredictor predictor, int tileSize, int tileOverlap) {
        this.predictor = predictor;
        this.tileSize = tileSize;
        this.tileOverlap = tileOverlap;
    }

    /** Logits at the image's size (positive = foreground). */
    public float[] logits(Rgb8Image image, Progress progress) {
        return logits(image, null, progress);
    }

    /**
     * As {@link #logits(Rgb8Image, Progress)}; {@code wholeImage} (may be null) gives the image's embedding from an
     * embedding store, owned by the store, used when the image is one tile.
     */
    public float[] logits(Rgb8Image image, java.util.function.Function<Progress, ? extends Embedding> wholeImage,
                          Progress progress) {
        int w = image.width();
        int h = image.height();
        AmgSettings tiling = AmgSettings.defaults().tileSize(tileSize).tileOverlap(tileOverlap);
        List<AutomaticMaskGenerator.Crop> tiles = AutomaticMaskGenerator.crops(w, h, tiling);
        float[] sum = new float[w * h];
        int[] count = new int[w * h];
        for (int t = 0; t < tiles.size(); t++) {
            progress.checkCancelled();
            AutomaticMaskGenerator.Crop tile = tiles.get(t);
            Rgb8Image part = tiles.size() == 1 ? image : AutomaticMaskGenerator.cut(image, tile);
            boolean stored = tiles.size() == 1 && wholeImage != null;
            Progress step = Progress.scaled(progress, t / (double) tiles.size(), 1.0 / tiles.size());
            Embedding e = stored ? wholeImage.apply(step) : predictor.encode(part, step);
            try {
                float[] l = predictor.predictWithoutPrompt(e, false).logits()[0];
                int tw = tile.x1() - tile.x0();
                for (int y = tile.y0(); y < tile.y1(); y++) {
                    for (int x = tile.x0(); x < tile.x1(); x++) {
                        sum[y * w + x] += l[(y - tile.y0()) * tw + (x - tile.x0())];
                        count[y * w + x]++;
                    }
                }
            } finally {
                if (!stored) {
                    e.close();
                }
            }
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= count[i];
        }
        return sum;
    }

    public boolean[] mask(Rgb8Image image, Progress progress) {
        float[] l = logits(image, progress);
        boolean[] m = new boolean[l.length];
        for (int i = 0; i < l.length; i++) {
            m[i] = l[i] > Prediction.MASK_THRESHOLD;
        }
        return m;
    }
}
