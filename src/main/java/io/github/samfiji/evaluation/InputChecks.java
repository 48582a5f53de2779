package io.github.samfiji.evaluation;

import java.util.Locale;
import net.imglib2.Interval;

/** Checks shared by the metrics: matching sizes, integer labels, readable positions. */
final class InputChecks {

    private static final String[] AXES = {"x", "y", "z", "t"};

    private InputChecks() {
    }

    /** The common size of the images, or a message saying how they differ. */
    static long[] sameSize(String role, Interval image, String referenceRole, Interval reference) {
        long[] dims = reference.dimensionsAsLongArray();
        long[] other = image.dimensionsAsLongArray();
        if (dims.length != other.length) {
            throw new EvaluationException(role + " is " + describe(other) + " but " + referenceRole + " is "
                    + describe(dims) + ": both must be 2D images or both 3D stacks of the same size");
        }
        if (dims.length == 3 && dims[2] != other[2]) {
            throw new EvaluationException(role + " has " + other[2] + " slices but " + referenceRole + " has "
                    + dims[2] + ": the stacks must have the same number of slices");
        }
        for (int d = 0; d < dims.length; d++) {
            if (dims[d] != other[d]) {
                throw new EvaluationException(role + " is " + describe(other) + " but " + referenceRole + " is "
                        + describe(dims) + ": the images must have the same size");
            }
        }
        return dims;
    }

    static String describe(long[] dims) {
        StringBuilder text = new StringBuilder(dims.length == 3 ? "a stack of " : dims.length == 2 ? "" : dims.length
                + "D ");
        for (int d = 0; d < dims.length; d++) {
            if (d > 0) {
                text.append('x');
            }
            text.append(dims[d]);
        }
        text.append(dims.length == 3 ? " (width x height x slices)" : dims.length == 2 ? " pixels" : "");
        return text.toString();
    }

    /**
     * A voxel value as a label: 0 is background, positive integers are labels; anything else is refused with the
     * position, since a label image with fractions is almost always a probability map given in the wrong place.
     */
    static int label(double value, String role, int[] position) {
        if (value == 0) {
            return 0;
        }
        if (value > 0 && value <= Integer.MAX_VALUE && value == Math.rint(value)) {
            return (int) value;
        }
        throw new EvaluationException(role + " holds the value " + format(value) + " at " + position(position)
                + ", but labels must be non-negative integers (0 = background); give a probability map as the"
                + " probability input, or read the image as a binary mask (any non-zero value = foreground)");
    }

    static String position(int[] position) {
        StringBuilder text = new StringBuilder("(");
        for (int d = 0; d < position.length; d++) {
            if (d > 0) {
                text.append(", ");
            }
            text.append(d < AXES.length ? AXES[d] : "axis" + d).append('=').append(position[d]);
        }
        return text.append(')').toString();
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%s", value);
    }

    /** Steps a position in flat order (first axis fastest). */
    static void advance(int[] position, long[] dims) {
        for (int d = 0; d < position.length; d++) {
            if (++position[d] < dims[d]) {
                return;
            }
            position[d] = 0;
        }
    }

    static int toInt(long size, String what) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new EvaluationException(what + " has " + size + " voxels, more than one array can hold");
        }
        return (int) size;
    }
}
