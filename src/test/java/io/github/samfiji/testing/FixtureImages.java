package io.github.samfiji.testing;

import io.github.samfiji.image.Rgb8Image;

/** The fixture sets' input image as an {@link Rgb8Image}. */
public final class FixtureImages {

    private FixtureImages() {
    }

    public static Rgb8Image image(String set) {
        Npy npy = Fixtures.npy(set, "image");
        return new Rgb8Image((int) npy.shape[1], (int) npy.shape[0], npy.bytes());
    }
}
