package io.github.samfiji.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.image.DistanceTransform;
import io.github.samfiji.inference.MaskGeometry;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.SamModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The interactive training objective, SAM's own recipe as MedicoSAM uses it, with the parts that make a model follow
 * its prompts. For each image:
 * <ul>
 *   <li>every connected part of the mask is an object of its own (up to {@link #MAX_OBJECTS}, drawn at random), so a
 *       prompt on one part must not return the others;</li>
 *   <li>each object starts from a box or a point prompt (equal probability), then {@link #CORRECTIONS} correction
 *       sub-iterations each add an object point in the missed region and a background point in the wrongly included
 *       region of the current prediction, and feed the previous logits as mask prompt with probability 0.5; every
 *       sub-iteration adds Dice and cross-entropy on the mask (as SAM pairs Dice with a per-pixel loss: with Dice
 *       alone, a model pushed to empty masks by the background boxes has no gradient left to find objects again)
 *       plus the squared error between the predicted and the true IoU;</li>
 *   <li>with probability {@link #BACKGROUND_BOX_PROBABILITY} a box that holds only background asks for an empty mask
 *       (binary cross-entropy: Dice is blind to an empty target), weighted as one object with its rounds, so that a
 *       box away from the object is not answered with the object.</li>
 * </ul>
 * Without these, one salient object per image lets the decoder ignore the prompt and still score well. Prompts are
 * placed on the decoder's low-resolution grid (4 input pixels a cell).
 */
final class InteractiveObjective {

    static final int CORRECTIONS = 2;
    /** Box noise: s.d. 10% of the box side, at most 20 input pixels. */
    static final double BOX_NOISE = 0.1;
    static final double MAX_BOX_NOISE = 20;
    static final double MASK_PROMPT_PROBABILITY = 0.5;
    /** Objects (connected parts of the mask) prompted per image and step. */
    static final int MAX_OBJECTS = 3;
    /** Parts smaller than this (in low-resolution cells) are not prompted alone, unless nothing larger exists. */
    static final int MIN_OBJECT_CELLS = 4;
    static final double BACKGROUND_BOX_PROBABILITY = 1.0;
    /** Weight of a background box's term: one object with its rounds. Twice that (the weight before mosaics) made
     * models timid: a box on background asks every pixel, the object's too, to be off, so until the model reads the
     * box it learns to under-segment (synthetic blobs: masks a third of the object's size). */
    static final int BACKGROUND_WEIGHT = CORRECTIONS + 1;

    private InteractiveObjective() {
    }

    /**
     * One image's prompted decoder: points (x, y, label) and box in input pixels, a low-resolution mask prompt (or
     * null) to the single-mask logits (1, 1, low, low), the predicted IoU, and, for models that predict whether the
     * prompt hits an object at all (SAM 2.1), the object-score logit (1, 1).
     */
    interface PromptedDecoder {
        NDList decode(List<float[]> points, float[] box, NDArray maskPrompt);
    }

    /** Mean loss over the prompted objects and background boxes of the batch and their sub-iterations. */
    static NDArray loss(SamModel model, NDArray embeddings, float[][] targets, NDManager m, Random random) {
        NDArray pe = model.promptEncoder().densePositionalEncoding(m);
        List<PromptedDecoder> decoders = new ArrayList<>();
        for (int b = 0; b < targets.length; b++) {
            NDArray embedding = embeddings.get(new NDIndex("{}:{}", b, b + 1));
            decoders.add((points, box, mask) -> decode(model, embedding, pe, points, box, mask, m));
        }
        return loss(decoders, targets, model.promptEncoder().maskInputSize(), model.config().imageSize(), m, random);
    }

    /**
     * As above for any model: {@code decoders} one per target, on a grid of {@code low} cells a side over an input
     * of {@code input} pixels. Where a decoder returns an object score, it learns to say "object" for the object
     * prompts and "nothing" for the background boxes (binary cross-entropy).
     */
    static NDArray loss(List<PromptedDecoder> decoders, float[][] targets, int low, int input, NDManager m,
                        Random random) {
        float cell = input / (float) low;
        NDArray total = null;
        int terms = 0;
        for (int b = 0; b < targets.length; b++) {
            boolean[] foreground = new boolean[targets[b].length];
            for (int i = 0; i < foreground.length; i++) {
                foreground[i] = targets[b][i] > 0.5f;
            }
            if (!any(foreground)) {
                continue;
            }
            PromptedDecoder decoder = decoders.get(b);
            for (boolean[] object : objects(foreground, low, random)) {
                float[] target = new float[object.length];
                for (int i = 0; i < object.length; i++) {
                    target[i] = object[i] ? 1f : 0f;
                }
                NDArray targetNd = Ops.constant(m, target, new Shape(1, 1, low, low));
                List<float[]> points = new ArrayList<>();
                float[] box = null;
                if (random.nextBoolean()) {
                    box = noisyBox(object, low, cell, random);
                } else {
                    int p = deepPoint(object, low, random);
                    points.add(new float[] {(p % low + 0.5f) * cell, (p / low + 0.5f) * cell, 1});
                }
                NDArray maskPrompt = null;
                for (int round = 0; round <= CORRECTIONS; round++) {
                    NDList out = decoder.decode(points, box, maskPrompt);
                    NDArray logits = out.get(0);
                    boolean[] predicted = positive(logits);
                    NDArray term = Losses.diceCrossEntropy(logits, targetNd)
                            .add(iouError(out.get(1), predicted, object, m));
                    if (out.size() > 2) {
                        term = term.add(Losses.binaryCrossEntropy(out.get(2), m.ones(out.get(2).getShape())));
                    }
                    total = total == null ? term : total.add(term);
                    terms++;
                    if (round == CORRECTIONS) {
                        break;
                    }
                    addCorrections(points, predicted, object, low, cell, random);
                    maskPrompt = random.nextDouble() < MASK_PROMPT_PROBABILITY ? logits.stopGradient() : null;
                }
            }
            if (random.nextDouble() < BACKGROUND_BOX_PROBABILITY) {
                float[] box = backgroundBox(foreground, low, cell, random);
                if (box != null) {
                    NDList out = decoder.decode(List.of(), box, null);
                    NDArray logits = out.get(0);
                    boolean[] empty = new boolean[foreground.length];
                    NDArray term = Losses.binaryCrossEntropy(logits, m.zeros(logits.getShape()))
                            .add(iouError(out.get(1), positive(logits), empty, m));
                    if (out.size() > 2) {
                        term = term.add(Losses.binaryCrossEntropy(out.get(2), m.zeros(out.get(2).getShape())));
                    }
                    // Weighted as much as one object with its correction rounds: both answers matter equally.
                    term = Ops.mulScalar(term, BACKGROUND_WEIGHT);
                    total = total == null ? term : total.add(term);
                    terms += BACKGROUND_WEIGHT;
                }
            }
        }
        if (total == null) {
            throw new IllegalArgumentException("no object in this batch: interactive training needs masks with foreground");
        }
        return total.div(m.full(new Shape(), (float) terms));
    }

    /** One decoder pass (single mask) for the given points, box and mask prompt. */
    private static NDList decode(SamModel model, NDArray embedding, NDArray pe, List<float[]> points, float[] box,
                                 NDArray maskPrompt, NDManager m) {
        NDArray pts = null;
        NDArray labels = null;
        if (!points.isEmpty()) {
            float[] xy = new float[points.size() * 2];
            float[] l = new float[points.size()];
            for (int i = 0; i < points.size(); i++) {
                xy[2 * i] = points.get(i)[0];
                xy[2 * i + 1] = points.get(i)[1];
                l[i] = points.get(i)[2];
            }
            pts = Ops.constant(m, xy, new Shape(1, points.size(), 2));
            labels = Ops.constant(m, l, new Shape(1, points.size()));
        }
        NDArray boxNd = box == null ? null : Ops.constant(m, box, new Shape(1, 4));
        NDList prompts = model.promptEncoder().forward(pts, labels, boxNd, maskPrompt, m);
        return model.maskDecoder().forward(embedding, pe, prompts.get(0), prompts.get(1), false, null);
    }

    static boolean[] positive(NDArray logits) {
        float[] values = logits.toFloatArray();
        boolean[] out = new boolean[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] > 0;
        }
        return out;
    }

    /** Squared error of the IoU head against the IoU of the thresholded prediction with the target. */
    static NDArray iouError(NDArray predictedIou, boolean[] predicted, boolean[] target, NDManager m) {
        float trueIou = (float) iou(predicted, target);
        return predictedIou.sub(m.full(new Shape(), trueIou)).square().mean();
    }

    /**
     * The objects to prompt on one mask: its 8-connected parts of at least {@link #MIN_OBJECT_CELLS} cells (the
     * largest part when none is that big), at most {@link #MAX_OBJECTS} of them drawn at random.
     */
    static List<boolean[]> objects(boolean[] foreground, int low, Random random) {
        MaskGeometry.Components c = MaskGeometry.components(foreground, low, low, true);
        List<Integer> kept = new ArrayList<>();
        int largest = 1;
        for (int k = 1; k <= c.count(); k++) {
            if (c.sizes()[k] >= MIN_OBJECT_CELLS) {
                kept.add(k);
            }
            if (c.sizes()[k] > c.sizes()[largest]) {
                largest = k;
            }
        }
        if (kept.isEmpty()) {
            kept.add(largest);
        }
        java.util.Collections.shuffle(kept, random);
        List<boolean[]> out = new ArrayList<>();
        for (int k : kept.subList(0, Math.min(MAX_OBJECTS, kept.size()))) {
            boolean[] object = new boolean[foreground.length];
            for (int i = 0; i < object.length; i++) {
                object[i] = c.labels()[i] == k;
            }
            out.add(object);
        }
        return out;
    }

    /**
     * A box of 4 to low/2 cells a side that touches no foreground cell nor its 8 neighbours, in input pixels; null
     * when none is found in a few tries (the foreground fills the image).
     */
    static float[] backgroundBox(boolean[] foreground, int low, float cell, Random random) {
        return backgroundBox(foreground, low, low, cell, cell, random);
    }

    /**
     * As above for an image of any shape at its own size, on a grid of {@link #VALIDATION_GRID} cells a side (a cell
     * is foreground when any of its pixels is), in pixels.
     */
    static float[] backgroundBox(boolean[] foreground, int width, int height, Random random) {
        int cols = Math.min(VALIDATION_GRID, width);
        int rows = Math.min(VALIDATION_GRID, height);
        boolean[] cells = new boolean[cols * rows];
        for (int y = 0; y < height; y++) {
            int r = (int) ((long) y * rows / height);
            for (int x = 0; x < width; x++) {
                if (foreground[y * width + x]) {
                    cells[r * cols + (int) ((long) x * cols / width)] = true;
                }
            }
        }
        return backgroundBox(cells, cols, rows, width / (float) cols, height / (float) rows, random);
    }

    /** Grid on which validation places its background boxes. */
    static final int VALIDATION_GRID = 64;

    private static float[] backgroundBox(boolean[] foreground, int cols, int rows, float cellX, float cellY,
                                         Random random) {
        int[] prefix = new int[(rows + 1) * (cols + 1)];
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                boolean near = false;
                for (int dy = -1; dy <= 1 && !near; dy++) {
                    for (int dx = -1; dx <= 1 && !near; dx++) {
                        int yy = y + dy;
                        int xx = x + dx;
                        near = yy >= 0 && xx >= 0 && yy < rows && xx < cols && foreground[yy * cols + xx];
                    }
                }
                prefix[(y + 1) * (cols + 1) + x + 1] = (near ? 1 : 0) + prefix[y * (cols + 1) + x + 1]
                        + prefix[(y + 1) * (cols + 1) + x] - prefix[y * (cols + 1) + x];
            }
        }
        int smallestW = Math.min(4, cols);
        int smallestH = Math.min(4, rows);
        int largestW = Math.max(smallestW, cols / 2);
        int largestH = Math.max(smallestH, rows / 2);
        for (int attempt = 0; attempt < 50; attempt++) {
            int w = smallestW + random.nextInt(largestW - smallestW + 1);
            int h = smallestH + random.nextInt(largestH - smallestH + 1);
            int x0 = random.nextInt(cols - w + 1);
            int y0 = random.nextInt(rows - h + 1);
            int inside = prefix[(y0 + h) * (cols + 1) + x0 + w] - prefix[y0 * (cols + 1) + x0 + w]
                    - prefix[(y0 + h) * (cols + 1) + x0] + prefix[y0 * (cols + 1) + x0];
            if (inside == 0) {
                return new float[] {x0 * cellX, y0 * cellY, (x0 + w) * cellX, (y0 + h) * cellY};
            }
        }
        return null;
    }

    /** The tight box of the object, each side moved by N(0, (0.1·side)²) clipped to ±20 px, in input pixels. */
    static float[] noisyBox(boolean[] object, int low, float cell, Random random) {
        int x0 = low;
        int y0 = low;
        int x1 = -1;
        int y1 = -1;
        for (int i = 0; i < object.length; i++) {
            if (object[i]) {
                x0 = Math.min(x0, i % low);
                x1 = Math.max(x1, i % low);
                y0 = Math.min(y0, i / low);
                y1 = Math.max(y1, i / low);
            }
        }
        float[] box = {x0 * cell, y0 * cell, (x1 + 1) * cell, (y1 + 1) * cell};
        double w = box[2] - box[0];
        double h = box[3] - box[1];
        float limit = low * cell;
        for (int k = 0; k < 4; k++) {
            double side = k % 2 == 0 ? w : h;
            double noise = Math.max(-MAX_BOX_NOISE, Math.min(MAX_BOX_NOISE, random.nextGaussian() * BOX_NOISE * side));
            box[k] = (float) Math.max(0, Math.min(limit, box[k] + noise));
        }
        if (box[2] <= box[0] || box[3] <= box[1]) {
            return new float[] {x0 * cell, y0 * cell, (x1 + 1) * cell, (y1 + 1) * cell};
        }
        return box;
    }

    /** A random cell of the region whose distance to the region's edge is above the median (the inner half). */
    static int deepPoint(boolean[] region, int low, Random random) {
        double[] d = insideDistances(region, low);
        List<Double> inside = new ArrayList<>();
        for (int i = 0; i < region.length; i++) {
            if (region[i]) {
                inside.add(d[i]);
            }
        }
        inside.sort(null);
        double median = inside.get(inside.size() / 2);
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < region.length; i++) {
            if (region[i] && d[i] >= median) {
                candidates.add(i);
            }
        }
        return candidates.get(random.nextInt(candidates.size()));
    }

    /** Squared distance of each cell of the region to the nearest cell outside it (the grid border counts as outside). */
    private static double[] insideDistances(boolean[] region, int low) {
        int padded = low + 2;
        boolean[] outside = new boolean[padded * padded];
        for (int y = 0; y < padded; y++) {
            for (int x = 0; x < padded; x++) {
                boolean border = x == 0 || y == 0 || x == padded - 1 || y == padded - 1;
                outside[y * padded + x] = border || !region[(y - 1) * low + (x - 1)];
            }
        }
        double[] all = DistanceTransform.squared(outside, new int[] {padded, padded}, new double[] {1, 1});
        double[] out = new double[region.length];
        for (int y = 0; y < low; y++) {
            for (int x = 0; x < low; x++) {
                out[y * low + x] = all[(y + 1) * padded + x + 1];
            }
        }
        return out;
    }

    /** An object point in the missed part and a background point in the wrongly included part, where they exist. */
    static void addCorrections(List<float[]> points, boolean[] predicted, boolean[] object, int low, float cell,
                               Random random) {
        boolean[] missed = new boolean[object.length];
        boolean[] wrong = new boolean[object.length];
        for (int i = 0; i < object.length; i++) {
            missed[i] = object[i] && !predicted[i];
            wrong[i] = predicted[i] && !object[i];
        }
        if (any(missed)) {
            int p = deepPoint(missed, low, random);
            points.add(new float[] {(p % low + 0.5f) * cell, (p / low + 0.5f) * cell, 1});
        }
        if (any(wrong)) {
            int p = deepPoint(wrong, low, random);
            points.add(new float[] {(p % low + 0.5f) * cell, (p / low + 0.5f) * cell, 0});
        }
    }

    static double iou(boolean[] a, boolean[] b) {
        long both = 0;
        long either = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] && b[i]) {
                both++;
            }
            if (a[i] || b[i]) {
                either++;
            }
        }
        return either == 0 ? 1 : both / (double) either;
    }

    private static boolean any(boolean[] v) {
        for (boolean b : v) {
            if (b) {
                return true;
            }
        }
        return false;
    }
}
