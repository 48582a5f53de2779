package io.github.samfiji.image;

import java.util.Arrays;

/**
 * Exact Euclidean distance transform on an n-dimensional grid with anisotropic spacing, by the separable
 * algorithm of Felzenszwalb and Huttenlocher (Distance Transforms of Sampled Functions, Theory of Computing 8,
 * 2012): the squared distance is computed along one axis at a time as the lower envelope of parabolas rooted at
 * the values of the previous pass. Each pass is exact, so the result is the exact squared distance, in calibrated
 * units, to the nearest site (not an approximation such as a chamfer distance).
 *
 * <p>Arrays are flat with the first axis fastest ({@code index = x + nx * (y + ny * z)}), the order of imglib2's
 * flat iteration.
 */
public final class DistanceTransform {

    private DistanceTransform() {
    }

    /**
     * Squared distances to the nearest {@code true} voxel of {@code sites}; {@code +Infinity} everywhere when there
     * is no site.
     *
     * @param sites the voxels distances are measured to
     * @param dims the grid size, first axis fastest
     * @param spacing the voxel size along each axis, in calibrated units
     */
    public static double[] squared(boolean[] sites, int[] dims, double[] spacing) {
        int total = checkedSize(dims, spacing);
        if (sites.length != total) {
            throw new IllegalArgumentException("sites hold " + sites.length + " voxels, the grid " + total);
        }
        double[] distance = new double[total];
        for (int i = 0; i < total; i++) {
            distance[i] = sites[i] ? 0 : Double.POSITIVE_INFINITY;
        }
        int longest = Arrays.stream(dims).max().orElse(0);
        double[] line = new double[longest];
        double[] out = new double[longest];
        int[] vertices = new int[longest];
        double[] boundaries = new double[longest + 1];
        int stride = 1;
        for (int axis = 0; axis < dims.length; axis++) {
            int n = dims[axis];
            int block = stride * n;
            for (int outer = 0; outer < total; outer += block) {
                for (int inner = 0; inner < stride; inner++) {
                    int base = outer + inner;
                    for (int q = 0; q < n; q++) {
                        line[q] = distance[base + q * stride];
                    }
                    transformLine(line, n, spacing[axis], out, vertices, boundaries);
                    for (int q = 0; q < n; q++) {
                        distance[base + q * stride] = out[q];
                    }
                }
            }
            stride = block;
        }
        return distance;
    }

    /**
     * One-dimensional pass: out[q] = min over p of (h (q - p))^2 + f[p], over the finite f[p]. The envelope is
     * built in physical coordinates (index times spacing) so the spacing enters exactly.
     */
    static void transformLine(double[] f, int n, double h, double[] out, int[] v, double[] z) {
        int k = -1;
        for (int q = 0; q < n; q++) {
            if (f[q] == Double.POSITIVE_INFINITY) {
                continue;
            }
            double position = q * h;
            double height = f[q] + position * position;
            if (k < 0) {
                k = 0;
                v[0] = q;
                z[0] = Double.NEGATIVE_INFINITY;
                z[1] = Double.POSITIVE_INFINITY;
                continue;
            }
            // z[0] is -infinity, so the loop stops at k = 0 at the latest.
            double s = intersection(f, v[k], h, height, position);
            while (s <= z[k]) {
                k--;
                s = intersection(f, v[k], h, height, position);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        if (k < 0) {
            Arrays.fill(out, 0, n, Double.POSITIVE_INFINITY);
            return;
        }
        int j = 0;
        for (int q = 0; q < n; q++) {
            double position = q * h;
            while (z[j + 1] < position) {
                j++;
            }
            double d = position - v[j] * h;
            out[q] = d * d + f[v[j]];
        }
    }

    /** Where the parabola rooted at q (given by its height f + x^2 and position x) overtakes the one at p. */
    private static double intersection(double[] f, int p, double h, double height, double position) {
        double pp = p * h;
        return (height - (f[p] + pp * pp)) / (2 * (position - pp));
    }

    static int checkedSize(int[] dims, double[] spacing) {
        if (spacing.length != dims.length) {
            throw new IllegalArgumentException("spacing has " + spacing.length + " values for " + dims.length + " axes");
        }
        long total = 1;
        for (int d = 0; d < dims.length; d++) {
            if (dims[d] < 1) {
                throw new IllegalArgumentException("empty grid axis " + d);
            }
            if (!(spacing[d] > 0) || Double.isInfinite(spacing[d])) {
                throw new IllegalArgumentException("voxel spacing must be positive and finite, got " + spacing[d]
                        + " on axis " + d);
            }
            total *= dims[d];
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("region of " + total + " voxels is too large for one distance transform");
        }
        return (int) total;
    }
}
