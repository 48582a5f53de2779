package io.github.samfiji.inference;

import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.checkpoint.TensorData;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.io.Progress;
import java.util.Map;

/**
 * What every job that prompts an image needs from a model, whichever its family: encode an image once, then turn
 * prompts (points, a box, a low-resolution mask, several candidates or one), no prompt at all, or a grid of single
 * points (automatic mask generation) into masks at the original size. SAM 1 ({@link SamPredictor}) and SAM 2.1
 * ({@code sam2.Sam2ImagePredictor}) implement it through {@link #of}; each keeps its reference's numerics (SAM 1 pads
 * the resized image, SAM 2.1 squashes it), and an embedding is decoded only by the predictor of its family.
 */
public interface PromptPredictor {

    /** "sam" or "sam2.1", as {@link LoadedModel#family()}. */
    String family();

    /** Whether the model runs on a GPU (decides how many grid points are decoded at once). */
    boolean onGpu();

    /** How many images this predictor ran through the encoder. */
    long encodeCount();

    /** Side of the square low-resolution logits (the mask prompt's size). */
    int lowResSize();

    /** Encodes an image; the result owns native memory until closed. Cancellable through {@code progress}. */
    Embedding encode(Rgb8Image image, Progress progress);

    /** Candidate masks for one object's prompt (not empty). */
    Prediction predict(Embedding embedding, Prompt prompt, boolean multimask);

    /** The prompt-free prediction (no points, box or mask). */
    Prediction predictWithoutPrompt(Embedding embedding, boolean multimask);

    /**
     * Low-resolution logits and predicted IoU of each point of {@code xy} (original pixels) decoded as its own
     * single-click object; points with no candidate above {@code minIou} may be left with logits 0.
     */
    SamPredictor.PointBatch decodeSinglePoints(Embedding embedding, double[] xy, boolean multimask, double minIou);

    /** How this embedding's low-resolution logits become logits at the image's size (the same as in predictions). */
    LogitUpscaler logitUpscaler(Embedding embedding);

    /** The reference automatic mask generator's defaults for this family. */
    AmgSettings amgDefaults();

    /** An embedding as named tensors and text, for the on-disk embedding cache. */
    record StoredEmbedding(Map<String, TensorData> tensors, Map<String, String> metadata) {
    }

    StoredEmbedding toStored(Embedding embedding);

    /** The embedding that {@link #toStored} gave; throws IllegalArgumentException if it is not of this family. */
    Embedding fromStored(StoredEmbedding stored);

    /** SAM 1's predictor behind this interface. */
    static PromptPredictor of(SamPredictor predictor) {
        return new SamPromptPredictor(predictor);
    }

    /** The predictor of a loaded model of either family. */
    static PromptPredictor of(LoadedModel model) {
        if (model instanceof LoadedModel.Sam1 sam1) {
            return of(new SamPredictor(sam1.model()));
        }
        return new io.github.samfiji.inference.sam2.Sam2PromptPredictor(
                new io.github.samfiji.inference.sam2.Sam2ImagePredictor(((LoadedModel.Sam2) model).model()));
    }
}
