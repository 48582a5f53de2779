package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import io.github.samfiji.image.Rgb8Image;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * SAM's "segment everything": a grid of single-point prompts is decoded in batches against the image embedding;
 * each point gives three candidate masks, kept when their predicted IoU and stability score pass the thresholds;
 * duplicates are removed by box non-maximum suppression. Optional crop layers (or tiles, for large images) run
 * the same on overlapping parts of the image at full detail, dropping masks cut by a crop border, and merge the
 * parts, preferring masks from smaller crops. Finally small islands and holes may be cleaned away. The result is
 * deterministic for a model, image and settings.
 */
public final class AutomaticMaskGenerator {

    /** A mask box within this many pixels of a crop border (that is not the image border) is cut by the crop. */
    private static final int CROP_EDGE_TOLERANCE = 20;

    /** A part of the image processed on its own: pixels [x0, x1) x [y0, y1), its crop layer. */
    public record Crop(int x0, int y0, int x1, int y1, int layer) {
        int width() {
            return x1 - x0;
        }

        int height() {
            return y1 - y0;
        }
    }

    /** The objects, largest first, and what it took. */
    public record Result(List<InstanceMask> masks, int crops, int pointsDecoded, double encodeMillis,
                         double decodeMillis) {
    }

    private final PromptPredictor predictor;
    private final AmgSettings settings;

    public AutomaticMaskGenerator(SamPredictor predictor, AmgSettings settings) {
        this(PromptPredictor.of(predictor), settings);
    }

    /** A generator for a model of either family (its family's reference defaults: {@link PromptPredictor#amgDefaults}). */
    public AutomaticMaskGenerator(PromptPredictor predictor, AmgSettings settings) {
        this.predictor = predictor;
        this.settings = settings;
    }

    public Result generate(Rgb8Image image, Progress progress) {
        return generate(image, null, progress);
    }

    /**
     * As {@link #generate(Rgb8Image, Progress)}; {@code wholeImage} (may be null) gives the image's embedding from an
     * embedding store, owned by the store (not closed here), for the crop that is the whole image.
     */
    public Result generate(Rgb8Image image, java.util.function.Function<Progress, ? extends Embedding> wholeImage,
                           Progress progress) {
        int w = image.width();
        int h = image.height();
        List<Crop> crops = crops(w, h, settings);
        List<InstanceMask> all = new ArrayList<>();
        List<Double> cropScores = new ArrayList<>();
        double encodeMs = 0;
        double decodeMs = 0;
        int decoded = 0;
        int perBatch = settings.pointsPerBatch(predictor.onGpu());
        for (int c = 0; c < crops.size(); c++) {
            Crop crop = crops.get(c);
            double base = c / (double) crops.size();
            double span = 1.0 / crops.size();
            boolean whole = crop.width() == w && crop.height() == h;
            Rgb8Image part = whole ? image : cut(image, crop);
            long t0 = System.nanoTime();
            boolean stored = whole && wholeImage != null;
            Embedding embedding = stored ? wholeImage.apply(Progress.scaled(progress, base, span / 2))
                    : predictor.encode(part, Progress.scaled(progress, base, span / 2));
            try {
                encodeMs += (System.nanoTime() - t0) / 1e6;
                long t1 = System.nanoTime();
                double[] points = pointGrid(crop, pointsFor(crop.layer()));
                List<InstanceMask> inCrop = new ArrayList<>();
                int n = points.length / 2;
                for (int start = 0; start < n; start += perBatch) {
                    progress.checkCancelled();
                    progress.update(base + span / 2 + span / 2 * start / n,
                            String.format("segment everything: points %d-%d of %d%s", start + 1,
                                    Math.min(n, start + perBatch), n,
                                    crops.size() > 1 ? " (part " + (c + 1) + " of " + crops.size() + ")" : ""));
                    int end = Math.min(n, start + perBatch);
                    double[] batch = java.util.Arrays.copyOfRange(points, 2 * start, 2 * end);
                    inCrop.addAll(processBatch(embedding, batch, crop, w, h));
                    decoded += end - start;
                }
                double[] scores = inCrop.stream().mapToDouble(InstanceMask::predictedIou).toArray();
                for (InstanceMask m : nonMaximumSuppression(inCrop, scores, settings.boxNmsThresh)) {
                    all.add(m);
                    cropScores.add(1.0 / ((double) crop.width() * crop.height()));
                }
                decodeMs += (System.nanoTime() - t1) / 1e6;
            } finally {
                if (!stored) {
                    embedding.close();
                }
            }
        }
        List<InstanceMask> merged = all;
        if (crops.size() > 1) {
            merged = nonMaximumSuppression(all, cropScores.stream().mapToDouble(Double::doubleValue).toArray(),
                    settings.cropNmsThresh);
        }
        if (settings.minMaskRegionArea > 0) {
            merged = removeSmallRegions(merged, w, h);
        }
        List<InstanceMask> sorted = new ArrayList<>(merged);
        sorted.sort(Comparator.comparingLong(InstanceMask::area).reversed());
        progress.update(1, "segment everything: " + sorted.size() + " objects");
        return new Result(List.copyOf(sorted), crops.size(), decoded, encodeMs, decodeMs);
    }

    private int pointsFor(int layer) {
        return Math.max(1, (int) (settings.pointsPerSide / Math.pow(settings.cropNPointsDownscaleFactor, layer)));
    }

    /**
     * Decodes a batch of grid points in one crop and keeps the candidates that pass the filters. Predicted IoU is
     * checked first, before any upscaling (points with no candidate above it get no mask logits); stability, area and box come from the low-resolution logits without a full-size upscale
     * ({@link LogitUpscaler#summarize}), and only the candidates that pass get their mask, inside its box.
     */
    private List<InstanceMask> processBatch(Embedding embedding, double[] points, Crop crop, int imageW, int imageH) {
        SamPredictor.PointBatch batch = predictor.decodeSinglePoints(embedding, points, true, settings.predIouThresh);
        LogitUpscaler upscaler = predictor.logitUpscaler(embedding);
        int low = batch.lowResSize() * batch.lowResSize();
        float threshold = Prediction.MASK_THRESHOLD;
        List<InstanceMask> kept = new ArrayList<>();
        for (int k = 0; k < batch.iou().length; k++) {
            if (settings.predIouThresh > 0 && !(batch.iou()[k] > settings.predIouThresh)) {
                continue;
            }
            float[] lowRes = java.util.Arrays.copyOfRange(batch.lowRes(), k * low, (k + 1) * low);
            LogitUpscaler.Summary s = upscaler.summarize(lowRes, threshold, (float) settings.stabilityScoreOffset);
            double stability = s.aboveLow() == 0 ? 0 : (double) s.aboveHigh() / s.aboveLow();
            if (settings.stabilityScoreThresh > 0 && !(stability >= settings.stabilityScoreThresh)) {
                continue;
            }
            if (s.area() == 0) {
                continue;
            }
            boolean[] bits = upscaler.maskInBox(lowRes, threshold, s.x0(), s.y0(), s.x1(), s.y1());
            int point = k / batch.masksPerPoint();
            InstanceMask placed = new InstanceMask(s.x0() + crop.x0(), s.y0() + crop.y0(), s.x1() - s.x0() + 1,
                    s.y1() - s.y0() + 1, bits, s.area(), batch.iou()[k], stability, points[2 * point] + crop.x0(),
                    points[2 * point + 1] + crop.y0());
            if (!cutByCrop(placed, crop, imageW, imageH)) {
                kept.add(placed);
            }
        }
        return kept;
    }

    /**
     * IoU of the mask thresholded at {@code threshold + offset} and at {@code threshold - offset}: the former lies
     * inside the latter, so this is a count ratio. 0 when even the looser mask is empty.
     */
    public static double stabilityScore(float[] logits, float threshold, double offset) {
        long inner = 0;
        long outer = 0;
        for (float v : logits) {
            inner += v > threshold + offset ? 1 : 0;
            outer += v > threshold - offset ? 1 : 0;
        }
        return outer == 0 ? 0 : (double) inner / outer;
    }

    /** True when a box edge lies near a crop border that is not also an image border: the object continues outside. */
    static boolean cutByCrop(InstanceMask m, Crop crop, int imageW, int imageH) {
        int[] box = {m.x0(), m.y0(), m.x1(), m.y1()};
        int[] cropBox = {crop.x0(), crop.y0(), crop.x1(), crop.y1()};
        int[] imageBox = {0, 0, imageW, imageH};
        for (int k = 0; k < 4; k++) {
            boolean nearCrop = Math.abs(box[k] - cropBox[k]) <= CROP_EDGE_TOLERANCE;
            boolean nearImage = Math.abs(box[k] - imageBox[k]) <= CROP_EDGE_TOLERANCE;
            if (nearCrop && !nearImage) {
                return true;
            }
        }
        return false;
    }

    /**
     * Greedy non-maximum suppression on bounding boxes: in order of decreasing score (then input order), keeps a
     * mask unless its box overlaps an already kept one by IoU above {@code threshold}.
     */
    public static List<InstanceMask> nonMaximumSuppression(List<InstanceMask> masks, double[] scores, double threshold) {
        Integer[] order = new Integer[masks.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        List<InstanceMask> kept = new ArrayList<>();
        for (int i : order) {
            InstanceMask candidate = masks.get(i);
            boolean duplicate = false;
            for (InstanceMask k : kept) {
                if (InstanceMask.boxIou(candidate, k) > threshold) {
                    duplicate = true;
                    break;
                }
            }
            if (!duplicate) {
                kept.add(candidate);
            }
        }
        return kept;
    }

    /** Fills small holes and removes small islands, then removes duplicates again, preferring untouched masks. */
    private List<InstanceMask> removeSmallRegions(List<InstanceMask> masks, int w, int h) {
        List<InstanceMask> cleaned = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (InstanceMask m : masks) {
            boolean[] full = m.toFull(w, h);
            MaskGeometry.Cleaned holes = MaskGeometry.removeSmallRegions(full, w, h, settings.minMaskRegionArea, true);
            MaskGeometry.Cleaned islands = MaskGeometry.removeSmallRegions(holes.mask(), w, h,
                    settings.minMaskRegionArea, false);
            boolean changed = holes.changed() || islands.changed();
            InstanceMask c = changed
                    ? InstanceMask.of(islands.mask(), w, m.predictedIou(), m.stabilityScore(), m.pointX(), m.pointY())
                    : m;
            if (c != null) {
                cleaned.add(c);
                scores.add(changed ? 0.0 : 1.0);
            }
        }
        return nonMaximumSuppression(cleaned, scores.stream().mapToDouble(Double::doubleValue).toArray(),
                settings.boxNmsThresh);
    }

    /**
     * The parts of the image to process. Tiling (when set and the image is larger than a tile) replaces crop layers;
     * otherwise layer 0 is the whole image and layer i (1..n) cuts it into 2^i x 2^i crops overlapping by
     * {@code overlapRatio} of the short side scaled by 2 / 2^i, as SAM does.
     */
    public static List<Crop> crops(int w, int h, AmgSettings s) {
        List<Crop> out = new ArrayList<>();
        if (s.tileSize > 0 && (w > s.tileSize || h > s.tileSize)) {
            if (s.tileOverlap >= s.tileSize) {
                throw new IllegalArgumentException("tile overlap (" + s.tileOverlap + ") must be smaller than the tile size ("
                        + s.tileSize + ")");
            }
            for (int y : tileStarts(h, s.tileSize, s.tileOverlap)) {
                for (int x : tileStarts(w, s.tileSize, s.tileOverlap)) {
                    out.add(new Crop(x, y, Math.min(w, x + s.tileSize), Math.min(h, y + s.tileSize), 0));
                }
            }
            return out;
        }
        out.add(new Crop(0, 0, w, h, 0));
        int shortSide = Math.min(w, h);
        for (int layer = 1; layer <= s.cropNLayers; layer++) {
            int perSide = 1 << layer;
            int overlap = (int) (s.cropOverlapRatio * shortSide * (2.0 / perSide));
            int cropW = (int) Math.ceil((w + overlap * (perSide - 1)) / (double) perSide);
            int cropH = (int) Math.ceil((h + overlap * (perSide - 1)) / (double) perSide);
            for (int i = 0; i < perSide; i++) {
                for (int j = 0; j < perSide; j++) {
                    int x0 = (cropW - overlap) * i;
                    int y0 = (cropH - overlap) * j;
                    out.add(new Crop(x0, y0, Math.min(w, x0 + cropW), Math.min(h, y0 + cropH), layer));
                }
            }
        }
        return out;
    }

    /** Evenly spaced tile starts covering [0, length) with tiles of {@code tile} overlapping by at least {@code overlap}. */
    static int[] tileStarts(int length, int tile, int overlap) {
        if (length <= tile) {
            return new int[] {0};
        }
        int n = (int) Math.ceil((length - overlap) / (double) (tile - overlap));
        n = Math.max(n, 2);
        int[] starts = new int[n];
        for (int i = 0; i < n; i++) {
            starts[i] = (int) Math.round(i * (length - tile) / (double) (n - 1));
        }
        return starts;
    }

    /** Grid of n x n points at the centres of an n x n partition of the crop, in crop pixel coordinates (x fastest). */
    static double[] pointGrid(Crop crop, int n) {
        double[] xy = new double[2 * n * n];
        double offset = 1.0 / (2 * n);
        for (int row = 0; row < n; row++) {
            for (int col = 0; col < n; col++) {
                double fx = n == 1 ? 0.5 : offset + col * (1 - 2 * offset) / (n - 1);
                double fy = n == 1 ? 0.5 : offset + row * (1 - 2 * offset) / (n - 1);
                int i = row * n + col;
                xy[2 * i] = fx * crop.width();
                xy[2 * i + 1] = fy * crop.height();
            }
        }
        return xy;
    }

    static Rgb8Image cut(Rgb8Image image, Crop crop) {
        byte[] src = image.toBytes();
        int w = image.width();
        byte[] out = new byte[crop.width() * crop.height() * 3];
        for (int y = 0; y < crop.height(); y++) {
            System.arraycopy(src, ((crop.y0() + y) * w + crop.x0()) * 3, out, y * crop.width() * 3, crop.width() * 3);
        }
        return new Rgb8Image(crop.width(), crop.height(), out);
    }
}
