package io.github.samfiji.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.evaluation.DistanceTransform;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.SamModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The interactive training objective (SAM's own recipe as MedicoSAM uses it): each object starts from a box or a
 * point prompt (equal probability), then {@link #CORRECTIONS} correction sub-iterations each add an object point in
 * the missed region and a background point in the wrongly included region, and feed the previous logits as mask
 * prompt with probability 0.5. Every sub-iteration adds Dice on the mask plus the squared error between the
 * predicted and the true IoU. Prompts are placed on the decoder's low-resolution grid (4 input pixels a cell).
 */
final class InteractiveObjective {

    static final int CORRECTIONS = 2;
    /** Box noise: s.d. 10% of the box side, at most 20 input pixels. */
    static final double BOX_NOISE = 0.1;
    static final double MAX_BOX_NOISE = 20;
    static final double MASK_PROMPT_PROBABILITY = 0.5;

    private InteractiveObjective() {
    }

    /** Mean loss over the objects of the batch and their sub-iterations. */
    static NDArray loss(SamModel model, NDArray embeddings, float[][] targets, NDManager m, Random random) {
        int low = model.promptEncoder().maskInputSize();
        int input = model.config().imageSize();
        float cell = input / (float) low;
        NDArray pe = model.promptEncoder().densePositionalEncoding(m);
        NDArray total = null;
        int terms = 0;
        for (int b = 0; b < targets.length; b++) {
            float[] target = targets[b];
            boolean[] object = new boolean[target.length];
            for (int i = 0; i < target.length; i++) {
                object[i] = target[i] > 0.5f;
            }
            if (!any(object)) {
                continue;
            }
            NDArray embedding = embeddings.get(new NDIndex("{}:{}", b, b + 1));
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
                NDList out = model.maskDecoder().forward(embedding, pe, prompts.get(0), prompts.get(1), false, null);
                NDArray logits = out.get(0);
                NDArray iou = out.get(1);
                float[] values = logits.toFloatArray();
                boolean[] predicted = new boolean[values.length];
                for (int i = 0; i < values.length; i++) {
                    predicted[i] = values[i] > 0;
                }
                float trueIou = (float) iou(predicted, object);
                NDArray iouError = iou.sub(m.full(new Shape(), trueIou)).square().mean();
                NDArray term = Losses.dice(logits, targetNd).add(iouError);
                total = total == null ? term : total.add(term);
                terms++;
                if (round == CORRECTIONS) {
                    break;
                }
                addCorrections(points, predicted, object, low, cell, random);
                maskPrompt = random.nextDouble() < MASK_PROMPT_PROBABILITY ? logits.stopGradient() : null;
            }
        }
        if (total == null) {
            throw new IllegalArgumentException("no object in this batch: interactive training needs masks with foreground");
        }
        return total.div(m.full(new Shape(), (float) terms));
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
