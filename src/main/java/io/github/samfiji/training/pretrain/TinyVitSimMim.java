package io.github.samfiji.training.pretrain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Layers.Linear;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TinyViT;

/**
 * SimMIM-style masked image modelling (Xie et al. 2022) on MobileSAM's TinyViT, whose convolutions and windowed
 * attention need the whole grid, so masked patches cannot simply be dropped as MAE does: every masked 16-px patch is
 * replaced at the stem's output (stride 4, so 4 x 4 positions per patch) by one learned mask token, the encoder runs
 * on the whole grid ({@link TinyViT#forwardMasked}), and a linear head maps each output token (one per 16-px patch)
 * to the patch's 16 x 16 x 3 normalized input values, which is SimMIM's 1x1 convolution plus pixel shuffle written per
 * patch. The loss is the mean absolute error on the masked patches only. (SimMIM masks 32-px units at ratio 0.6; here
 * the unit is the output patch and the ratio is the run's option.)
 */
final class TinyVitSimMim extends ReconstructionHead {

    private final TinyViT encoder;
    private final Param maskToken;
    private final Linear pred;

    TinyVitSimMim(SamModel model, TinyViT encoder) {
        super(model, 16);
        this.encoder = encoder;
        maskToken = param("mask_token", encoder.stemWidth());
        pred = child("pred", new Linear(encoder.tokenWidth(), 16L * 16 * 3));
    }

    @Override
    public String describe() {
        return "SimMIM: masked 16-px patches replaced by a learned token at the TinyViT stem's output, the encoder on "
                + "the whole grid, a linear head from each output token to its patch's 16x16x3 normalized pixels, L1 on "
                + "the masked patches";
    }

    @Override
    public boolean trainsEncoderTensor(String name) {
        return !name.startsWith("neck.") && !name.startsWith("norm_head.") && !name.startsWith("head.");
    }

    @Override
    public NDArray predictions(NDArray inputs, boolean[][] masked) {
        int b = masked.length;
        int side = grid * 4;
        float[] keep = new float[b * side * side];
        for (int i = 0; i < b; i++) {
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    keep[(i * side + y) * side + x] = masked[i][(y / 4) * grid + x / 4] ? 0f : 1f;
                }
            }
        }
        NDArray visible = Ops.constant(inputs.getManager(), keep, new Shape(b, 1, side, side));
        return pred.forward(encoder.forwardMasked(inputs, visible, maskToken.value()));
    }

    @Override
    public NDArray targets(NDArray inputs) {
        return patchify(inputs);
    }

    @Override
    protected boolean absoluteError() {
        return true;
    }
}
