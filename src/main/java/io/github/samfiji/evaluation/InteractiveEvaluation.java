package io.github.samfiji.evaluation;

import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.MaskGeometry;
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
            int p = MaskGeometry.deepest(truth, w, h, random);
            points.add(new Prompt.Point(p % w, p / w, 1));
        } else {
            box = boundingBox(truth, w);
        }
        double[] dice = new double[rounds + 1];
        Prediction prediction = predictor.predict(embedding, new Prompt(points, box, null), start == Start.POINT);
        int chosen = prediction.best();
        boolean[] mask = prediction.mask(chosen);
        dice[0] = MaskGeometry.dice(mask, truth);
        for (int r = 1; r <= rounds; r++) {
            boolean[] missed = new boolean[truth.length];
            boolean[] wrong = new boolean[truth.length];
            for (int i = 0; i < truth.length; i++) {
                missed[i] = truth[i] && !mask[i];
                wrong[i] = mask[i] && !truth[i];
            }
            boolean[] missedRegion = MaskGeometry.largestComponent(missed, w, h);
            boolean[] wrongRegion = MaskGeometry.largestComponent(wrong, w, h);
            if (missedRegion != null) {
                int p = MaskGeometry.deepest(missedRegion, w, h, random);
                points.add(new Prompt.Point(p % w, p / w, 1));
            }
            if (wrongRegion != null) {
                int p = MaskGeometry.deepest(wrongRegion, w, h, random);
                points.add(new Prompt.Point(p % w, p / w, 0));
            }
            if (missedRegion != null || wrongRegion != null) {
                float[] previous = prediction.lowRes()[chosen];
                prediction = predictor.predict(embedding, new Prompt(points, box, previous), false);
                chosen = 0;
                mask = prediction.mask(0);
            }
            dice[r] = MaskGeometry.dice(mask, truth);
        }
        return new Curve(dice, List.copyOf(points));
    }

    /**
     * The objects of a 2D label image (or mask): each non-zero value in increasing order with its pixels, row-major.
     * Values must be non-negative integers.
     */
    public static java.util.SortedMap<Integer, boolean[]> objects(
            net.imglib2.RandomAccessibleInterval<? extends net.imglib2.type.numeric.RealType<?>> labels) {
        int w = (int) labels.dimension(0);
        int h = (int) labels.dimension(1);
        java.util.SortedMap<Integer, boolean[]> out = new java.util.TreeMap<>();
        net.imglib2.Cursor<? extends net.imglib2.type.numeric.RealType<?>> c =
                net.imglib2.view.Views.flatIterable(labels).cursor();
        for (int i = 0; c.hasNext(); i++) {
            double v = c.next().getRealDouble();
            if (v != 0) {
                if (v != Math.rint(v) || v < 0) {
                    throw new EvaluationException("the ground truth must hold non-negative integer labels; it holds " + v);
                }
                out.computeIfAbsent((int) v, k -> new boolean[w * h])[i] = true;
            }
        }
        return out;
    }

    private static Prompt.Box boundingBox(boolean[] mask, int w) {
        int[] b = MaskGeometry.bounds(mask, w);
        return new Prompt.Box(b[0], b[1], b[2], b[3]);
    }
}
