package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Ops;

/**
 * SAM 2's fixed sine position encoding of a feature grid (DETR style, normalized): for each cell the row and
 * column index (1-based) scaled to (0, 2 pi], encoded by sines and cosines of geometric frequencies. Channels are
 * [row encoding, column encoding], each interleaved sin, cos, sin, ... Nothing is learned or stored.
 */
public final class PositionEmbeddingSine {

    private static final float TEMPERATURE = 10000f;
    private static final float SCALE = (float) (2 * Math.PI);
    private static final float EPS = 1e-6f;

    private PositionEmbeddingSine() {
    }

    /** The encoding (channels, h, w), row-major, computed in float32 like the reference. */
    public static float[] encode(int channels, int h, int w) {
        int half = channels / 2;
        float[] dimT = new float[half];
        for (int k = 0; k < half; k++) {
            float exponent = (2f * (k / 2)) / half;
            dimT[k] = (float) Math.pow(TEMPERATURE, exponent);
        }
        float[] out = new float[channels * h * w];
        float yDenominator = (float) h + EPS;
        float xDenominator = (float) w + EPS;
        for (int k = 0; k < half; k++) {
            boolean sine = k % 2 == 0;
            for (int y = 0; y < h; y++) {
                float py = (y + 1f) / yDenominator * SCALE / dimT[k];
                float vy = (float) (sine ? Math.sin(py) : Math.cos(py));
                for (int x = 0; x < w; x++) {
                    float px = (x + 1f) / xDenominator * SCALE / dimT[k];
                    out[(k * h + y) * w + x] = vy;
                    out[((half + k) * h + y) * w + x] = (float) (sine ? Math.sin(px) : Math.cos(px));
                }
            }
        }
        return out;
    }

    /** The encoding as a (1, channels, h, w) array owned by {@code manager}. */
    public static NDArray encode(NDManager manager, int channels, int h, int w) {
        return Ops.constant(manager, encode(channels, h, w), new Shape(1, channels, h, w));
    }
}
