package io.github.samfiji.evaluation;

import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The interactive protocol by which SAM tools are compared: a simulated user starts from one point (the deepest
 * pixel of the true object) or one box (its bounding box, first to last pixel), then makes correction rounds,
 * each adding an object point at the deepest pixel of the largest missed region and a background point at the
 * deepest pixel of the largest wrongly included region (4-connected regions; depth = Euclidean distance to the
 * region's edge, the image border counting as edge). Each round passes the previous low-resolution logits as mask
 * prompt. The first prediction asks for 3 candidates and keeps the best predicted one when starting from a point,
 * a single mask when starting from a box. Ties between equally deep pixels are broken by a seeded random choice,
 * so a run is deterministic for a seed.
 */
public final class InteractiveEvaluation {

    public enum Start { POINT, BOX }

    /** Dice after the start prompt (index 0) and after each correction round. */
    public record Curve(double[] dice, List<Prompt.Point> points) {
    }

    private InteractiveEvaluation() {
    }

    public static Curve run(SamPredictor predictor, ImageEmbedding embedding, boolean[] truth, Start start, int rounds,
                            long seed) {
        int w = embedding.originalWidth();
        int h = embedding.originalHeight();
        if (truth.length != w * h) {
            throw new EvaluationException("truth mask of " + truth.length + " pixels does not match the " + w + " x " + h
                    + " image");
        }
        if (rounds < 0) {
            throw new EvaluationException("rounds must be 0 or more");
        }
        boolean any = false;
        for (boolean t : truth) {
            any |= t;
        }
        if (!any) {
            throw new EvaluationException("the ground-truth object is empty; the protocol needs an object to click on");
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<Prompt.Point> points = new ArrayList<>();
        Prompt.Box box = null;
        if (start == Start.POINT) {
            int p = deepest(truth, w, h, random);
            points.add(new Prompt.Point(p % w, p / w, 1));
        } else {
            box = boundingBox(truth, w, h);
        }
        double[] dice = new double[rounds + 1];
        Prediction prediction = predictor.predict(embedding, new Prompt(points, box, null), start == Start.POINT);
        int chosen = prediction.best();
        boolean[] mask = prediction.mask(chosen);
        dice[0] = dice(mask, truth);
        for (int r = 1; r <= rounds; r++) {
            boolean[] missed = new boolean[truth.length];
            boolean[] wrong = new boolean[truth.length];
            for (int i = 0; i < truth.length; i++) {
                missed[i] = truth[i] && !mask[i];
                wrong[i] = mask[i] && !truth[i];
            }
            boolean[] missedRegion = largestComponent(missed, w, h);
            boolean[] wrongRegion = largestComponent(wrong, w, h);
            if (missedRegion != null) {
                int p = deepest(missedRegion, w, h, random);
                points.add(new Prompt.Point(p % w, p / w, 1));
            }
            if (wrongRegion != null) {
                int p = deepest(wrongRegion, w, h, random);
                points.add(new Prompt.Point(p % w, p / w, 0));
            }
            if (missedRegion != null || wrongRegion != null) {
                float[] previous = prediction.lowRes()[chosen];
                prediction = predictor.predict(embedding, new Prompt(points, box, previous), false);
                chosen = 0;
                mask = prediction.mask(0);
            }
            dice[r] = dice(mask, truth);
        }
        return new Curve(dice, List.copyOf(points));
    }

    static double dice(boolean[] a, boolean[] b) {
        long both = 0;
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            both += a[i] && b[i] ? 1 : 0;
            sum += (a[i] ? 1 : 0) + (b[i] ? 1 : 0);
        }
        return sum == 0 ? 1.0 : 2.0 * both / sum;
    }

    /** The region pixel farthest from the region's edge (image border included); seeded tie-break. */
    static int deepest(boolean[] region, int w, int h, SplittableRandom random) {
        int pw = w + 2;
        int ph = h + 2;
        boolean[] outside = new boolean[pw * ph];
        for (int y = 0; y < ph; y++) {
            for (int x = 0; x < pw; x++) {
                boolean inside = x > 0 && y > 0 && x <= w && y <= h && region[(y - 1) * w + (x - 1)];
                outside[y * pw + x] = !inside;
            }
        }
        double[] d = DistanceTransform.squared(outside, new int[] {pw, ph}, new double[] {1, 1});
        double best = -1;
        List<Integer> ties = new ArrayList<>();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (!region[y * w + x]) {
                    continue;
                }
                double v = d[(y + 1) * pw + (x + 1)];
                if (v > best) {
                    best = v;
                    ties.clear();
                }
                if (v == best) {
                    ties.add(y * w + x);
                }
            }
        }
        return ties.get(random.nextInt(ties.size()));
    }

    /** The largest 4-connected component (the first in scan order on ties), or null if there is none. */
    static boolean[] largestComponent(boolean[] mask, int w, int h) {
        int[] label = new int[mask.length];
        int[] queue = new int[mask.length];
        int bestLabel = 0;
        int bestSize = 0;
        int next = 0;
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || label[start] != 0) {
                continue;
            }
            next++;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            label[start] = next;
            while (head < tail) {
                int p = queue[head++];
                int x = p % w;
                int y = p / w;
                int[] neighbours = {x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1};
                for (int q : neighbours) {
                    if (q >= 0 && mask[q] && label[q] == 0) {
                        label[q] = next;
                        queue[tail++] = q;
                    }
                }
            }
            if (tail > bestSize) {
                bestSize = tail;
                bestLabel = next;
            }
        }
        if (bestLabel == 0) {
            return null;
        }
        boolean[] out = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            out[i] = label[i] == bestLabel;
        }
        return out;
    }

    static Prompt.Box boundingBox(boolean[] mask, int w, int h) {
        int x0 = w;
        int y0 = h;
        int x1 = -1;
        int y1 = -1;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                x0 = Math.min(x0, i % w);
                x1 = Math.max(x1, i % w);
                y0 = Math.min(y0, i / w);
                y1 = Math.max(y1, i / w);
            }
        }
        return new Prompt.Box(x0, y0, x1, y1);
    }
}
