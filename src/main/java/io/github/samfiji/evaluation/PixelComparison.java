package io.github.samfiji.evaluation;

import java.util.Arrays;
import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

/**
 * Pixel-level comparisons of two models on the same images, accumulated over images: paired correct/incorrect
 * decisions for McNemar's test, and paired scores for DeLong's test. Each voxel is one case; for a label L a
 * model's decision is "L or not L" and it is correct when it agrees with the truth. Voxels of one image are not
 * independent, so pixel-level p-values overstate significance; the per-image tests are the primary comparison.
 */
public final class PixelComparison {

    private PixelComparison() {
    }

    /**
     * Paired decision counts.
     *
     * @param onlyFirstCorrect voxels the first model gets right and the second wrong
     * @param onlySecondCorrect the reverse
     * @param total voxels compared
     * @param firstCorrect voxels the first model gets right
     * @param secondCorrect voxels the second model gets right
     */
    public record Decisions(long onlyFirstCorrect, long onlySecondCorrect, long total, long firstCorrect,
            long secondCorrect) {

        public Decisions plus(Decisions other) {
            return new Decisions(onlyFirstCorrect + other.onlyFirstCorrect, onlySecondCorrect
                    + other.onlySecondCorrect, total + other.total, firstCorrect + other.firstCorrect, secondCorrect
                    + other.secondCorrect);
        }

        public static Decisions none() {
            return new Decisions(0, 0, 0, 0, 0);
        }
    }

    /**
     * Counts the paired decisions of two label images for one label.
     *
     * @param binary read all images as binary masks (label must then be 1)
     */
    public static Decisions decisions(RandomAccessibleInterval<? extends RealType<?>> first,
            RandomAccessibleInterval<? extends RealType<?>> second,
            RandomAccessibleInterval<? extends RealType<?>> truth, int label, boolean binary) {
        long[] dims = InputChecks.sameSize("first prediction", first, "truth", truth);
        InputChecks.sameSize("second prediction", second, "truth", truth);
        Cursor<? extends RealType<?>> a = Views.flatIterable(first).cursor();
        Cursor<? extends RealType<?>> b = Views.flatIterable(second).cursor();
        Cursor<? extends RealType<?>> t = Views.flatIterable(truth).cursor();
        int[] position = new int[dims.length];
        long onlyFirst = 0;
        long onlySecond = 0;
        long total = 0;
        long firstCorrect = 0;
        long secondCorrect = 0;
        while (t.hasNext()) {
            boolean actual = is(t.next().getRealDouble(), label, binary, "truth", position);
            boolean okA = is(a.next().getRealDouble(), label, binary, "first prediction", position) == actual;
            boolean okB = is(b.next().getRealDouble(), label, binary, "second prediction", position) == actual;
            if (okA) {
                firstCorrect++;
            }
            if (okB) {
                secondCorrect++;
            }
            if (okA && !okB) {
                onlyFirst++;
            } else if (okB && !okA) {
                onlySecond++;
            }
            total++;
            InputChecks.advance(position, dims);
        }
        return new Decisions(onlyFirst, onlySecond, total, firstCorrect, secondCorrect);
    }

    private static boolean is(double value, int label, boolean binary, String role, int[] position) {
        if (binary) {
            return value != 0;
        }
        return InputChecks.label(value, role, position) == label;
    }

    /** Paired scores of two models on the voxels of several images, for DeLong's test of one label. */
    public static final class DeLongSamples {
        private final int label;
        private final boolean binary;
        private final Growing positivesA = new Growing();
        private final Growing positivesB = new Growing();
        private final Growing negativesA = new Growing();
        private final Growing negativesB = new Growing();

        /**
         * @param label the label whose voxels are the positive cases
         * @param binary read the truth as a binary mask (any non-zero value positive)
         */
        public DeLongSamples(int label, boolean binary) {
            this.label = label;
            this.binary = binary;
        }

        /** Adds the voxels of one image. */
        public void add(RandomAccessibleInterval<? extends RealType<?>> truth,
                RandomAccessibleInterval<? extends RealType<?>> scoresA,
                RandomAccessibleInterval<? extends RealType<?>> scoresB) {
            long[] dims = InputChecks.sameSize("first probability map", scoresA, "truth", truth);
            InputChecks.sameSize("second probability map", scoresB, "truth", truth);
            Cursor<? extends RealType<?>> t = Views.flatIterable(truth).cursor();
            Cursor<? extends RealType<?>> a = Views.flatIterable(scoresA).cursor();
            Cursor<? extends RealType<?>> b = Views.flatIterable(scoresB).cursor();
            int[] position = new int[dims.length];
            while (t.hasNext()) {
                boolean positive = is(t.next().getRealDouble(), label, binary, "truth", position);
                double sa = a.next().getRealDouble();
                double sb = b.next().getRealDouble();
                if (Double.isNaN(sa) || Double.isNaN(sb)) {
                    throw new EvaluationException("a probability map holds NaN at " + InputChecks.position(position));
                }
                if (positive) {
                    positivesA.add(sa);
                    positivesB.add(sb);
                } else {
                    negativesA.add(sa);
                    negativesB.add(sb);
                }
                InputChecks.advance(position, dims);
            }
        }

        public int positives() {
            return positivesA.size;
        }

        public int negatives() {
            return negativesA.size;
        }

        /** DeLong's test over all voxels added. */
        public PairedTests.DeLongResult test() {
            return PairedTests.deLong(positivesA.values(), negativesA.values(), positivesB.values(),
                    negativesB.values());
        }
    }

    /** A growing array of doubles. */
    private static final class Growing {
        private double[] data = new double[1024];
        private int size;

        void add(double v) {
            if (size == data.length) {
                if (size > Integer.MAX_VALUE / 2 - 8) {
                    throw new EvaluationException("too many voxels for one DeLong test");
                }
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        double[] values() {
            return Arrays.copyOf(data, size);
        }
    }
}
