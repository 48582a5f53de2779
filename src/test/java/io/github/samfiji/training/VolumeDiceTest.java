package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.samfiji.image.Rgb8Image;
import java.util.List;
import org.junit.jupiter.api.Test;

class VolumeDiceTest {

    private static TrainingSample slice(String name, String group, int... objectPixels) {
        byte[] mask = new byte[10];
        for (int i : objectPixels) {
            mask[i] = 1;
        }
        return new TrainingSample(name, group, Rgb8Image.fromGrey(10, 1, new byte[10]), mask);
    }

    private static boolean[] predicted(int... pixels) {
        boolean[] p = new boolean[10];
        for (int i : pixels) {
            p[i] = true;
        }
        return p;
    }

    @Test
    void slicesOfAVolumePoolIntoOneDiceAndImagesStandAlone() {
        List<TrainingSample> samples = List.of(
                slice("vol#1", "vol"),                 // empty, predicted empty: no credit of its own
                slice("vol#2", "vol", 0, 1, 2, 3),     // 4 true pixels, 2 of them found, 2 false ones
                slice("vol#3", "vol", 5),              // 1 true pixel, missed
                slice("img", "img", 0, 1));            // a 2D image: its own group
        VolumeDice.Scores scores = VolumeDice.of(samples, List.of(predicted(), predicted(0, 1, 8, 9), predicted(),
                predicted(0, 1)));
        assertEquals(List.of("vol", "img"), scores.groups());
        // Pooled: 2·2 / (4 + 5) = 4/9; slice by slice it would have been (1 + 0.5 + 0) / 3 = 0.5.
        assertArrayEquals(new double[] {4.0 / 9, 1.0}, scores.dice(), 1e-12);
        assertEquals((4.0 / 9 + 1) / 2, scores.mean(), 1e-12);
        // The other measures from the same pooled counts: TP 2, |P| 4, |T| 5, pixels 3 slices of N.
        long n = 3L * samples.get(0).mask().length;
        assertArrayEquals(new double[] {2.0 / 7, 1.0}, scores.iou(), 1e-12);
        assertArrayEquals(new double[] {2.0 / 5, 1.0}, scores.sensitivity(), 1e-12);
        assertArrayEquals(new double[] {2.0 / 4, 1.0}, scores.precision(), 1e-12);
        assertEquals((n - 4 - 5 + 2) / (double) (n - 5), scores.specificity()[0], 1e-12);

        VolumeDice.Scores empty = VolumeDice.of(List.of(slice("e", "e")), List.of(predicted()));
        assertArrayEquals(new double[] {1.0}, empty.dice(), "nothing there and nothing predicted");
        assertThrows(IllegalArgumentException.class, () -> VolumeDice.of(samples, List.of(predicted())));
    }
}
