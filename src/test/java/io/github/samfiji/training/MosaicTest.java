package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.samfiji.image.Rgb8Image;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MosaicTest {

    /** A w x h picture of one grey value whose mask is its left half. */
    private static SampleTensors.Resized tile(int w, int h, int grey) {
        byte[] rgb = new byte[w * h * 3];
        java.util.Arrays.fill(rgb, (byte) grey);
        byte[] mask = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w / 2; x++) {
                mask[y * w + x] = 1;
            }
        }
        return new SampleTensors.Resized(new Rgb8Image(w, h, rgb), mask);
    }

    @Test
    void fourPicturesFillTheQuadrantsWithTheirMasksAlignedAndTheRestBlack() {
        SampleTensors.Resized first = tile(64, 32, 200);
        List<SampleTensors.Resized> all = List.of(first, tile(40, 64, 100), tile(64, 64, 50));
        SampleTensors.Resized m = Mosaic.of(first, all, 64, new Random(3));
        assertEquals(64, m.image().width());
        assertEquals(64, m.image().height());
        // The first picture, scaled to 32 x 16, at the top left: grey 200, mask on its left half, black below.
        assertEquals(200, m.image().r(3, 3));
        assertEquals(200, m.image().r(31, 15));
        assertEquals(0, m.image().r(31, 16));
        assertEquals(1, m.mask()[5 * 64 + 15]);
        assertEquals(0, m.mask()[5 * 64 + 16]);
        assertEquals(0, m.mask()[20 * 64 + 5]);
        // Every other quadrant holds one of the pictures, each with its mask on the left half of the picture.
        for (int q = 1; q < 4; q++) {
            int ox = (q % 2) * 32;
            int oy = (q / 2) * 32;
            int grey = m.image().r(ox + 1, oy + 1);
            assertEquals(true, grey == 200 || grey == 100 || grey == 50, "quadrant " + q + " grey " + grey);
            assertEquals(1, m.mask()[(oy + 1) * 64 + ox + 1], "quadrant " + q);
            assertEquals(0, m.mask()[(oy + 1) * 64 + ox + 31], "quadrant " + q);
        }
    }
}
