package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ShortProcessor;
import io.github.samfiji.cli.FineTuneCommandTestData;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.image.IntensityMapping;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.TrainingSample;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import io.github.samfiji.imagejio.TrainingData;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.imagejio.ImageWrapping;

/**
 * A plane of a 16-bit volume reaches the model as the same 8-bit input whether it is prompted (Segment with Prompt's
 * embedding cache), propagated or segmented automatically (StackSlices), or trained on (TrainingData): one intensity
 * range for the whole volume, not one per slice.
 */
class PlaneInputConsistencyTest {

    /** Three 16-bit planes whose value ranges differ by a factor of up to 60. */
    private static ImagePlus volume() {
        ImageStack stack = new ImageStack(32, 24);
        int[] maxima = {1000, 4000, 60000};
        for (int max : maxima) {
            ShortProcessor ip = new ShortProcessor(32, 24);
            for (int i = 0; i < 32 * 24; i++) {
                ip.set(i, (int) ((long) max * i / (32 * 24 - 1)));
            }
            stack.addSlice(ip);
        }
        return new ImagePlus("volume", stack);
    }

    @Test
    void promptingPropagatingAndTrainingSeeTheSameInput() {
        ImagePlus image = volume();
        StackSlices planes = StackSlices.of(image);
        byte[] volumeInput = planes.slice(1).toBytes();
        byte[] ownRange = ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, 2), IntensityMapping.automatic())
                .toBytes();
        assertFalse(Arrays.equals(volumeInput, ownRange), "the volume's range is not the plane's own");

        try (SamModel model = new SamModel(FineTuneCommandTestData.tinyConfig())) {
            model.initializeRandom(1);
            EmbeddingCache cache = new EmbeddingCache(model);
            try {
                assertArrayEquals(volumeInput, cache.input(image, 2).toBytes(), "Segment with Prompt");

                ImageStack labelStack = new ImageStack(32, 24);
                for (int z = 1; z <= 3; z++) {
                    labelStack.addSlice(new ij.process.ByteProcessor(32, 24));
                }
                labelStack.getProcessor(2).set(5, 5, 1);
                ImagePlus labels = new ImagePlus("labels", labelStack);
                List<TrainingSample> samples = TrainingData.fromImages(image, labels, "volume", false, null);
                assertArrayEquals(volumeInput, samples.get(1).image().toBytes(), "fine-tuning");

                // An edit that changes the volume's range changes the input after the image reports the update.
                image.getStack().getProcessor(3).multiply(0.5);
                cache.imageUpdated(image);
                byte[] edited = StackSlices.of(image).slice(1).toBytes();
                assertFalse(Arrays.equals(volumeInput, edited));
                assertArrayEquals(edited, cache.input(image, 2).toBytes());
            } finally {
                cache.clear();
            }
        }
        assertEquals(3, planes.depth());
    }
}
