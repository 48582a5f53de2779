package io.github.samfiji.inference;

/**
 * Parameters of automatic mask generation, with the published defaults of SAM's "segment everything" (Kirillov et
 * al. 2023). Set a threshold to 0 to switch its filter off. Tiling is ours: instead of shrinking a large image to
 * the encoder size, it is cut into {@code tileSize} squares overlapping by {@code tileOverlap} pixels, each encoded
 * at full detail.
 */
public final class AmgSettings {

    int pointsPerSide = 32;
    /** 0 = automatic: {@link #GPU_BATCH} on a GPU, {@link #CPU_BATCH} on the CPU. */
    int pointsPerBatch = 0;
    double predIouThresh = 0.88;
    double stabilityScoreThresh = 0.95;
    double stabilityScoreOffset = 1.0;
    double boxNmsThresh = 0.7;
    int cropNLayers = 0;
    double cropNmsThresh = 0.7;
    double cropOverlapRatio = 512 / 1500.0;
    int cropNPointsDownscaleFactor = 1;
    int minMaskRegionArea = 0;
    int tileSize = 0;
    int tileOverlap = 256;

    /** SAM's published batch, for GPUs. */
    public static final int GPU_BATCH = 64;
    /**
     * On the CPU batching does not pay: each point's decoding is dominated by image-sized tensors, not by per-call
     * overhead. Measured with MobileSAM at 1024 px on 2 shared cores (12 x 12 grid, published filters, 2026-12):
     * 43-52 ms per point one at a time, 42-52 in batches of 16, 71-87 in batches of 8 before the first block stopped
     * copying the image per prompt; a batch of 64 holds about 40 MB per point.
     */
    public static final int CPU_BATCH = 1;

    public static AmgSettings defaults() {
        return new AmgSettings();
    }

    /** Grid of n x n points over the image (or each crop/tile). */
    public AmgSettings pointsPerSide(int n) {
        pointsPerSide = positive(n, "points per side");
        return this;
    }

    /** Points decoded together (0 = automatic: 64 on a GPU, 1 on the CPU). */
    public AmgSettings pointsPerBatch(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("points per batch must be 0 (automatic) or more, got " + n);
        }
        pointsPerBatch = n;
        return this;
    }

    /** Keep masks whose predicted IoU is above this. */
    public AmgSettings predIouThresh(double t) {
        predIouThresh = unit(t, "predicted IoU threshold");
        return this;
    }

    /** Keep masks whose stability score is at least this. */
    public AmgSettings stabilityScoreThresh(double t) {
        stabilityScoreThresh = unit(t, "stability score threshold");
        return this;
    }

    /** Logit offset of the stability score. */
    public AmgSettings stabilityScoreOffset(double offset) {
        if (!(offset >= 0)) {
            throw new IllegalArgumentException("stability score offset must be 0 or more, got " + offset);
        }
        stabilityScoreOffset = offset;
        return this;
    }

    /** Box IoU above which the lower-scored of two masks is dropped as a duplicate. */
    public AmgSettings boxNmsThresh(double t) {
        boxNmsThresh = unit(t, "box NMS threshold");
        return this;
    }

    /** Extra crop layers: layer i cuts the image into 2^i x 2^i overlapping crops, each run at full detail. */
    public AmgSettings cropNLayers(int n) {
        if (n < 0 || n > 4) {
            throw new IllegalArgumentException("crop layers must be 0..4, got " + n);
        }
        cropNLayers = n;
        return this;
    }

    public AmgSettings cropNmsThresh(double t) {
        cropNmsThresh = unit(t, "crop NMS threshold");
        return this;
    }

    public AmgSettings cropOverlapRatio(double r) {
        cropOverlapRatio = unit(r, "crop overlap ratio");
        return this;
    }

    /** Layer i uses pointsPerSide / factor^i points per side. */
    public AmgSettings cropNPointsDownscaleFactor(int f) {
        cropNPointsDownscaleFactor = positive(f, "crop points downscale factor");
        return this;
    }

    /** Remove islands and fill holes smaller than this many pixels (0 = off). */
    public AmgSettings minMaskRegionArea(int area) {
        if (area < 0) {
            throw new IllegalArgumentException("minimum region area must be 0 or more, got " + area);
        }
        minMaskRegionArea = area;
        return this;
    }

    /** Tile side in pixels (0 = no tiling: the whole image goes to the encoder at once). */
    public AmgSettings tileSize(int size) {
        if (size != 0 && size < 64) {
            throw new IllegalArgumentException("tile size must be 0 (no tiling) or at least 64 pixels, got " + size);
        }
        tileSize = size;
        return this;
    }

    /** Overlap of neighbouring tiles in pixels; objects larger than this may be cut at tile borders. */
    public AmgSettings tileOverlap(int overlap) {
        if (overlap < 0) {
            throw new IllegalArgumentException("tile overlap must be 0 or more, got " + overlap);
        }
        tileOverlap = overlap;
        return this;
    }

    public int pointsPerSide() {
        return pointsPerSide;
    }

    /** The batch to use: the set value, or the automatic choice for the device the model runs on. */
    public int pointsPerBatch(boolean onGpu) {
        return pointsPerBatch > 0 ? pointsPerBatch : onGpu ? GPU_BATCH : CPU_BATCH;
    }

    public double predIouThresh() {
        return predIouThresh;
    }

    public double stabilityScoreThresh() {
        return stabilityScoreThresh;
    }

    public double stabilityScoreOffset() {
        return stabilityScoreOffset;
    }

    public double boxNmsThresh() {
        return boxNmsThresh;
    }

    public int cropNLayers() {
        return cropNLayers;
    }

    public int minMaskRegionArea() {
        return minMaskRegionArea;
    }

    public int tileSize() {
        return tileSize;
    }

    public int tileOverlap() {
        return tileOverlap;
    }

    private static int positive(int n, String what) {
        if (n < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, got " + n);
        }
        return n;
    }

    private static double unit(double t, String what) {
        if (!(t >= 0 && t <= 1)) {
            throw new IllegalArgumentException(what + " must lie in 0..1, got " + t);
        }
        return t;
    }
}
