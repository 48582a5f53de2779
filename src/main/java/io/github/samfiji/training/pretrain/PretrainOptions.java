package io.github.samfiji.training.pretrain;

/**
 * Settings of a masked-image pre-training run.
 *
 * @param maskRatio      share of patches masked per image, in (0, 1) (MAE's default 0.75)
 * @param decoderDepth   transformer blocks of the ViT's reconstruction decoder (MAE uses 8; light: 2)
 * @param decoderWidth   width of the ViT's reconstruction decoder
 * @param validation     share of the images held out to measure the reconstruction loss (0: none)
 */
public record PretrainOptions(double maskRatio, int epochs, int batchSize, double learningRate, double weightDecay,
                              int warmup, boolean decay, int decoderDepth, int decoderWidth, double validation,
                              long seed) {

    public static final double MASK_RATIO = 0.75;
    public static final int EPOCHS = 100;
    public static final int BATCH = 8;
    /** MAE's base rate 1.5e-4 per 256 images, scaled to a small batch. */
    public static final double LEARNING_RATE = 1.5e-4;
    public static final double WEIGHT_DECAY = 0.05;
    public static final int WARMUP = 100;
    public static final int DECODER_DEPTH = 2;
    public static final int DECODER_WIDTH = 128;
    public static final double VALIDATION = 0.1;
    public static final long SEED = 42;

    public PretrainOptions {
        PatchMasking.checkRatio(maskRatio);
        if (maskRatio == 0) {
            throw new IllegalArgumentException("the mask ratio must be above 0: with nothing masked there is nothing to "
                    + "reconstruct");
        }
        if (epochs < 1 || batchSize < 1 || decoderDepth < 1 || decoderWidth < 8) {
            throw new IllegalArgumentException("epochs, batch size and decoder depth must be at least 1 and the decoder "
                    + "width at least 8 (got " + epochs + ", " + batchSize + ", " + decoderDepth + ", " + decoderWidth + ")");
        }
        if (!(learningRate > 0) || weightDecay < 0 || warmup < 0) {
            throw new IllegalArgumentException("the learning rate must be > 0, weight decay and warm-up >= 0");
        }
        if (!(validation >= 0 && validation < 1)) {
            throw new IllegalArgumentException("the validation share must be at least 0 and below 1 (got " + validation + ")");
        }
    }

    public static PretrainOptions defaults() {
        return new PretrainOptions(MASK_RATIO, EPOCHS, BATCH, LEARNING_RATE, WEIGHT_DECAY, WARMUP, false,
                DECODER_DEPTH, DECODER_WIDTH, VALIDATION, SEED);
    }

    public PretrainOptions withEpochs(int n) {
        return new PretrainOptions(maskRatio, n, batchSize, learningRate, weightDecay, warmup, decay, decoderDepth,
                decoderWidth, validation, seed);
    }

    public PretrainOptions withMaskRatio(double ratio) {
        return new PretrainOptions(ratio, epochs, batchSize, learningRate, weightDecay, warmup, decay, decoderDepth,
                decoderWidth, validation, seed);
    }
}
