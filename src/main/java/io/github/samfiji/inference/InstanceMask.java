package io.github.samfiji.inference;

/**
 * One object found by automatic segmentation, stored compactly as the bitmap of its bounding box (images may hold
 * hundreds of objects), with the scores SAM gave it.
 *
 * @param x0 left column of the bounding box (inclusive), in image pixels
 * @param y0 top row of the bounding box (inclusive)
 * @param width bounding-box width
 * @param height bounding-box height
 * @param bits row-major bitmap of the bounding box, true = object
 * @param area number of object pixels
 * @param predictedIou the decoder's own estimate of the mask's IoU
 * @param stabilityScore IoU of the mask thresholded at logit +offset and at -offset (1 = crisp edges)
 * @param pointX x of the grid point that produced the mask
 * @param pointY y of that point
 */
public record InstanceMask(int x0, int y0, int width, int height, boolean[] bits, long area, double predictedIou,
                           double stabilityScore, double pointX, double pointY) {

    /** Cuts the object out of a full-image mask; null when the mask is empty. */
    public static InstanceMask of(boolean[] mask, int imageWidth, double predictedIou, double stabilityScore,
                                  double pointX, double pointY) {
        int[] b = MaskGeometry.bounds(mask, imageWidth);
        if (b == null) {
            return null;
        }
        int w = b[2] - b[0] + 1;
        int h = b[3] - b[1] + 1;
        boolean[] bits = new boolean[w * h];
        long area = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean v = mask[(b[1] + y) * imageWidth + b[0] + x];
                bits[y * w + x] = v;
                area += v ? 1 : 0;
            }
        }
        return new InstanceMask(b[0], b[1], w, h, bits, area, predictedIou, stabilityScore, pointX, pointY);
    }

    /** Inclusive last column of the bounding box. */
    public int x1() {
        return x0 + width - 1;
    }

    /** Inclusive last row of the bounding box. */
    public int y1() {
        return y0 + height - 1;
    }

    public boolean contains(int x, int y) {
        return x >= x0 && y >= y0 && x <= x1() && y <= y1() && bits[(y - y0) * width + (x - x0)];
    }

    /** The mask at full image size. */
    public boolean[] toFull(int imageWidth, int imageHeight) {
        boolean[] out = new boolean[imageWidth * imageHeight];
        for (int y = 0; y < height; y++) {
            System.arraycopy(bits, y * width, out, (y0 + y) * imageWidth + x0, width);
        }
        return out;
    }

    /** IoU of the two bounding boxes, counting pixels (a one-pixel box has area 1). */
    public static double boxIou(InstanceMask a, InstanceMask b) {
        long iw = Math.min(a.x1(), b.x1()) - Math.max(a.x0, b.x0) + 1L;
        long ih = Math.min(a.y1(), b.y1()) - Math.max(a.y0, b.y0) + 1L;
        if (iw <= 0 || ih <= 0) {
            return 0;
        }
        long inter = iw * ih;
        long union = (long) a.width * a.height + (long) b.width * b.height - inter;
        return (double) inter / union;
    }
}
