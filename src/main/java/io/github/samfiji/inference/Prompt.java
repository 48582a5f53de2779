package io.github.samfiji.inference;

import java.util.ArrayList;
import java.util.List;

/**
 * The prompts for one object, in pixel coordinates of the original image (x right, y down): points with labels
 * (1 = object, 0 = background), an optional box, and an optional low-resolution mask from a previous prediction.
 */
public record Prompt(List<Point> points, Box box, float[] maskInput) {

    public record Point(double x, double y, int label) {
        public Point {
            if (label != 0 && label != 1) {
                throw new IllegalArgumentException("point label must be 1 (object) or 0 (background), got " + label);
            }
            if (!Double.isFinite(x) || !Double.isFinite(y)) {
                throw new IllegalArgumentException("point coordinates must be finite numbers");
            }
        }
    }

    public record Box(double x0, double y0, double x1, double y1) {
        public Box {
            if (!Double.isFinite(x0) || !Double.isFinite(y0) || !Double.isFinite(x1) || !Double.isFinite(y1)) {
                throw new IllegalArgumentException(String.format(
                        "box (%s, %s, %s, %s): corners must be finite numbers", fmt(x0), fmt(y0), fmt(x1), fmt(y1)));
            }
            if (!(x1 >= x0) || !(y1 >= y0)) {
                throw new IllegalArgumentException(String.format(
                        "box (%s, %s, %s, %s) is inverted: it needs x1 >= x0 and y1 >= y0 (corners top-left then bottom-right)",
                        fmt(x0), fmt(y0), fmt(x1), fmt(y1)));
            }
        }
    }

    public Prompt {
        points = List.copyOf(points == null ? List.of() : points);
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean isEmpty() {
        return points.isEmpty() && box == null && maskInput == null;
    }

    static String fmt(double v) {
        return Double.isFinite(v) && v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    public static final class Builder {
        private final List<Point> points = new ArrayList<>();
        private Box box;
        private float[] mask;

        public Builder point(double x, double y, int label) {
            points.add(new Point(x, y, label));
            return this;
        }

        public Builder box(double x0, double y0, double x1, double y1) {
            box = new Box(x0, y0, x1, y1);
            return this;
        }

        public Builder maskInput(float[] lowResLogits) {
            mask = lowResLogits;
            return this;
        }

        public Prompt build() {
            return new Prompt(points, box, mask);
        }
    }
}
