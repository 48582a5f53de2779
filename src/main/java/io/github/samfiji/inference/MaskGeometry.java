package io.github.samfiji.inference;

import io.github.samfiji.image.DistanceTransform;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Geometry of binary masks stored row-major as {@code boolean[width * height]}: bounding boxes, connected
 * components, the deepest interior pixel, overlap. Shared by automatic mask generation, 3D propagation and the
 * interactive evaluation protocol, so that all of them derive prompts from masks the same way.
 */
public final class MaskGeometry {

    private MaskGeometry() {
    }

    /** Inclusive pixel bounds {x0, y0, x1, y1} of the true pixels, or null when the mask is empty. */
    public static int[] bounds(boolean[] mask, int width) {
        int x0 = Integer.MAX_VALUE;
        int y0 = Integer.MAX_VALUE;
        int x1 = -1;
        int y1 = -1;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                int x = i % width;
                int y = i / width;
                x0 = Math.min(x0, x);
                x1 = Math.max(x1, x);
                y0 = Math.min(y0, y);
                y1 = Math.max(y1, y);
            }
        }
        return x1 < 0 ? null : new int[] {x0, y0, x1, y1};
    }

    public static long area(boolean[] mask) {
        long n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** Intersection over union; 1 when both masks are empty (they agree perfectly). */
    public static double iou(boolean[] a, boolean[] b) {
        long inter = 0;
        long union = 0;
        for (int i = 0; i < a.length; i++) {
            inter += a[i] && b[i] ? 1 : 0;
            union += a[i] || b[i] ? 1 : 0;
        }
        return union == 0 ? 1.0 : (double) inter / union;
    }

    /** Dice coefficient; 1 when both masks are empty. */
    public static double dice(boolean[] a, boolean[] b) {
        long both = 0;
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            both += a[i] && b[i] ? 1 : 0;
            sum += (a[i] ? 1 : 0) + (b[i] ? 1 : 0);
        }
        return sum == 0 ? 1.0 : 2.0 * both / sum;
    }

    /**
     * The ellipse inscribed in the box of pixels x0..x1, y0..y1 (inclusive; real-valued corners allowed) on a
     * width x height grid: the trivial baseline of a box prompt.
     */
    public static boolean[] inscribedEllipse(int width, int height, double x0, double y0, double x1, double y1) {
        boolean[] ellipse = new boolean[width * height];
        double cx = (x0 + x1) / 2;
        double cy = (y0 + y1) / 2;
        double rx = Math.max(0.5, (x1 - x0 + 1) / 2);
        double ry = Math.max(0.5, (y1 - y0 + 1) / 2);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double dx = (x - cx) / rx;
                double dy = (y - cy) / ry;
                ellipse[y * width + x] = dx * dx + dy * dy <= 1;
            }
        }
        return ellipse;
    }

    /** Connected components: {@code labels[i]} is 0 off the mask, else 1..count; {@code sizes[k]} is the size of k. */
    public record Components(int[] labels, int count, int[] sizes) {
    }

    /** Labels connected components in scan order of their first pixel; 8-connected or 4-connected. */
    public static Components components(boolean[] mask, int width, int height, boolean eightConnected) {
        int[] label = new int[mask.length];
        int[] queue = new int[mask.length];
        List<Integer> sizes = new ArrayList<>();
        sizes.add(0);
        int next = 0;
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || label[start] != 0) {
                continue;
            }
            next++;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            label[start] = next;
            while (head < tail) {
                int p = queue[head++];
                int x = p % width;
                int y = p / width;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        if ((dx == 0 && dy == 0) || (!eightConnected && dx != 0 && dy != 0)) {
                            continue;
                        }
                        int nx = x + dx;
                        int ny = y + dy;
                        if (nx < 0 || ny < 0 || nx >= width || ny >= height) {
                            continue;
                        }
                        int q = ny * width + nx;
                        if (mask[q] && label[q] == 0) {
                            label[q] = next;
                            queue[tail++] = q;
                        }
                    }
                }
            }
            sizes.add(tail);
        }
        return new Components(label, next, sizes.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The largest 4-connected component (the first in scan order on ties), or null if the mask is empty. */
    public static boolean[] largestComponent(boolean[] mask, int width, int height) {
        Components c = components(mask, width, height, false);
        int best = 0;
        for (int k = 1; k <= c.count(); k++) {
            if (best == 0 || c.sizes()[k] > c.sizes()[best]) {
                best = k;
            }
        }
        if (best == 0) {
            return null;
        }
        boolean[] out = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            out[i] = c.labels()[i] == best;
        }
        return out;
    }

    /** Result of {@link #removeSmallRegions}: the mask and whether anything changed. */
    public record Cleaned(boolean[] mask, boolean changed) {
    }

    /**
     * Removes 8-connected islands (or fills holes, when {@code holes}) smaller than {@code minArea} pixels. When
     * every island is small the largest is kept, so a mask never vanishes by this step alone.
     */
    public static Cleaned removeSmallRegions(boolean[] mask, int width, int height, int minArea, boolean holes) {
        boolean[] working = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            working[i] = holes != mask[i];
        }
        Components c = components(working, width, height, true);
        boolean[] drop = new boolean[c.count() + 1];
        boolean anySmall = false;
        boolean anyLarge = false;
        int largest = 0;
        for (int k = 1; k <= c.count(); k++) {
            drop[k] = c.sizes()[k] < minArea;
            anySmall |= drop[k];
            anyLarge |= !drop[k];
            if (largest == 0 || c.sizes()[k] > c.sizes()[largest]) {
                largest = k;
            }
        }
        if (!anySmall) {
            return new Cleaned(mask, false);
        }
        if (!holes && !anyLarge) {
            drop[largest] = false;
        }
        boolean[] out = mask.clone();
        boolean changed = false;
        for (int i = 0; i < mask.length; i++) {
            int k = c.labels()[i];
            if (k > 0 && drop[k]) {
                out[i] = !out[i];
                changed = true;
            }
        }
        return new Cleaned(out, changed);
    }

    /**
     * The region pixel farthest from the region's edge (the image border counts as edge), as a row-major index;
     * ties go to a seeded random choice, or to the first in scan order when {@code random} is null; -1 when empty.
     */
    public static int deepest(boolean[] region, int width, int height, SplittableRandom random) {
        double[] d = depth(region, width, height);
        double best = -1;
        List<Integer> ties = new ArrayList<>();
        for (int i = 0; i < region.length; i++) {
            if (!region[i]) {
                continue;
            }
            if (d[i] > best) {
                best = d[i];
                ties.clear();
            }
            if (d[i] == best) {
                ties.add(i);
            }
        }
        if (ties.isEmpty()) {
            return -1;
        }
        return random == null ? ties.get(0) : ties.get(random.nextInt(ties.size()));
    }

    /** Squared Euclidean distance of every region pixel to the nearest pixel outside it (0 outside). */
    public static double[] depth(boolean[] region, int width, int height) {
        int pw = width + 2;
        int ph = height + 2;
        boolean[] outside = new boolean[pw * ph];
        for (int y = 0; y < ph; y++) {
            for (int x = 0; x < pw; x++) {
                boolean inside = x > 0 && y > 0 && x <= width && y <= height && region[(y - 1) * width + (x - 1)];
                outside[y * pw + x] = !inside;
            }
        }
        double[] padded = DistanceTransform.squared(outside, new int[] {pw, ph}, new double[] {1, 1});
        double[] out = new double[region.length];
        for (int y = 0; y < height; y++) {
            System.arraycopy(padded, (y + 1) * pw + 1, out, y * width, width);
        }
        return out;
    }
}
