package io.github.samfiji.image;

import java.util.Arrays;
import java.util.Objects;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.IntegerType;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.view.Views;

/**
 * How pixel values that are not already 8-bit are brought to the 0..255 range SAM expects.
 *
 * <h2>Rules</h2>
 * A mapping first chooses a range {@code [lo, hi]} from the image (or from the user), then maps each value
 * {@code v} to
 * <pre>  round(clamp((v - lo) / (hi - lo), 0, 1) * 255)</pre>
 * with halves rounded up. Values at or below {@code lo} become 0, values at or above {@code hi} become 255.
 * <ul>
 *   <li>{@code NaN} always becomes 0; {@code +∞} becomes 255 and {@code -∞} 0. Non-finite values are ignored when
 *       a range is computed from the data.</li>
 *   <li>If the range is empty ({@code hi <= lo}, e.g. a constant image, or an image of only NaNs), every pixel
 *       becomes 0.</li>
 * </ul>
 * The range depends on the {@linkplain Mode mode}:
 * <ul>
 *   <li>{@link Mode#AUTO} (the default): 8-bit unsigned data ({@code UnsignedByteType}, and the channels of
 *       {@code ARGBType}) is used as is, without any stretching (this is {@code TYPE_RANGE}, i.e. the identity);
 *       every other type uses {@code PERCENTILE} with the default 0.5 and 99.5 percentiles.</li>
 *   <li>{@link Mode#MIN_MAX}: the smallest and largest finite value of the given image (or slice).</li>
 *   <li>{@link Mode#PERCENTILE}: the low and high percentiles (default 0.5 and 99.5) of the finite values of the
 *       given image, as the MedSAM preprocessing does, so that a few outliers (hot pixels, saturated spots) do not
 *       compress the contrast. Percentiles interpolate linearly between sorted values, like NumPy's default
 *       ({@code np.percentile}): the p-th percentile of {@code n} values sits at sorted index {@code p/100 * (n-1)}.
 *       If the two percentiles coincide (e.g. an image that is almost entirely background) the data min..max is
 *       used instead.</li>
 *   <li>{@link Mode#FIXED}: a range given by the user ({@code min < max}), e.g. the display range of the image.</li>
 *   <li>{@link Mode#TYPE_RANGE}: the full range of the pixel type, e.g. 0..65535 for 16-bit unsigned, -32768..32767
 *       for 16-bit signed, 0..255 for 8-bit. Floating-point types have no useful type range; for them
 *       {@code TYPE_RANGE} means 0..1 (normalized intensities).</li>
 * </ul>
 * For colour data (three channels) one range is computed over all three channels together, so that the colour
 * balance is kept.
 */
public final class IntensityMapping {

    /** How the range {@code [lo, hi]} is chosen; see the class documentation. */
    public enum Mode {
        AUTO, MIN_MAX, PERCENTILE, FIXED, TYPE_RANGE
    }

    public static final double DEFAULT_LOW_PERCENTILE = 0.5;
    public static final double DEFAULT_HIGH_PERCENTILE = 99.5;

    /** Integer types whose range spans at most this many values are summarized with a histogram. */
    private static final double HISTOGRAM_LIMIT = 1 << 16;

    private static final IntensityMapping AUTO = new IntensityMapping(Mode.AUTO, 0, 0);
    private static final IntensityMapping MIN_MAX = new IntensityMapping(Mode.MIN_MAX, 0, 0);
    private static final IntensityMapping TYPE_RANGE = new IntensityMapping(Mode.TYPE_RANGE, 0, 0);
    private static final IntensityMapping PERCENTILE =
            new IntensityMapping(Mode.PERCENTILE, DEFAULT_LOW_PERCENTILE, DEFAULT_HIGH_PERCENTILE);

    private final Mode mode;
    private final double low;
    private final double high;

    private IntensityMapping(Mode mode, double low, double high) {
        this.mode = mode;
        this.low = low;
        this.high = high;
    }

    /** Identity for 8-bit unsigned data, 0.5..99.5 percentiles otherwise. */
    public static IntensityMapping automatic() {
        return AUTO;
    }

    public static IntensityMapping minMax() {
        return MIN_MAX;
    }

    /** The 0.5 and 99.5 percentiles. */
    public static IntensityMapping percentile() {
        return PERCENTILE;
    }

    /** The given percentiles, {@code 0 <= low < high <= 100}. */
    public static IntensityMapping percentile(double low, double high) {
        if (!(low >= 0 && low < high && high <= 100)) {
            throw new IllegalArgumentException("percentiles must satisfy 0 <= low < high <= 100: " + low + ", " + high);
        }
        return new IntensityMapping(Mode.PERCENTILE, low, high);
    }

    /** A fixed range, {@code min < max}, both finite. */
    public static IntensityMapping fixed(double min, double max) {
        if (!(Double.isFinite(min) && Double.isFinite(max) && min < max)) {
            throw new IllegalArgumentException("fixed range needs finite min < max: " + min + ", " + max);
        }
        return new IntensityMapping(Mode.FIXED, min, max);
    }

    public static IntensityMapping typeRange() {
        return TYPE_RANGE;
    }

    public Mode mode() {
        return mode;
    }

    /** The low percentile ({@code PERCENTILE}) or the minimum ({@code FIXED}); 0 for the other modes. */
    public double low() {
        return low;
    }

    /** The high percentile ({@code PERCENTILE}) or the maximum ({@code FIXED}); 0 for the other modes. */
    public double high() {
        return high;
    }

    /** The resolved range; {@link #map(double)} applies the rules of {@link IntensityMapping}. */
    public record Range(double lo, double hi) {

        /** Whether every value maps to 0 ({@code hi <= lo}). */
        public boolean isEmpty() {
            return !(hi > lo);
        }

        public int map(double v) {
            return IntensityMapping.map(v, lo, hi);
        }
    }

    /** {@code round(clamp((v - lo) / (hi - lo), 0, 1) * 255)}; 0 for NaN and for an empty range. */
    public static int map(double v, double lo, double hi) {
        if (Double.isNaN(v) || !(hi > lo)) {
            return 0;
        }
        double t = (v - lo) / (hi - lo);
        if (t <= 0) {
            return 0;
        }
        if (t >= 1) {
            return 255;
        }
        return (int) Math.floor(t * 255 + 0.5);
    }

    /**
     * The range this mapping uses for {@code data}: all of its samples (every channel, when it has a channel
     * dimension) count.
     */
    public <T extends RealType<T>> Range range(RandomAccessibleInterval<T> data) {
        Objects.requireNonNull(data, "data");
        T type = data.getType();
        return switch (mode) {
            case FIXED -> new Range(low, high);
            case TYPE_RANGE -> typeRange(type);
            case MIN_MAX -> minMaxOf(data);
            case PERCENTILE -> percentileRange(data, low, high);
            case AUTO -> type instanceof UnsignedByteType
                    ? typeRange(type)
                    : percentileRange(data, DEFAULT_LOW_PERCENTILE, DEFAULT_HIGH_PERCENTILE);
        };
    }

    private static Range typeRange(RealType<?> type) {
        if (type instanceof IntegerType) {
            return new Range(type.getMinValue(), type.getMaxValue());
        }
        return new Range(0, 1);
    }

    private static <T extends RealType<T>> Range minMaxOf(RandomAccessibleInterval<T> data) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (T t : Views.iterable(data)) {
            double v = t.getRealDouble();
            if (Double.isFinite(v)) {
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
        }
        return min <= max ? new Range(min, max) : new Range(0, 0);
    }

    private static <T extends RealType<T>> Range percentileRange(RandomAccessibleInterval<T> data, double pLow,
            double pHigh) {
        T type = data.getType();
        SortedValues sorted = type instanceof IntegerType && type.getMaxValue() - type.getMinValue() < HISTOGRAM_LIMIT
                ? Histogram.of(data, type.getMinValue(), type.getMaxValue())
                : SortedArray.of(data);
        long n = sorted.count();
        if (n == 0) {
            return new Range(0, 0);
        }
        double lo = percentile(sorted, pLow);
        double hi = percentile(sorted, pHigh);
        if (!(hi > lo)) {
            lo = sorted.get(0);
            hi = sorted.get(n - 1);
        }
        return new Range(lo, hi);
    }

    /** NumPy's default ("linear") percentile of {@code n >= 1} sorted values. */
    static double percentile(SortedValues sorted, double p) {
        long n = sorted.count();
        double index = p / 100.0 * (n - 1);
        long below = (long) Math.floor(index);
        if (below >= n - 1) {
            return sorted.get(n - 1);
        }
        double a = sorted.get(below);
        double b = sorted.get(below + 1);
        double t = index - below;
        double diff = b - a;
        // NumPy's _lerp: interpolate from the nearer end for accuracy
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /** Ascending finite sample values, accessed by rank. */
    interface SortedValues {
        long count();

        double get(long rank);
    }

    private static final class SortedArray implements SortedValues {
        private final double[] values;
        private final int n;

        private SortedArray(double[] values, int n) {
            this.values = values;
            this.n = n;
        }

        static <T extends RealType<T>> SortedArray of(RandomAccessibleInterval<T> data) {
            long size = Views.iterable(data).size();
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("too many pixels for a percentile: " + size);
            }
            double[] values = new double[(int) size];
            int n = 0;
            for (T t : Views.iterable(data)) {
                double v = t.getRealDouble();
                if (Double.isFinite(v)) {
                    values[n++] = v;
                }
            }
            Arrays.sort(values, 0, n);
            return new SortedArray(values, n);
        }

        @Override
        public long count() {
            return n;
        }

        @Override
        public double get(long rank) {
            return values[(int) rank];
        }
    }

    /** Counts per integer value; rank look-ups walk the cumulative counts. */
    private static final class Histogram implements SortedValues {
        private final long[] cumulative;
        private final double min;

        private Histogram(long[] cumulative, double min) {
            this.cumulative = cumulative;
            this.min = min;
        }

        static <T extends RealType<T>> Histogram of(RandomAccessibleInterval<T> data, double min, double max) {
            int bins = (int) (max - min) + 1;
            long[] counts = new long[bins];
            for (T t : Views.iterable(data)) {
                counts[(int) (t.getRealDouble() - min)]++;
            }
            for (int i = 1; i < bins; i++) {
                counts[i] += counts[i - 1];
            }
            return new Histogram(counts, min);
        }

        @Override
        public long count() {
            return cumulative[cumulative.length - 1];
        }

        @Override
        public double get(long rank) {
            // first bin whose cumulative count exceeds rank
            int lo = 0;
            int hi = cumulative.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] > rank) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return min + lo;
        }
    }

    @Override
    public String toString() {
        return switch (mode) {
            case PERCENTILE -> "PERCENTILE(" + low + ", " + high + ")";
            case FIXED -> "FIXED(" + low + ", " + high + ")";
            default -> mode.name();
        };
    }
}
