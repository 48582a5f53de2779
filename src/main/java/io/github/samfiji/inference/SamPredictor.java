package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.image.MedSamPreprocessing;
import io.github.samfiji.image.ResizeLongestSide;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TwoWayTransformer;

/**
 * SAM's predictor: resizes the image so its longest side fits the encoder (Pillow-exact), normalizes and pads
 * it, encodes it once, then turns prompts into masks at the original size. Mirrors the reference
 * {@code SamPredictor} numerically; for a model with MedSAM's preprocessing profile, mirrors
 * {@code MedSAM_Inference.py} instead (see {@link SamConfig.Preprocessing#MEDSAM}).
 */
public final class SamPredictor {

    /** Smallest image side accepted: below this SAM has nothing meaningful to segment. */
    public static final int MIN_SIDE = 2;

    private final SamModel model;
    /** The decoder's image-only work for the image prompted last (see {@link ImageContext}). */
    private ImageContext context;

    /** Images run through the encoder by this predictor (what caches are measured by). */
    private final java.util.concurrent.atomic.AtomicLong encodes = new java.util.concurrent.atomic.AtomicLong();

    public SamPredictor(SamModel model) {
        this.model = model;
    }

    /** How many images this predictor has encoded. */
    public long encodeCount() {
        return encodes.get();
    }

    /**
     * What every prompt on one image shares: the dense positional encoding, the decoder's image side (for prompts
     * without a mask input) and the post-processing taps. Kept for one image at a time (about 5x the embedding's
     * memory) and owned by that embedding, so closing the embedding frees it. Valid while the model's weights do not
     * change: a predictor over a model being trained must be created anew after each update (training does).
     */
    private record ImageContext(ImageEmbedding embedding, NDManager owner, NDArray pe,
                                TwoWayTransformer.ImageSide side, LogitUpscaler upscaler) {
    }

    private synchronized ImageContext context(ImageEmbedding embedding) {
        if (context != null && context.embedding() == embedding && !embedding.isClosed()) {
            return context;
        }
        if (context != null) {
            context.owner().close();
            context = null;
        }
        NDManager owner = embedding.manager().newSubManager();
        try (NDScope scope = new NDScope()) {
            NDArray pe = model.promptEncoder().densePositionalEncoding(owner);
            NDArray noMask = model.promptEncoder().forward(null, null, null, null, owner).get(1);
            TwoWayTransformer.ImageSide side = model.maskDecoder().prepare(embedding.features(), pe, noMask);
            NDList keep = side.arrays();
            keep.add(pe);
            for (NDArray a : keep) {
                NDScope.unregister(a);
                a.attach(owner);
            }
            context = new ImageContext(embedding, owner, pe, side, upscaler(embedding));
            return context;
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /** The post-processing of this embedding's low-resolution logits. */
    LogitUpscaler logitUpscaler(ImageEmbedding embedding) {
        return context(embedding).upscaler();
    }

    private LogitUpscaler upscaler(ImageEmbedding embedding) {
        if (isMedSam()) {
            return LogitUpscaler.medSam(model.promptEncoder().maskInputSize(), embedding.originalWidth(),
                    embedding.originalHeight());
        }
        return new LogitUpscaler(model.promptEncoder().maskInputSize(), model.config().imageSize(),
                embedding.inputWidth(), embedding.inputHeight(), embedding.originalWidth(), embedding.originalHeight());
    }

    public SamModel model() {
        return model;
    }

    /** Encodes an image; the result owns native memory until closed. */
    public ImageEmbedding encode(Rgb8Image image) {
        return encode(image, Progress.NONE);
    }

    /**
     * Encodes an image, reporting progress after each encoder stage; throws
     * {@link java.util.concurrent.CancellationException} (freeing everything) when {@code progress} is cancelled.
     */
    public ImageEmbedding encode(Rgb8Image image, Progress progress) {
        return io.github.samfiji.model.TorchRuntime.withoutGradients(() -> encodeImage(image, progress));
    }

    private ImageEmbedding encodeImage(Rgb8Image image, Progress progress) {
        encodes.incrementAndGet();
        int w = image.width();
        int h = image.height();
        if (w < MIN_SIDE || h < MIN_SIDE) {
            throw new IllegalArgumentException("image is too small (" + w + " x " + h + " pixels): SAM needs at least "
                    + MIN_SIDE + " x " + MIN_SIDE);
        }
        SamConfig config = model.config();
        int size = config.imageSize();
        int[] target = isMedSam() ? new int[] {size, size} : ResizeLongestSide.targetSize(h, w, size);
        if (target[0] < 1 || target[1] < 1) {
            throw new IllegalArgumentException("image of " + w + " x " + h + " pixels is too elongated to resize to "
                    + size + " pixels on its longest side");
        }
        long start = System.nanoTime();
        float[] input = isMedSam() ? MedSamPreprocessing.input(image, size)
                : preprocess(ResizeLongestSide.apply(image, size), size, config);
        NDManager owner = model.manager().newSubManager();
        try (NDScope scope = new NDScope()) {
            NDArray x = Ops.constant(owner, input, new Shape(1, 3, size, size));
            int stages = model.imageEncoder().stageCount();
            int[] done = {0};
            NDArray features = model.imageEncoder().forward(x, (name, out) -> {
                progress.checkCancelled();
                progress.update(Math.min(1.0, ++done[0] / (double) stages), "encoding image (" + name + ")");
            });
            NDScope.unregister(features);
            features.attach(owner);
            double ms = (System.nanoTime() - start) / 1e6;
            return new ImageEmbedding(owner, features, w, h, target[1], target[0], ms);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /** Whether the model takes MedSAM's input (squashed, min-max scaled) rather than SAM's. */
    private boolean isMedSam() {
        return model.config().preprocessing() == SamConfig.Preprocessing.MEDSAM;
    }

    /** Original-image coordinates (x, y pairs) in the encoder input, as this model's preprocessing maps them. */
    private float[] toInput(double[] xy, int origH, int origW, int size) {
        return isMedSam() ? MedSamPreprocessing.applyCoords(xy, origH, origW, size)
                : ResizeLongestSide.applyCoords(xy, origH, origW, size);
    }

    /**
     * Normalized (pixel - mean) / std in float32 exactly as the reference, as CHW planes, padded with zeros to
     * the square encoder input at the bottom and right.
     */
    public static float[] preprocess(Rgb8Image resized, int size, SamConfig config) {
        float[] out = new float[3 * size * size];
        byte[] rgb = resized.toBytes();
        int w = resized.width();
        int h = resized.height();
        for (int c = 0; c < 3; c++) {
            float mean = config.pixelMean()[c];
            float std = config.pixelStd()[c];
            int plane = c * size * size;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[plane + y * size + x] = ((float) (rgb[(y * w + x) * 3 + c] & 0xff) - mean) / std;
                }
            }
        }
        return out;
    }

    /** Predicts masks for one object's prompts. */
    public Prediction predict(ImageEmbedding embedding, Prompt prompt, boolean multimask) {
        if (prompt.isEmpty()) {
            throw new IllegalArgumentException("empty prompt: give at least one point, a box or a mask");
        }
        return decode(embedding, prompt, multimask);
    }

    /**
     * The prompt-free path (no points, box or mask), used by models fine-tuned for automatic segmentation.
     */
    public Prediction predictWithoutPrompt(ImageEmbedding embedding, boolean multimask) {
        return decode(embedding, new Prompt(null, null, null), multimask);
    }

    private Prediction decode(ImageEmbedding embedding, Prompt prompt, boolean multimask) {
        return io.github.samfiji.model.TorchRuntime.withoutGradients(() -> decodeNoGrad(embedding, prompt, multimask));
    }

    private Prediction decodeNoGrad(ImageEmbedding embedding, Prompt prompt, boolean requestedMultimask) {
        // MedSAM was trained with one mask output: its other mask tokens are SAM's, untouched; it always gives one.
        boolean multimask = requestedMultimask && !isMedSam();
        validate(embedding, prompt);
        requireMemoryFor(embedding.originalWidth(), embedding.originalHeight(), multimask ? 3 : 1);
        long start = System.nanoTime();
        int size = model.config().imageSize();
        int lowSize = model.promptEncoder().maskInputSize();
        int ow = embedding.originalWidth();
        int oh = embedding.originalHeight();
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray points = null;
            NDArray labels = null;
            int n = prompt.points().size();
            if (n > 0) {
                float[] xy = new float[2 * n];
                float[] l = new float[n];
                for (int i = 0; i < n; i++) {
                    Prompt.Point p = prompt.points().get(i);
                    float[] t = toInput(new double[] {p.x(), p.y()}, oh, ow, size);
                    xy[2 * i] = t[0];
                    xy[2 * i + 1] = t[1];
                    l[i] = p.label();
                }
                points = Ops.constant(m, xy, new Shape(1, n, 2));
                labels = Ops.constant(m, l, new Shape(1, n));
            }
            NDArray box = null;
            if (prompt.box() != null) {
                Prompt.Box b = prompt.box();
                box = Ops.constant(m, toInput(new double[] {b.x0(), b.y0(), b.x1(), b.y1()}, oh, ow, size), new Shape(1, 4));
            }
            NDArray mask = prompt.maskInput() == null ? null
                    : Ops.constant(m, prompt.maskInput(), new Shape(1, 1, lowSize, lowSize));
            NDList out = runDecoder(embedding, points, labels, box, mask, multimask, m);
            int count = (int) out.get(0).getShape().get(1);
            float[] iou = out.get(1).toFloatArray();
            float[] lowFlat = out.get(0).toFloatArray();
            float[][] lowRes = new float[count][];
            int lowArea = lowSize * lowSize;
            for (int i = 0; i < count; i++) {
                lowRes[i] = java.util.Arrays.copyOfRange(lowFlat, i * lowArea, (i + 1) * lowArea);
            }
            return new Prediction(ow, oh, lowSize, iou, lowRes, context(embedding).upscaler()::upscale,
                    (System.nanoTime() - start) / 1e6);
        }
    }

    /**
     * Prompt encoder and mask decoder for a batch of prompts (model input coordinates): (low-res logits, IoU).
     * Without a mask input the decoder starts from the image side computed once per image.
     */
    private NDList runDecoder(ImageEmbedding embedding, NDArray points, NDArray labels, NDArray box, NDArray mask,
                              boolean multimask, NDManager m) {
        ImageContext c = context(embedding);
        NDList embeddings = model.promptEncoder().forward(points, labels, box, mask, m);
        if (mask == null) {
            return model.maskDecoder().forward(c.side(), embeddings.get(0), multimask, null);
        }
        return model.maskDecoder().forward(embedding.features(), c.pe(), embeddings.get(0), embeddings.get(1),
                multimask, null);
    }

    /**
     * Low-resolution logits ({@code count * masksPerPoint} masks of {@code lowResSize}²) and predicted IoU of many
     * single-point prompts, each its own object, decoded in one batch: the "segment everything" grid. Points none of
     * whose candidates pass the IoU filter were not upscaled: their logits are left 0.
     */
    public record PointBatch(int count, int masksPerPoint, int lowResSize, float[] lowRes, float[] iou) {
    }

    /** Decodes every point of {@code xy} (x0, y0, x1, y1, ... in original image pixels) as one object point. */
    public PointBatch decodeSinglePoints(ImageEmbedding embedding, double[] xy, boolean multimask) {
        return decodeSinglePoints(embedding, xy, multimask, 0);
    }

    /**
     * As {@link #decodeSinglePoints(ImageEmbedding, double[], boolean)}, computing mask logits only for the points
     * with a candidate whose predicted IoU is above {@code minIou} (0: every point). The IoU comes from the
     * transformer alone, so the upscaling of the others, most of a point's cost after the transformer, is skipped.
     */
    public PointBatch decodeSinglePoints(ImageEmbedding embedding, double[] xy, boolean multimask, double minIou) {
        return io.github.samfiji.model.TorchRuntime.withoutGradients(() -> decodePoints(embedding, xy, multimask, minIou));
    }

    private PointBatch decodePoints(ImageEmbedding embedding, double[] xy, boolean requestedMultimask, double minIou) {
        boolean multimask = requestedMultimask && !isMedSam();
        int n = xy.length / 2;
        if (n == 0) {
            throw new IllegalArgumentException("no points to decode");
        }
        int size = model.config().imageSize();
        int lowSize = model.promptEncoder().maskInputSize();
        int ow = embedding.originalWidth();
        int oh = embedding.originalHeight();
        float[] coords = new float[2 * n];
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            float[] t = toInput(new double[] {xy[2 * i], xy[2 * i + 1]}, oh, ow, size);
            coords[2 * i] = t[0];
            coords[2 * i + 1] = t[1];
            labels[i] = 1;
        }
        ImageContext c = context(embedding);
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDList sparse = model.promptEncoder().forward(Ops.constant(m, coords, new Shape(n, 1, 2)),
                    Ops.constant(m, labels, new Shape(n, 1)), null, null, m);
            NDList tokensKeys = model.maskDecoder().transform(c.side(), sparse.get(0));
            float[] iou = model.maskDecoder().predictIou(tokensKeys.get(0), multimask).toFloatArray();
            int perPoint = iou.length / n;
            long[] wanted = java.util.stream.IntStream.range(0, n).filter(p -> {
                for (int k = 0; k < perPoint; k++) {
                    if (minIou <= 0 || iou[p * perPoint + k] > minIou) {
                        return true;
                    }
                }
                return false;
            }).asLongStream().toArray();
            int area = lowSize * lowSize;
            float[] lowRes = new float[n * perPoint * area];
            if (wanted.length > 0) {
                NDArray tokens = tokensKeys.get(0);
                NDArray keys = tokensKeys.get(1);
                if (wanted.length < n) {
                    NDIndex rows = new NDIndex("{}", Ops.constant(m, wanted, new Shape(wanted.length)));
                    tokens = tokens.get(rows);
                    keys = keys.get(rows);
                }
                float[] masks = model.maskDecoder().predictMasks(tokens, keys, c.side(), multimask, null).toFloatArray();
                int block = perPoint * area;
                for (int i = 0; i < wanted.length; i++) {
                    System.arraycopy(masks, i * block, lowRes, (int) wanted[i] * block, block);
                }
            }
            return new PointBatch(n, perPoint, lowSize, lowRes, iou);
        }
    }

    /** Logits at the original image size for low-resolution logits of this embedding's image, as in predictions. */
    public float[][] upscale(ImageEmbedding embedding, float[][] lowRes) {
        int count = lowRes.length;
        if (count == 0) {
            return new float[0][];
        }
        requireMemoryFor(embedding.originalWidth(), embedding.originalHeight(), lowRes.length);
        LogitUpscaler upscaler = context(embedding).upscaler();
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = upscaler.upscale(lowRes[i]);
        }
        return out;
    }

    /**
     * Full-size results take about 13 bytes a pixel and candidate (logits in libtorch, their Java copies, the mask);
     * a result that cannot fit is refused with advice before any of it is allocated, not met as an OutOfMemoryError.
     */
    static void requireMemoryFor(long width, long height, int candidates) {
        long needed = 13L * width * height * candidates;
        long available = io.github.samfiji.io.Memory.freeHeap(false);
        if (needed > available) {
            available = io.github.samfiji.io.Memory.freeHeap(true); // what looked used may be garbage
        }
        if (needed > available) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "the full-size result for a %d x %d "
                    + "image (%d candidate(s)) needs about %.1f GB of memory, %.1f GB are free: work on a cropped or "
                    + "scaled copy, ask for one candidate, or give Java more memory (SAMFIJI_JAVA_OPTS=-Xmx...; Fiji: "
                    + "Edit > Options > Memory)", width, height, candidates, needed / 1e9, available / 1e9));
        }
    }

    /**
     * Upscales low-resolution logits to the padded encoder input, removes the padding, and resizes to the original
     * image size (bilinear, PyTorch's default semantics).
     */
    static NDArray postprocess(NDArray lowRes, int inputH, int inputW, int origH, int origW, int size) {
        NDArray cropped = Ops.resizeBilinearCropped(lowRes, size, size, inputH, inputW);
        return Ops.resizeBilinear(cropped, origH, origW);
    }

    private void validate(ImageEmbedding embedding, Prompt prompt) {
        int low = model.promptEncoder().maskInputSize();
        if (prompt.maskInput() != null && prompt.maskInput().length != low * low) {
            throw new IllegalArgumentException("mask prompt has " + prompt.maskInput().length + " values but this model expects "
                    + low + " x " + low + " low-resolution logits");
        }
        int w = embedding.originalWidth();
        int h = embedding.originalHeight();
        for (Prompt.Point p : prompt.points()) {
            if (p.x() < 0 || p.y() < 0 || p.x() > w || p.y() > h) {
                throw new IllegalArgumentException(String.format("point (%s, %s) lies outside the %d x %d image",
                        Prompt.fmt(p.x()), Prompt.fmt(p.y()), w, h));
            }
        }
        Prompt.Box b = prompt.box();
        if (b != null && (b.x1() < 0 || b.y1() < 0 || b.x0() > w || b.y0() > h)) {
            throw new IllegalArgumentException(String.format("box (%s, %s, %s, %s) lies outside the %d x %d image",
                    Prompt.fmt(b.x0()), Prompt.fmt(b.y0()), Prompt.fmt(b.x1()), Prompt.fmt(b.y1()), w, h));
        }
    }
}
