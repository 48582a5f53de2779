/**
 * SAM 2.1 (Segment Anything 2) networks natively in Java, with the reference's state_dict names
 * ({@link io.github.samfiji.model.sam2.Sam2Model}): the Hiera image encoder with its FPN neck, the SAM heads, the
 * memory attention with rotary position encoding, the memory encoder and the object-pointer heads. Loading is in
 * {@link io.github.samfiji.checkpoint.Sam2Loader}; prediction and tracking in {@code io.github.samfiji.inference.sam2}.
 */
package io.github.samfiji.model.sam2;
