/**
 * SAM 2.1 (Segment Anything 2) natively in Java: the model with the reference's state_dict names
 * ({@link io.github.samfiji.model.sam2.Sam2Model}, loaded by {@link io.github.samfiji.model.sam2.Sam2Loader}), the
 * Hiera image encoder with its FPN neck, the SAM heads, the image predictor
 * ({@link io.github.samfiji.model.sam2.Sam2ImagePredictor}), and tracking through a z-stack with memory
 * ({@link io.github.samfiji.model.sam2.Sam2VolumePropagator}: memory attention with rotary position encoding, the
 * memory encoder, object pointers), which follows the reference video predictor along z.
 */
package io.github.samfiji.model.sam2;
