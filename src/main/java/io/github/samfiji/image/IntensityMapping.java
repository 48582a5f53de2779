package io.github.samfiji.image;

import java.util.Arrays;

/**
 * How pixel values become SAM's 0..255 input.
 * <ul>
 * <li>{@code AUTO} (default): 8-bit data is used as it is; any other type is mapped by the 0.5th..99.5th
 * percentile of the plane, robust to a few hot or dead pixels (the usual preprocessing of medical SAM models).</li>
 * <li>{@code MIN_MAX}: the plane's minimum..maximum.</li>
 * <li>{@code PERCENTILE}: given low..high percentiles of the plane.</li>
 * <li>{@code FIXED}: given values low..high (e.g. a CT window), the same for every image.</li>
 * <li>{@code TYPE_RANGE}: the pixel type's own range (0..65535 for 16-bit), i.e. no stretching.</li>
 * </ul>
 * A value v maps to round(clamp((v - low) / (high - low), 0, 1) * 255). NaN maps to 0; when high <= low (a
 * constant plane) everything maps to 0. Colour channels share one range, so colours keep their balance.
 */
public record IntensityMapping(Mode mode, double low, double high) {

    public enum Mode { AUTO, MIN_MAX, PERCENTILE, FIXED, TYPE_RANGE }

    public static final IntensityMapping AUTO = new IntensityMapping(Mode.AUTO, 0.5, 99.5);

    public IntensityMapping {
        if ((mode == Mode.PERCENTILE || mode == Mode.AUTO) && !(low >= 0 && high <= 100 && low < high)) {
            throw new IllegalArgumentException("percentiles must satisfy 0 <= low < high <= 100, got " + low + ", " + high);
        }
        if (mode == Mode.FIXED && !(low < high)) {
            throw new IllegalArgumentException("fixed intensity range needs low < high, got " + low + ", " + high);
        }
    }

    public static IntensityMapping minMax() {
        return new IntensityMapping(Mode.MIN_MAX, 0, 0);
    }

    public static IntensityMapping percentile(double low, double high) {
        return new IntensityMapping(Mode.PERCENTILE, low, high);
    }

    public static IntensityMapping fixed(double low, double high) {
        return new IntensityMapping(Mode.FIXED, low, high);
    }

    public static IntensityMapping typeRange() {
        return new IntensityMapping(Mode.TYPE_RANGE, 0, 0);
    }

    /**
     * The value range {low, high} to stretch over 0..255, from the plane's finite values and the type's range.
     */
    double[] range(float[] values, double typeMin, double typeMax) {
        return switch (mode) {
            case FIXED -> new double[] {low, high};
            case TYPE_RANGE -> new double[] {typeMin, typeMax};
            case MIN_MAX -> {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (float v : values) {
                    if (Float.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
                yield lo <= hi ? new double[] {lo, hi} : new double[] {0, 0};
            }
            case AUTO, PERCENTILE -> {
                float[] finite = Arrays.copyOf(values, values.length);
                int n = 0;
                for (float v : values) {
                    if (Float.isFinite(v)) {
                        finite[n++] = v;
                    }
                }
                Arrays.sort(finite, 0, n);
                yield n == 0 ? new double[] {0, 0} : new double[] {percentile(finite, n, low), percentile(finite, n, high)};
            }
        };
    }

    /** NumPy's default (linear interpolation) percentile of the first n sorted values. */
    static double percentile(float[] sorted, int n, double p) {
        double rank = p / 100.0 * (n - 1);
        int below = (int) Math.floor(rank);
        int above = Math.min(below + 1, n - 1);
        double f = rank - below;
        return sorted[below] + (sorted[above] - (double) sorted[below]) * f;
    }

    static int map(double v, double lo, double hi) {
        if (Double.isNaN(v) || !(hi > lo)) {
            return 0;
        }
        double t = (v - lo) / (hi - lo);
        return (int) Math.round(Math.max(0, Math.min(1, t)) * 255);
    }
}
