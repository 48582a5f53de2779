/**
 * SAM 2.1 at work: the image predictor ({@link io.github.samfiji.inference.sam2.Sam2ImagePredictor}: squashed input,
 * prompts, dynamic multimask, logits at the image's size) and tracking through a z-stack with memory
 * ({@link io.github.samfiji.inference.sam2.Sam2VolumePropagator}, following the reference video predictor along z:
 * conditioning slices, seven memories, object pointers, forward then reverse).
 */
package io.github.samfiji.inference.sam2;
