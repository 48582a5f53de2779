package io.github.samfiji.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DistanceTransformTest {

    @Test
    void matchesBruteForceOnRandomAnisotropicGrids() {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            int axes = 1 + trial % 3;
            int[] dims = new int[axes];
            double[] spacing = new double[axes];
            int total = 1;
            for (int d = 0; d < axes; d++) {
                dims[d] = 1 + random.nextInt(9);
                spacing[d] = 0.2 + 3 * random.nextDouble();
                total *= dims[d];
            }
            boolean[] sites = new boolean[total];
            for (int i = 0; i < total; i++) {
                sites[i] = random.nextDouble() < 0.15;
            }
            double[] fast = DistanceTransform.squared(sites, dims, spacing);
            double[] slow = bruteForce(sites, dims, spacing);
            for (int i = 0; i < total; i++) {
                assertEquals(slow[i], fast[i], 1e-9 * Math.max(1, slow[i]), "trial " + trial + " voxel " + i);
            }
        }
    }

    @Test
    void noSitesGivesInfinity() {
        double[] d = DistanceTransform.squared(new boolean[6], new int[] {3, 2}, new double[] {1, 1});
        for (double v : d) {
            assertEquals(Double.POSITIVE_INFINITY, v);
        }
    }

    private static double[] bruteForce(boolean[] sites, int[] dims, double[] spacing) {
        int total = sites.length;
        double[] out = new double[total];
        for (int i = 0; i < total; i++) {
            int[] a = coordinates(i, dims);
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < total; j++) {
                if (sites[j]) {
                    int[] b = coordinates(j, dims);
                    double sum = 0;
                    for (int d = 0; d < dims.length; d++) {
                        double delta = (a[d] - b[d]) * spacing[d];
                        sum += delta * delta;
                    }
                    best = Math.min(best, sum);
                }
            }
            out[i] = best;
        }
        return out;
    }

    private static int[] coordinates(int index, int[] dims) {
        int[] c = new int[dims.length];
        for (int d = 0; d < dims.length; d++) {
            c[d] = index % dims[d];
            index /= dims[d];
        }
        return c;
    }
}
