package io.github.samfiji.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

@NeedsSharedData
class NpyTest {

    @Test
    void readsFixtureArraysOfEveryDtype() {
        Npy image = Fixtures.npy("sam_tiny", "image");
        assertEquals("u1", image.dtype);
        assertArrayEquals(new long[] {150, 97, 3}, image.shape);
        assertEquals(150 * 97 * 3, image.bytes().length);
        Npy labels = Fixtures.npy("sam_tiny", "points3__point_labels");
        assertEquals(3, labels.size());
        Npy empty = Fixtures.npy("sam_tiny", "noprompt__sparse_embeddings");
        assertArrayEquals(new long[] {1, 0, 32}, empty.shape);
        assertEquals(0, empty.floats().length);
    }
}
