package io.github.samfiji.imagejio.medical;

/**
 * Small geometry for voxel-to-world affines (3 rows of 4; world in RAS+ as NIfTI defines it): quaternions both
 * ways, and the axis permutation and flips that bring a volume into the display order sam-fiji uses.
 */
final class Affines {

    private Affines() {
    }

    /** The rotation matrix of the unit quaternion (a, b, c, d) whose a is implied as sqrt(1 - b² - c² - d²). */
    static double[][] rotation(double b, double c, double d) {
        if (!Double.isFinite(b) || !Double.isFinite(c) || !Double.isFinite(d)) {
            b = 0;
            c = 0;
            d = 0;
        }
        double a2 = 1 - (b * b + c * c + d * d);
        double a;
        if (a2 < 1e-7) { // a 180-degree rotation: a is 0, and (b, c, d) is renormalized
            double n = Math.sqrt(b * b + c * c + d * d);
            b /= n;
            c /= n;
            d /= n;
            a = 0;
        } else {
            a = Math.sqrt(a2);
        }
        return new double[][] {
            {a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
            {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)},
            {2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b}};
    }

    /**
     * The quaternion (b, c, d) and handedness qfac (+1 or -1) of an affine's rotation part, after its columns are
     * divided by their lengths; a shear, which a quaternion cannot hold, is approximated (the sform keeps it).
     *
     * @return {b, c, d, qfac}
     */
    static double[] quaternion(double[][] affine) {
        double[][] r = new double[3][3];
        for (int col = 0; col < 3; col++) {
            double n = Math.sqrt(sq(affine[0][col]) + sq(affine[1][col]) + sq(affine[2][col]));
            for (int row = 0; row < 3; row++) {
                r[row][col] = n > 0 ? affine[row][col] / n : (row == col ? 1 : 0);
            }
        }
        double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) - r[0][1] * (r[1][0] * r[2][2] - r[1][2]
                * r[2][0]) + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
        double qfac = 1;
        if (det < 0) { // a reflection: NIfTI stores it as qfac = -1 on the third axis
            qfac = -1;
            for (int row = 0; row < 3; row++) {
                r[row][2] = -r[row][2];
            }
        }
        // From the largest of the four squared components, for accuracy near 180-degree rotations.
        double trace = r[0][0] + r[1][1] + r[2][2];
        double a;
        double b;
        double c;
        double d;
        if (trace > 0) {
            double s = 2 * Math.sqrt(1 + trace);
            a = s / 4;
            b = (r[2][1] - r[1][2]) / s;
            c = (r[0][2] - r[2][0]) / s;
            d = (r[1][0] - r[0][1]) / s;
        } else if (r[0][0] > r[1][1] && r[0][0] > r[2][2]) {
            double s = 2 * Math.sqrt(1 + r[0][0] - r[1][1] - r[2][2]);
            a = (r[2][1] - r[1][2]) / s;
            b = s / 4;
            c = (r[0][1] + r[1][0]) / s;
            d = (r[0][2] + r[2][0]) / s;
        } else if (r[1][1] > r[2][2]) {
            double s = 2 * Math.sqrt(1 + r[1][1] - r[0][0] - r[2][2]);
            a = (r[0][2] - r[2][0]) / s;
            b = (r[0][1] + r[1][0]) / s;
            c = s / 4;
            d = (r[1][2] + r[2][1]) / s;
        } else {
            double s = 2 * Math.sqrt(1 + r[2][2] - r[0][0] - r[1][1]);
            a = (r[1][0] - r[0][1]) / s;
            b = (r[0][2] + r[2][0]) / s;
            c = (r[1][2] + r[2][1]) / s;
            d = s / 4;
        }
        if (a < 0) { // NIfTI keeps a >= 0 (a is not stored)
            b = -b;
            c = -c;
            d = -d;
        }
        return new double[] {b, c, d, qfac};
    }

    /**
     * How the voxel axes of a file map onto ImageJ's x, y and z: {@code target[a]} is the ImageJ axis that file
     * axis a becomes, and {@code flip[a]} whether it runs backwards there.
     */
    record Reorientation(int[] target, boolean[] flip) {

        boolean identity() {
            for (int a = 0; a < 3; a++) {
                if (target[a] != a || flip[a]) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The reorientation that shows a volume as radiology viewers (ITK-SNAP, DICOM viewers) show its axial view:
     * ImageJ x runs to the patient's left, y to the back (posterior), z upwards (superior), i.e. the axes are the
     * nearest ones to LPS+. Each world direction is given to the voxel axis most aligned with it, largest first.
     * For a single plane (z size 1), the plane stays a plane: only x and y may be flipped, so that x runs left or
     * back and y runs back or down, as the viewers' axial, coronal and sagittal views do.
     */
    static Reorientation toDisplay(double[][] rasAffine, boolean singlePlane) {
        double[][] lps = new double[3][3];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                lps[r][c] = (r < 2 ? -1 : 1) * rasAffine[r][c];
            }
        }
        int[] target = {0, 1, 2};
        boolean[] flip = new boolean[3];
        if (singlePlane) {
            for (int a = 0; a < 2; a++) {
                int world = dominant(lps, a);
                double v = lps[world][a];
                // x: toward L or P (or S); y: toward P or down (I)
                flip[a] = a == 0 ? v < 0 : (world == 2 ? v > 0 : v < 0);
            }
            return new Reorientation(target, flip);
        }
        boolean[] rowUsed = new boolean[3];
        boolean[] colUsed = new boolean[3];
        for (int step = 0; step < 3; step++) {
            int bestRow = -1;
            int bestCol = -1;
            double best = -1;
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) {
                    double n = norm(lps, c);
                    double v = n > 0 ? Math.abs(lps[r][c]) / n : 0;
                    if (!rowUsed[r] && !colUsed[c] && v > best) {
                        best = v;
                        bestRow = r;
                        bestCol = c;
                    }
                }
            }
            rowUsed[bestRow] = true;
            colUsed[bestCol] = true;
            target[bestCol] = bestRow;
            flip[bestCol] = lps[bestRow][bestCol] < 0;
        }
        return new Reorientation(target, flip);
    }

    /**
     * The affine of the reoriented grid: voxel (x, y, z) of ImageJ to RAS+ world, for file sizes {@code size}.
     */
    static double[][] reoriented(double[][] affine, Reorientation plan, long[] size) {
        double[][] out = new double[3][4];
        for (int r = 0; r < 3; r++) {
            out[r][3] = affine[r][3];
        }
        for (int a = 0; a < 3; a++) {
            int t = plan.target()[a];
            double sign = plan.flip()[a] ? -1 : 1;
            for (int r = 0; r < 3; r++) {
                out[r][t] = sign * affine[r][a];
                if (plan.flip()[a]) {
                    out[r][3] += affine[r][a] * (size[a] - 1);
                }
            }
        }
        return out;
    }

    private static int dominant(double[][] m, int col) {
        int best = 0;
        for (int r = 1; r < 3; r++) {
            if (Math.abs(m[r][col]) > Math.abs(m[best][col])) {
                best = r;
            }
        }
        return best;
    }

    private static double norm(double[][] m, int col) {
        return Math.sqrt(sq(m[0][col]) + sq(m[1][col]) + sq(m[2][col]));
    }

    private static double sq(double v) {
        return v * v;
    }
}
