package io.github.samfiji.model;

import java.util.Arrays;

/**
 * Every hyperparameter of a SAM-family model: the image encoder (ViT or TinyViT) plus the prompt encoder and
 * mask decoder, which are the same for all published variants. The JSON form is {@link ConfigJson}.
 */
public record SamConfig(EncoderConfig encoder, DecoderConfig decoder, float[] pixelMean, float[] pixelStd,
                        Preprocessing preprocessing) {

    public static final float[] SAM_PIXEL_MEAN = {123.675f, 116.28f, 103.53f};
    public static final float[] SAM_PIXEL_STD = {58.395f, 57.12f, 57.375f};

    /**
     * How an image becomes the encoder input and how prompts and masks map to it. A model is used with the
     * preprocessing it was trained with: feeding MedSAM SAM's input runs it off its training distribution.
     */
    public enum Preprocessing {
        /**
         * SAM's: longest side resized to the input size keeping the aspect ratio (bilinear), (pixel - mean) / std,
         * zero padding at the bottom and right; logits upscaled to the padded input, cropped, then to the image size.
         */
        SAM("sam"),
        /**
         * MedSAM's (Ma et al. 2024): the image squashed to the square input size (bicubic with anti-aliasing, as
         * skimage's {@code resize}), min-max scaled to [0, 1] without mean/std; boxes and points scaled per axis; the
         * sigmoid of the low-resolution logits resized bilinearly to the image size, thresholded at 0.5.
         */
        MEDSAM("medsam");

        private final String id;

        Preprocessing(String id) {
            this.id = id;
        }

        /** The name used in JSON, on the command line and in Fiji. */
        public String id() {
            return id;
        }

        /** The profile of this name (case-insensitive); a clear error listing the known ones otherwise. */
        public static Preprocessing of(String id) {
            for (Preprocessing p : values()) {
                if (p.id.equalsIgnoreCase(id == null ? "" : id.trim())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown preprocessing '" + id + "' (expected sam or medsam)");
        }
    }

    public SamConfig {
        if (pixelMean.length != 3 || pixelStd.length != 3) {
            throw new IllegalArgumentException("pixel mean and std need 3 values (RGB)");
        }
        if (preprocessing == null) {
            throw new IllegalArgumentException("preprocessing profile missing (sam or medsam)");
        }
    }

    /** A configuration with SAM's preprocessing. */
    public SamConfig(EncoderConfig encoder, DecoderConfig decoder, float[] pixelMean, float[] pixelStd) {
        this(encoder, decoder, pixelMean, pixelStd, Preprocessing.SAM);
    }

    public SamConfig(EncoderConfig encoder, DecoderConfig decoder) {
        this(encoder, decoder, SAM_PIXEL_MEAN.clone(), SAM_PIXEL_STD.clone());
    }

    /** This configuration with another image encoder, everything else (preprocessing included) kept. */
    public SamConfig withEncoder(EncoderConfig other) {
        return new SamConfig(other, decoder, pixelMean, pixelStd, preprocessing);
    }

    /** This configuration with another preprocessing profile. */
    public SamConfig withPreprocessing(Preprocessing other) {
        return new SamConfig(encoder, decoder, pixelMean, pixelStd, other);
    }

    /** Side of the square encoder input (1024 for the published models). */
    public int imageSize() {
        return encoder.imgSize();
    }

    /** Side of the image embedding grid: the encoder downsamples by 16. */
    public int embeddingSize() {
        return encoder.imgSize() / 16;
    }

    /** The image encoders: SAM's ViT or MobileSAM's TinyViT. */
    public sealed interface EncoderConfig permits VitConfig, TinyVitConfig {
        int imgSize();

        int outChans();
    }

    /** SAM's ImageEncoderViT. */
    public record VitConfig(int imgSize, int patchSize, int inChans, int embedDim, int depth, int numHeads,
                            double mlpRatio, int outChans, boolean qkvBias, boolean useAbsPos, boolean useRelPos,
                            int windowSize, int[] globalAttnIndexes) implements EncoderConfig {

        public boolean isGlobal(int block) {
            return Arrays.stream(globalAttnIndexes).anyMatch(i -> i == block);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof VitConfig v && v.toString().equals(toString());
        }

        @Override
        public int hashCode() {
            return toString().hashCode();
        }

        @Override
        public String toString() {
            return "ViT(img " + imgSize + ", patch " + patchSize + ", in " + inChans + ", dim " + embedDim + ", depth " + depth
                    + ", heads " + numHeads + ", mlp " + mlpRatio + ", out " + outChans + ", qkvBias " + qkvBias
                    + ", absPos " + useAbsPos + ", relPos " + useRelPos + ", window " + windowSize + ", global "
                    + Arrays.toString(globalAttnIndexes) + ")";
        }
    }

    /**
     * MobileSAM's TinyViT. Stage resolutions follow the reference: patch embedding divides by 4, every patch merging
     * halves the grid except the last one (into the final stage), which keeps it, so the output grid is imgSize/16.
     */
    public record TinyVitConfig(int imgSize, int inChans, int numClasses, int[] embedDims, int[] depths,
                                int[] numHeads, int[] windowSizes, double mlpRatio, double mbconvExpandRatio,
                                int localConvSize, int outChans) implements EncoderConfig {

        public int stageResolution(int stage) {
            int patches = imgSize / 4;
            int halvings = stage == embedDims.length - 1 ? stage - 1 : stage;
            return patches >> halvings;
        }

        /** Stride of the patch merging at the end of {@code stage}: 1 for the merging into the last stage. */
        public int mergeStride(int stage) {
            return stage == embedDims.length - 2 ? 1 : 2;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TinyVitConfig v && v.toString().equals(toString());
        }

        @Override
        public int hashCode() {
            return toString().hashCode();
        }

        @Override
        public String toString() {
            return "TinyViT(img " + imgSize + ", in " + inChans + ", classes " + numClasses + ", dims "
                    + Arrays.toString(embedDims) + ", depths " + Arrays.toString(depths) + ", heads "
                    + Arrays.toString(numHeads) + ", windows " + Arrays.toString(windowSizes) + ", mlp " + mlpRatio
                    + ", mbconv " + mbconvExpandRatio + ", localConv " + localConvSize + ", out " + outChans + ")";
        }
    }

    /** Prompt encoder and mask decoder. */
    public record DecoderConfig(int promptEmbedDim, int maskInChans, int numMultimaskOutputs, int transformerDepth,
                                int transformerMlpDim, int transformerNumHeads, int attentionDownsampleRate,
                                int iouHeadDepth, int iouHeadHiddenDim) {

        public static DecoderConfig sam() {
            return new DecoderConfig(256, 16, 3, 2, 2048, 8, 2, 3, 256);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamConfig c && c.encoder.equals(encoder) && c.decoder.equals(decoder)
                && Arrays.equals(c.pixelMean, pixelMean) && Arrays.equals(c.pixelStd, pixelStd)
                && c.preprocessing == preprocessing;
    }

    @Override
    public int hashCode() {
        return encoder.hashCode() * 31 + decoder.hashCode();
    }

    @Override
    public String toString() {
        return "SamConfig[" + encoder + ", " + decoder + ", preprocessing " + preprocessing.id() + "]";
    }
}
