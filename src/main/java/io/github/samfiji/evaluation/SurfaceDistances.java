package io.github.samfiji.evaluation;

import java.util.Arrays;
import io.github.samfiji.image.DistanceTransform;

/**
 * Surface distances between two binary masks, with the definitions of medpy ({@code medpy.metric.binary.hd95}
 * and {@code assd}), which are also those of the reference script in the tests:
 * <ul>
 * <li>The surface of a mask is its voxels that have at least one face neighbour (4-connectivity in 2D,
 * 6-connectivity in 3D) outside the mask; voxels outside the image count as outside the mask, so an object
 * touching the border has surface there (scipy's {@code binary_erosion} with its default border value 0).</li>
 * <li>The directed distances from A to B are, for every surface voxel of A, the Euclidean distance in calibrated
 * units to the nearest surface voxel of B.</li>
 * <li>HD95 is the 95th percentile (linear interpolation between order statistics, as numpy's default) of the
 * directed distances of both directions pooled together. (MONAI instead takes the larger of the two directed
 * 95th percentiles; the two agree for symmetric errors and differ slightly otherwise.)</li>
 * <li>ASSD is the mean of the two directed mean distances.</li>
 * </ul>
 * Both masks must be non-empty; the caller handles the empty cases.
 */
public final class SurfaceDistances {

    private final double[] fromPrediction;
    private final double[] fromTruth;

    private SurfaceDistances(double[] fromPrediction, double[] fromTruth) {
        this.fromPrediction = fromPrediction;
        this.fromTruth = fromTruth;
    }

    /**
     * Computes the directed distances of both masks on one grid.
     *
     * @param prediction the predicted mask, flat, first axis fastest
     * @param truth the true mask on the same grid
     * @param dims grid size
     * @param spacing voxel size per axis in calibrated units
     */
    public static SurfaceDistances of(boolean[] prediction, boolean[] truth, int[] dims, double[] spacing) {
        boolean[] predictionSurface = surface(prediction, dims);
        boolean[] truthSurface = surface(truth, dims);
        double[] toTruth;
        double[] toPrediction;
        try {
            toTruth = DistanceTransform.squared(truthSurface, dims, spacing);
            toPrediction = DistanceTransform.squared(predictionSurface, dims, spacing);
        } catch (IllegalArgumentException e) {
            // Bad spacing or a region too large: an evaluation input problem, reported as such.
            throw new EvaluationException(e.getMessage());
        }
        return new SurfaceDistances(sample(toTruth, predictionSurface), sample(toPrediction, truthSurface));
    }

    /** Distances from each surface voxel of the prediction to the truth's surface, in voxel order. */
    public double[] fromPrediction() {
        return fromPrediction.clone();
    }

    /** Distances from each surface voxel of the truth to the prediction's surface, in voxel order. */
    public double[] fromTruth() {
        return fromTruth.clone();
    }

    /** The 95th percentile of all directed distances pooled. */
    public double hd95() {
        double[] all = new double[fromPrediction.length + fromTruth.length];
        System.arraycopy(fromPrediction, 0, all, 0, fromPrediction.length);
        System.arraycopy(fromTruth, 0, all, fromPrediction.length, fromTruth.length);
        Arrays.sort(all);
        return SummaryStatistics.quantileOfSorted(all, 0.95);
    }

    /** The mean of the two directed mean distances. */
    public double assd() {
        return (mean(fromPrediction) + mean(fromTruth)) / 2;
    }

    /** Voxels of the mask with a face neighbour outside the mask or outside the grid. */
    public static boolean[] surface(boolean[] mask, int[] dims) {
        int total = mask.length;
        int[] strides = new int[dims.length];
        int stride = 1;
        for (int d = 0; d < dims.length; d++) {
            strides[d] = stride;
            stride *= dims[d];
        }
        if (stride != total) {
            throw new IllegalArgumentException("mask holds " + total + " voxels, the grid " + stride);
        }
        boolean[] surface = new boolean[total];
        int[] position = new int[dims.length];
        for (int i = 0; i < total; i++) {
            if (mask[i]) {
                boolean border = false;
                for (int d = 0; d < dims.length && !border; d++) {
                    int p = position[d];
                    border = p == 0 || p == dims[d] - 1 || !mask[i - strides[d]] || !mask[i + strides[d]];
                }
                surface[i] = border;
            }
            for (int d = 0; d < dims.length; d++) {
                if (++position[d] < dims[d]) {
                    break;
                }
                position[d] = 0;
            }
        }
        return surface;
    }

    private static double[] sample(double[] squaredDistance, boolean[] where) {
        int count = 0;
        for (boolean b : where) {
            if (b) {
                count++;
            }
        }
        double[] values = new double[count];
        int k = 0;
        for (int i = 0; i < where.length; i++) {
            if (where[i]) {
                values[k++] = Math.sqrt(squaredDistance[i]);
            }
        }
        return values;
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
