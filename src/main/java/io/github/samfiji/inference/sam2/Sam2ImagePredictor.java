package io.github.samfiji.inference.sam2;

import io.github.samfiji.model.sam2.MaskSelection;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.model.sam2.Sam2Preprocessing;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.PromptEncoder;
import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * SAM 2.1's image predictor: encodes an image once, then turns prompts (points, a box, a low-resolution mask, or
 * nothing) into masks at the original size. Mirrors the reference {@code SAM2ImagePredictor} numerically: the image
 * is squashed to the square input, prompt coordinates are scaled per axis, a box becomes two corner points placed
 * before the clicks, single-mask requests fall back to the best multimask output when unstable, and logits are
 * resized straight from the low-resolution masks to the image.
 */
public final class Sam2ImagePredictor {

    /** Smallest image side accepted. */
    public static final int MIN_SIDE = 2;
    /** Bound of the returned low-resolution logits, as the reference clamps them for reuse as a mask prompt. */
    public static final float LOW_RES_LIMIT = 32f;

    private final Sam2Model model;

    public Sam2ImagePredictor(Sam2Model model) {
        this.model = model;
    }

    public Sam2Model model() {
        return model;
    }

    /** Encodes an RGB image; the result owns native memory until closed. */
    public Sam2ImageEmbedding encode(Rgb8Image image) {
        return encode(image, io.github.samfiji.io.Progress.NONE);
    }

    /**
     * As {@link #encode(Rgb8Image)}, reporting progress after each encoder stage; throws
     * {@link java.util.concurrent.CancellationException} (freeing everything) when {@code progress} is cancelled.
     */
    public Sam2ImageEmbedding encode(Rgb8Image image, io.github.samfiji.io.Progress progress) {
        return io.github.samfiji.model.TorchRuntime.withoutGradients(() -> encodeImage(image, progress));
    }

    private Sam2ImageEmbedding encodeImage(Rgb8Image image, io.github.samfiji.io.Progress progress) {
        int w = image.width();
        int h = image.height();
        if (w < MIN_SIDE || h < MIN_SIDE) {
            throw new IllegalArgumentException("image is too small (" + w + " x " + h + " pixels): SAM 2 needs at least "
                    + MIN_SIDE + " x " + MIN_SIDE);
        }
        long start = System.nanoTime();
        int size = model.config().imageSize();
        float[] input = Sam2Preprocessing.preprocess(image, size);
        NDManager owner = model.manager().newSubManager();
        try {
            NDList features;
            try (NDManager scratch = model.manager().newSubManager(); NDScope scope = new NDScope()) {
                int[] stages = {0};
                NDList levels = model.imageEncoder().forward(Ops.constant(scratch, input, new Shape(1, 3, size, size)),
                        (name, out) -> {
                            progress.checkCancelled();
                            stages[0]++;
                            progress.update(stages[0] / (stages[0] + 1.0), "encoding image (" + name + ")");
                        });
                // As the reference's forward_image; the tracker reads the level without the no-memory embedding.
                NDArray level2 = levels.get(2);
                features = new NDList(model.maskDecoder().highResS0(levels.get(0)),
                        model.maskDecoder().highResS1(levels.get(1)), level2, withNoMemory(level2));
                for (NDArray a : features) {
                    NDScope.unregister(a);
                }
                features.attach(owner);
            }
            return new Sam2ImageEmbedding(owner, features, w, h, (System.nanoTime() - start) / 1e6);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /** The image predictor's stride-16 features: the level plus the learned no-memory embedding. */
    NDArray withNoMemory(NDArray level2) {
        return level2.add(model.noMemEmbed().value().reshape(1, -1, 1, 1));
    }

    /**
     * Predicts masks for one object's prompts. An empty prompt runs the prompt-free path (no sparse tokens, the
     * learned no-mask embedding), which SAM 2 also supports.
     *
     * @param multimask true: the 3 ambiguity-aware candidates; false: one mask (with the stability fallback)
     */
    public Sam2Prediction predict(Sam2ImageEmbedding embedding, Prompt prompt, boolean multimask) {
        return predict(embedding, prompt, multimask, null);
    }

    /** As {@link #predict(Sam2ImageEmbedding, Prompt, boolean)}, handing decoder intermediates to {@code probe}. */
    Sam2Prediction predict(Sam2ImageEmbedding embedding, Prompt prompt, boolean multimask,
                           BiConsumer<String, NDArray> probe) {
        long start = System.nanoTime();
        int low = model.config().lowResSize();
        int area = low * low;
        int ow = embedding.originalWidth();
        int oh = embedding.originalHeight();
        Decoded d = decodeLowRes(embedding, prompt, multimask, probe);
        int n = d.iou().length;
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            // The original-size logits come from the unclamped low-resolution ones.
            NDArray full = Ops.resizeBilinear(Ops.constant(m, d.lowRes(), new Shape(1, n, low, low)), oh, ow);
            float[] fullFlat = full.toFloatArray();
            float[][] logits = new float[n][];
            float[][] lowRes = new float[n][];
            for (int i = 0; i < n; i++) {
                logits[i] = Arrays.copyOfRange(fullFlat, i * ow * oh, (i + 1) * ow * oh);
                lowRes[i] = Arrays.copyOfRange(d.lowRes(), i * area, (i + 1) * area);
                for (int k = 0; k < area; k++) {
                    lowRes[i][k] = Math.max(-LOW_RES_LIMIT, Math.min(LOW_RES_LIMIT, lowRes[i][k]));
                }
            }
            Prediction masks = new Prediction(ow, oh, low, d.iou(), logits, lowRes, (System.nanoTime() - start) / 1e6);
            return new Sam2Prediction(masks, d.objectScore(), d.tokens());
        }
    }

    /**
     * The decoder's chosen candidates for one prompt: their unclamped low-resolution logits (candidate after
     * candidate), predicted IoU, the decoder tokens they came from, and the object score logit.
     */
    record Decoded(float[] lowRes, float[] iou, int[] tokens, float objectScore) {
    }

    /** Prompt encoder and mask decoder for one prompt, without the upscaling to the image. */
    Decoded decodeLowRes(Sam2ImageEmbedding embedding, Prompt prompt, boolean multimask,
                         BiConsumer<String, NDArray> probe) {
        validate(embedding, prompt);
        int low = model.config().lowResSize();
        int area = low * low;
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDList sparseDense = encodePrompt(prompt, embedding.originalWidth(), embedding.originalHeight(), m);
            if (probe != null) {
                probe.accept("sparse_embeddings", sparseDense.get(0));
                probe.accept("dense_embeddings", sparseDense.get(1));
            }
            NDArray pe = model.promptEncoder().densePositionalEncoding(m);
            NDList out = model.maskDecoder().forward(embedding.imageEmbed(), pe, sparseDense.get(0), sparseDense.get(1),
                    embedding.highRes0(), embedding.highRes1(), probe);
            float[] allMasks = out.get(0).toFloatArray();
            float[] allIou = out.get(1).toFloatArray();
            float objectScore = out.get(2).toFloatArray()[0];
            int[] tokens = MaskSelection.choose(allMasks, allIou, area, multimask);
            int n = tokens.length;
            float[] chosen = new float[n * area];
            float[] iou = new float[n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(allMasks, tokens[i] * area, chosen, i * area, area);
                iou[i] = allIou[tokens[i]];
            }
            return new Decoded(chosen, iou, tokens, objectScore);
        }
    }

    /**
     * The sparse and dense prompt embeddings, as the reference predictor builds them: box corners (labels 2, 3) then
     * clicks, all as points, closed by a padding point whenever there is any point or box.
     */
    NDList encodePrompt(Prompt prompt, int ow, int oh, NDManager m) {
        PromptEncoder encoder = model.promptEncoder();
        int size = model.config().imageSize();
        int low = model.config().lowResSize();
        NDArray mask = prompt.maskInput() == null ? null
                : Ops.constant(m, prompt.maskInput(), new Shape(1, 1, low, low));
        // Without points or box: no tokens (not even padding), and the dense embedding of the mask or of "no mask".
        NDList maskOnly = encoder.forward(null, null, null, mask, m);
        if (prompt.points().isEmpty() && prompt.box() == null) {
            return maskOnly;
        }
        NDList tokens = new NDList();
        if (prompt.box() != null) {
            Prompt.Box b = prompt.box();
            float[] corners = {
                toModel(b.x0(), ow, size), toModel(b.y0(), oh, size), toModel(b.x1(), ow, size), toModel(b.y1(), oh, size)};
            // SAM 1's box tokens are exactly SAM 2's corner points with labels 2 and 3.
            tokens.add(encoder.forward(null, null, Ops.constant(m, corners, new Shape(1, 4)), null, m).get(0));
        }
        int n = prompt.points().size();
        float[] xy = new float[2 * n];
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            Prompt.Point p = prompt.points().get(i);
            xy[2 * i] = toModel(p.x(), ow, size);
            xy[2 * i + 1] = toModel(p.y(), oh, size);
            labels[i] = p.label();
        }
        // Without a box argument the encoder appends the padding point, as SAM 2's predictor always gets.
        tokens.add(encoder.forward(Ops.constant(m, xy, new Shape(1, n, 2)), Ops.constant(m, labels, new Shape(1, n)),
                null, null, m).get(0));
        NDArray sparse = tokens.size() == 1 ? tokens.get(0) : NDArrays.concat(tokens, 1);
        return new NDList(sparse, maskOnly.get(1));
    }

    /** Original pixel coordinate to the square model input, per axis, with the reference's float32 steps. */
    static float toModel(double coordinate, int originalSide, int size) {
        return ((float) coordinate / (float) originalSide) * (float) size;
    }

    private void validate(Sam2ImageEmbedding embedding, Prompt prompt) {
        int low = model.config().lowResSize();
        if (prompt.maskInput() != null && prompt.maskInput().length != low * low) {
            throw new IllegalArgumentException("mask prompt has " + prompt.maskInput().length + " values but this model "
                    + "expects " + low + " x " + low + " low-resolution logits");
        }
        int w = embedding.originalWidth();
        int h = embedding.originalHeight();
        for (Prompt.Point p : prompt.points()) {
            if (p.x() < 0 || p.y() < 0 || p.x() > w || p.y() > h) {
                throw new IllegalArgumentException(String.format("point (%s, %s) lies outside the %d x %d image",
                        p.x(), p.y(), w, h));
            }
        }
        Prompt.Box b = prompt.box();
        if (b != null && (b.x1() < 0 || b.y1() < 0 || b.x0() > w || b.y0() > h)) {
            throw new IllegalArgumentException(String.format("box (%s, %s, %s, %s) lies outside the %d x %d image",
                    b.x0(), b.y0(), b.x1(), b.y1(), w, h));
        }
    }
}
