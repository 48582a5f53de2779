package io.github.samfiji.training.pretrain;

import io.github.samfiji.image.Rgb8Image;

/** One image (or slice of a stack) without annotation, for self-supervised pre-training. */
public record UnlabelledImage(String name, Rgb8Image image) {
}
