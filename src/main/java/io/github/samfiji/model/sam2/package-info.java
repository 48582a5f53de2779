/**
 * SAM 2.1 (Segment Anything 2) natively in Java: the model with the reference's state_dict names
 * ({@link io.github.samfiji.model.sam2.Sam2Model}, loaded by {@link io.github.samfiji.model.sam2.Sam2Loader}), the
 * Hiera image encoder with its FPN neck, the SAM heads, and the image predictor
 * ({@link io.github.samfiji.model.sam2.Sam2ImagePredictor}). The memory modules used for tracking through a stack
 * are declared and loaded but not yet run.
 */
package io.github.samfiji.model.sam2;
