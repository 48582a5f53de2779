package io.github.samfiji.image;

/**
 * scikit-image's {@code transform.resize(image, (outH, outW), order=3, mode='reflect', preserve_range=True,
 * anti_aliasing=True)} for an H x W x C image, in double precision, followed where asked by NumPy's
 * {@code astype(np.uint8)}: what MedSAM's preprocessing does to every image.
 *
 * <p>The steps (skimage 0.19 on SciPy &ge; 1.6), each with SciPy's boundary handling and order of operations, so that
 * rounding, and therefore the truncation to 8 bits, matches:
 * <ol>
 *   <li>anti-aliasing: a Gaussian with {@code sigma = max(0, (in/out - 1) / 2)} per axis (axes with sigma 0 are
 *       skipped, as {@code ndimage.gaussian_filter} does), truncated at {@code int(4 sigma + 0.5)} pixels, normalised
 *       by NumPy's pairwise sum, applied axis by axis with 'mirror' borders (skimage's 'reflect', d c b | a b c d);</li>
 *   <li>the cubic B-spline prefilter along every axis, the channel axis included, with the exact mirror-symmetric
 *       initial conditions;</li>
 *   <li>cubic B-spline interpolation at {@code (k + 0.5) * in/out - 0.5} on every axis ({@code ndimage.zoom} with
 *       {@code grid_mode=True}), indices beyond the border mirrored, summing the 4 x 4 x 4 taps with the last axis
 *       fastest;</li>
 *   <li>clipping to the input's minimum and maximum, then truncation toward zero to 8 bits.</li>
 * </ol>
 */
public final class SkimageResize {

    /** The cubic B-spline's pole, sqrt(3) - 2, as SciPy writes it. */
    private static final double POLE = -0.267949192431122706472553658494127633;
    private static final int ORDER = 3;

    private SkimageResize() {
    }

    /**
     * Resizes an RGB image to {@code outW x outH} and casts the result to 8 bits as NumPy does
     * ({@code resize(...).astype(np.uint8)}).
     */
    public static Rgb8Image resizeToBytes(Rgb8Image image, int outW, int outH) {
        byte[] rgb = image.toBytes();
        double[] in = new double[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            in[i] = rgb[i] & 0xff;
        }
        double[] out = resize(in, image.height(), image.width(), 3, outH, outW);
        byte[] bytes = new byte[out.length];
        for (int i = 0; i < out.length; i++) {
            bytes[i] = (byte) toUint8(out[i]);
        }
        return new Rgb8Image(outW, outH, bytes);
    }

    /**
     * NumPy's float64 to uint8 cast: truncation toward zero, and (outside [0, 255], where C leaves it undefined) the
     * low 8 bits of the truncated integer, which is what x86-64 builds produce.
     */
    public static int toUint8(double v) {
        if (Double.isNaN(v)) {
            return 0;
        }
        return (int) ((long) v & 0xff);
    }

    /**
     * The resized image, H x W x C row-major doubles, clipped to the input's range (skimage's {@code clip=True}).
     *
     * @param hwc image values, row-major with the channel fastest
     */
    public static double[] resize(double[] hwc, int h, int w, int c, int outH, int outW) {
        if (h < 1 || w < 1 || c < 1 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException("sizes must be positive: " + h + " x " + w + " x " + c + " to "
                    + outH + " x " + outW);
        }
        if (hwc.length != (long) h * w * c) {
            throw new IllegalArgumentException("expected " + (long) h * w * c + " values, got " + hwc.length);
        }
        int[] shape = {h, w, c};
        int[] outShape = {outH, outW, c};
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : hwc) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double[] data = hwc.clone();
        for (int axis = 0; axis < 3; axis++) {
            double factor = (double) shape[axis] / outShape[axis];
            double sigma = Math.max(0, (factor - 1) / 2);
            if (sigma > 1e-15) {
                data = alongAxis(data, shape, axis, gaussianLine(gaussianKernel(sigma)));
            }
        }
        for (int axis = 0; axis < 3; axis++) {
            if (shape[axis] > 1) {
                data = alongAxis(data, shape, axis, SkimageResize::splineFilterLine);
            }
        }
        double[] out = zoom(data, shape, outShape);
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.min(Math.max(out[i], min), max);
        }
        return out;
    }

    /** A 1-D operation on one line of samples, writing a new line. */
    interface LineOp {
        double[] apply(double[] line);
    }

    /**
     * Applies {@code op} to every line of {@code data} along {@code axis}, in place (lines are independent), so a large
     * image needs one working copy only; returns {@code data}.
     */
    static double[] alongAxis(double[] data, int[] shape, int axis, LineOp op) {
        int n = shape[axis];
        int stride = 1;
        for (int a = axis + 1; a < shape.length; a++) {
            stride *= shape[a];
        }
        int outer = data.length / (n * stride);
        double[] line = new double[n];
        for (int o = 0; o < outer; o++) {
            for (int s = 0; s < stride; s++) {
                int base = o * n * stride + s;
                for (int i = 0; i < n; i++) {
                    line[i] = data[base + i * stride];
                }
                double[] r = op.apply(line);
                for (int i = 0; i < n; i++) {
                    data[base + i * stride] = r[i];
                }
            }
        }
        return data;
    }

    /**
     * SciPy's Gaussian kernel: {@code exp(-0.5 / sigma^2 * x^2)} for x in [-r, r], {@code r = int(4 sigma + 0.5)},
     * divided by its NumPy sum.
     */
    static double[] gaussianKernel(double sigma) {
        int radius = (int) (4.0 * sigma + 0.5);
        double sigma2 = sigma * sigma;
        double scale = -0.5 / sigma2;
        double[] phi = new double[2 * radius + 1];
        for (int i = 0; i < phi.length; i++) {
            long x = i - radius;
            phi[i] = Math.exp(scale * (double) (x * x));
        }
        double sum = numpySum(phi, 0, phi.length);
        for (int i = 0; i < phi.length; i++) {
            phi[i] = phi[i] / sum;
        }
        return phi;
    }

    /** NumPy's pairwise summation of a contiguous float64 run (blocks of 128, eight partial sums). */
    static double numpySum(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.;
            for (int i = 0; i < n; i++) {
                res += a[from + i];
            }
            return res;
        }
        if (n <= 128) {
            double[] r = new double[8];
            for (int k = 0; k < 8; k++) {
                r[k] = a[from + k];
            }
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                for (int k = 0; k < 8; k++) {
                    r[k] += a[from + i + k];
                }
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) {
                res += a[from + i];
            }
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return numpySum(a, from, n2) + numpySum(a, from + n2, n - n2);
    }

    /** {@code ndimage.correlate1d} with a symmetric kernel and 'mirror' borders, in SciPy's order of operations. */
    static LineOp gaussianLine(double[] weights) {
        int half = weights.length / 2;
        return line -> {
            int n = line.length;
            double[] out = new double[n];
            for (int l = 0; l < n; l++) {
                double v = line[l] * weights[half];
                for (int j = -half; j < 0; j++) {
                    v += (line[mirror(l + j, n)] + line[mirror(l - j, n)]) * weights[half + j];
                }
                out[l] = v;
            }
            return out;
        };
    }

    /** Whole-sample mirror of an index into [0, n): d c b | a b c d | c b a (SciPy's 'mirror'). */
    static int mirror(long idx, int n) {
        if (n <= 1) {
            return 0;
        }
        long period = 2L * n - 2;
        if (idx < 0) {
            idx = period * (-idx / period) + idx;
            idx = idx <= 1 - n ? idx + period : -idx;
        } else if (idx > n - 1) {
            idx -= period * (idx / period);
            if (idx >= n) {
                idx = period - idx;
            }
        }
        return (int) idx;
    }

    /** SciPy's mirror mapping of a coordinate outside [0, n - 1] (its {@code map_coordinate}). */
    static double mirrorCoordinate(double in, int n) {
        if (n <= 1) {
            return in < 0 || in > n - 1 ? 0 : in;
        }
        long period = 2L * n - 2;
        if (in < 0) {
            in = period * (long) (-in / period) + in;
            in = in <= 1 - n ? in + period : -in;
        } else if (in > n - 1) {
            in -= period * (long) (in / period);
            if (in >= n) {
                in = period - in;
            }
        }
        return in;
    }

    /** The cubic B-spline prefilter of one line (SciPy's {@code apply_filter}, mirror-symmetric boundaries). */
    static double[] splineFilterLine(double[] line) {
        int n = line.length;
        double[] c = line.clone();
        double z = POLE;
        double gain = (1.0 - z) * (1.0 - 1.0 / z);
        for (int i = 0; i < n; i++) {
            c[i] *= gain;
        }
        // causal initial value
        double zi = z;
        double zn1 = Math.pow(z, n - 1);
        c[0] = c[0] + zn1 * c[n - 1];
        for (int i = 1; i < n - 1; ++i) {
            c[0] += zi * (c[i] + zn1 * c[n - 1 - i]);
            zi *= z;
        }
        c[0] /= 1 - zn1 * zn1;
        for (int i = 1; i < n; ++i) {
            c[i] += z * c[i - 1];
        }
        // anti-causal initial value
        c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1);
        for (int i = n - 2; i >= 0; --i) {
            c[i] = z * (c[i + 1] - c[i]);
        }
        return c;
    }

    /** SciPy's cubic interpolation weights of the 4 knots around {@code x} (its {@code get_spline_interpolation_weights}). */
    static double[] splineWeights(double x) {
        double[] w = new double[4];
        x -= Math.floor(x);
        double y = x;
        double z = 1.0 - x;
        w[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
        w[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
        w[0] = z * z * z / 6.0;
        w[3] = 1.0;
        for (int i = 0; i < 3; ++i) {
            w[3] -= w[i];
        }
        return w;
    }

    /** Taps along one axis: for each output index, the 4 input indices (mirrored at the borders) and their weights. */
    private record AxisTaps(int[][] index, double[][] weight) {
    }

    private static AxisTaps taps(int in, int out) {
        double zoom = (double) in / out;
        int[][] index = new int[out][ORDER + 1];
        double[][] weight = new double[out][];
        for (int k = 0; k < out; k++) {
            double cc = k;
            cc += 0.5;
            cc *= zoom;
            cc -= 0.5;
            cc = mirrorCoordinate(cc, in);
            long start = (long) Math.floor(cc) - ORDER / 2;
            for (int h = 0; h <= ORDER; h++) {
                index[k][h] = mirror(start + h, in);
            }
            weight[k] = splineWeights(cc);
        }
        return new AxisTaps(index, weight);
    }

    /** {@code ndimage.zoom(coefficients, order=3, mode='mirror', grid_mode=True, prefilter=False)} for rank 3. */
    private static double[] zoom(double[] coefficients, int[] shape, int[] outShape) {
        AxisTaps a0 = taps(shape[0], outShape[0]);
        AxisTaps a1 = taps(shape[1], outShape[1]);
        AxisTaps a2 = taps(shape[2], outShape[2]);
        int s0 = shape[1] * shape[2];
        int s1 = shape[2];
        double[] out = new double[outShape[0] * outShape[1] * outShape[2]];
        int o = 0;
        for (int i = 0; i < outShape[0]; i++) {
            int[] i0 = a0.index()[i];
            double[] w0 = a0.weight()[i];
            for (int j = 0; j < outShape[1]; j++) {
                int[] i1 = a1.index()[j];
                double[] w1 = a1.weight()[j];
                for (int k = 0; k < outShape[2]; k++) {
                    int[] i2 = a2.index()[k];
                    double[] w2 = a2.weight()[k];
                    double t = 0.0;
                    for (int p = 0; p <= ORDER; p++) {
                        int b0 = i0[p] * s0;
                        for (int q = 0; q <= ORDER; q++) {
                            int b1 = b0 + i1[q] * s1;
                            for (int r = 0; r <= ORDER; r++) {
                                double coeff = coefficients[b1 + i2[r]];
                                coeff *= w0[p];
                                coeff *= w1[q];
                                coeff *= w2[r];
                                t += coeff;
                            }
                        }
                    }
                    out[o++] = t;
                }
            }
        }
        return out;
    }
}
