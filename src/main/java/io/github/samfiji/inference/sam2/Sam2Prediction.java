package io.github.samfiji.inference.sam2;

import io.github.samfiji.inference.Prediction;

/**
 * The result of one SAM 2 prompt: the candidate masks (logits at the original size, clamped low-resolution logits,
 * predicted IoU), the object score logit (> 0: the model sees an object at the prompt; the image predictor reports
 * it without acting on it), and which decoder tokens the candidates came from (0 = single-mask token, 1-3 =
 * multimask tokens).
 */
public record Sam2Prediction(Prediction masks, float objectScoreLogit, int[] tokens) {

    public Sam2Prediction {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    public boolean objectPresent() {
        return objectScoreLogit > 0;
    }
}
