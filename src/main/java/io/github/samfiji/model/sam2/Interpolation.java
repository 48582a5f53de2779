package io.github.samfiji.model.sam2;

/**
 * The two resampling rules of SAM 2 that DJL does not provide with PyTorch's exact semantics: bicubic upsampling of
 * Hiera's background position embedding, and the antialiased bilinear resize of the input image.
 */
public final class Interpolation {

    /** PyTorch's bicubic convolution coefficient. */
    private static final float CUBIC_A = -0.75f;

    private Interpolation() {
    }

    /**
     * The 1-D interpolation matrix (out, in) of PyTorch's {@code F.interpolate(mode="bicubic", align_corners=False)}:
     * source position {@code (o + 0.5) * in / out - 0.5}, Keys' cubic with A = -0.75, indices clamped at the borders.
     * Computed in float32 as the reference.
     */
    public static float[] bicubicMatrix(int in, int out) {
        float[] m = new float[out * in];
        float scale = (float) in / out;
        for (int o = 0; o < out; o++) {
            float real = scale * (o + 0.5f) - 0.5f;
            int index = (int) Math.floor(real);
            float t = real - index;
            float[] w = {cubicFar(t + 1f), cubicNear(t), cubicNear(1f - t), cubicFar(2f - t)};
            for (int k = 0; k < 4; k++) {
                int j = Math.min(Math.max(index - 1 + k, 0), in - 1);
                m[o * in + j] += w[k];
            }
        }
        return m;
    }

    /** Keys' cubic for |x| <= 1. */
    private static float cubicNear(float x) {
        return ((CUBIC_A + 2f) * x - (CUBIC_A + 3f)) * x * x + 1f;
    }

    /** Keys' cubic for 1 < |x| < 2. */
    private static float cubicFar(float x) {
        return ((CUBIC_A * x - 5f * CUBIC_A) * x + 8f * CUBIC_A) * x - 4f * CUBIC_A;
    }

    /**
     * Antialiased bilinear resize of float planes, bit-exact with PyTorch's CPU {@code _upsample_bilinear2d_aa}
     * (what torchvision's {@code Resize(antialias=True)} runs): triangle filter widened by the scale when
     * downsampling, normalized float32 weights, float32 fused multiply-add accumulation, the width pass first.
     *
     * @param planes {@code channels} planes of h x w, row-major
     * @return {@code channels} planes of outH x outW
     */
    public static float[] resizeAntialiased(float[] planes, int channels, int h, int w, int outH, int outW) {
        float[] current = planes;
        int curW = w;
        if (outW != w) {
            Taps taps = taps(w, outW);
            float[] next = new float[channels * h * outW];
            for (int row = 0; row < channels * h; row++) {
                for (int o = 0; o < outW; o++) {
                    next[row * outW + o] = taps.apply(current, row * curW, 1, o);
                }
            }
            current = next;
            curW = outW;
        }
        if (outH != h) {
            Taps taps = taps(h, outH);
            float[] next = new float[channels * outH * curW];
            for (int c = 0; c < channels; c++) {
                int plane = c * h * curW;
                for (int o = 0; o < outH; o++) {
                    for (int x = 0; x < curW; x++) {
                        next[(c * outH + o) * curW + x] = taps.apply(current, plane + x, curW, o);
                    }
                }
            }
            current = next;
        }
        return current == planes ? planes.clone() : current;
    }

    /** For each output index: the first input index and the normalized weights of the inputs it reads. */
    private record Taps(int[] start, float[][] weights) {
        float apply(float[] data, int offset, int stride, int o) {
            float[] wt = weights[o];
            int at = offset + start[o] * stride;
            float acc = data[at] * wt[0];
            for (int j = 1; j < wt.length; j++) {
                acc = Math.fma(data[at + j * stride], wt[j], acc);
            }
            return acc;
        }
    }

    /** The reference's filter taps, with each step rounded as its float32 / double code does. */
    private static Taps taps(int in, int out) {
        float scale = (float) in / out;
        float support = scale >= 1f ? scale : 1f;
        float invScale = scale >= 1f ? (float) (1.0 / scale) : 1f;
        int[] start = new int[out];
        float[][] weights = new float[out][];
        for (int i = 0; i < out; i++) {
            float center = (float) (scale * (i + 0.5));
            long xmin = Math.max((long) ((double) (center - support) + 0.5), 0);
            long xmax = Math.min((long) ((double) (center + support) + 0.5), in);
            int n = (int) (xmax - xmin);
            float[] wt = new float[n];
            float total = 0f;
            for (int j = 0; j < n; j++) {
                float x = (float) (((double) ((float) (j + xmin) - center) + 0.5) * invScale);
                float ax = Math.abs(x);
                wt[j] = ax < 1f ? (float) (1.0 - ax) : 0f;
                total += wt[j];
            }
            for (int j = 0; j < n; j++) {
                wt[j] = wt[j] / total;
            }
            start[i] = (int) xmin;
            weights[i] = wt;
        }
        return new Taps(start, weights);
    }
}
