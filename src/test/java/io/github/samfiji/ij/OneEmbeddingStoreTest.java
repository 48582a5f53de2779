package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import io.github.samfiji.cli.FineTuneCommandTestData;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.StackEmbeddings;
import io.github.samfiji.inference.StackPropagation;
import io.github.samfiji.inference.VolumePropagator;
import io.github.samfiji.io.Progress;
import io.github.samfiji.model.SamModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One embedding store per image: a slice is run through the encoder once, whether it is prompted, propagated through
 * or prompted again; an edit re-encodes only the slices whose pixels changed; and the disk cache written from Fiji is
 * read by the command line's store (same model identity, same pixels).
 */
class OneEmbeddingStoreTest {

    private static final String MODEL_KEY = "tiny-model|1";

    /** Three 8-bit slices of 32 x 24, each holding 0 and 255 so that the volume's range cannot change. */
    private static ImagePlus stack() {
        ImageStack stack = new ImageStack(32, 24);
        for (int z = 0; z < 3; z++) {
            ByteProcessor ip = new ByteProcessor(32, 24);
            for (int i = 0; i < 32 * 24; i++) {
                ip.set(i, (i * (z + 3)) % 200 + 20);
            }
            ip.set(0, 0);
            ip.set(1, 255);
            stack.addSlice(ip);
        }
        return new ImagePlus("stack", stack);
    }

    @Test
    void aSliceIsEncodedOnceForPromptingPropagationAndTheDiskCache(@TempDir Path temp) throws Exception {
        ImagePlus image = stack();
        try (SamModel model = new SamModel(FineTuneCommandTestData.tinyConfig())) {
            model.initializeRandom(3);
            EmbeddingCache cache = new EmbeddingCache(model, MODEL_KEY);
            try {
                ImageEmbedding prompted = cache.get(image, 2, Progress.NONE);
                StackEmbeddings store = cache.stack(image, null);
                assertEquals(1, store.encodedCount(), "prompting slice 2 encodes it");

                VolumePropagator.SliceSegmenter segmenter = VolumePropagator.withModel(cache.predictor(), store, 32, 24);
                VolumePropagator.Result reached = StackPropagation.run(segmenter,
                        new VolumePropagator.Settings(VolumePropagator.Projection.BOX, 0, 0.05),
                        List.of(new StackPropagation.ObjectPrompts(1, List.of(new VolumePropagator.SlicePrompt(1,
                                Prompt.builder().box(4, 4, 20, 16).build())))), Progress.NONE).get(0).result();
                assertEquals(reached.slices().size(), store.encodedCount(),
                        "propagation encodes only the slices it reached that were not prompted before");
                for (int stackIndex = 1; stackIndex <= 3; stackIndex++) {
                    cache.get(image, stackIndex, Progress.NONE);
                }
                int afterPropagation = store.encodedCount();
                assertEquals(3, afterPropagation, "each slice once");
                assertSame(prompted, cache.get(image, 2, Progress.NONE), "prompting again: the same embedding");
                assertEquals(afterPropagation, store.encodedCount());

                // Auto-segmentation of the three planes takes their embeddings from the store: no encoder run, and
                // the same result as encoding them afresh.
                long encoderRuns = cache.predictor().encodeCount();
                StackSlices volume = StackSlices.of(image);
                for (io.github.samfiji.inference.AutoSegmentation.Mode mode
                        : io.github.samfiji.inference.AutoSegmentation.Mode.values()) {
                    io.github.samfiji.inference.AmgSettings settings = io.github.samfiji.inference.AmgSettings
                            .defaults().pointsPerSide(4).predIouThresh(0).stabilityScoreThresh(0);
                    io.github.samfiji.inference.AutoSegmentation job = new io.github.samfiji.inference
                            .AutoSegmentation(mode, cache.predictor(), List.of(), settings);
                    var fromStore = job.run(volume::slice, List.of(0, 1, 2), store, Progress.NONE);
                    assertEquals(encoderRuns, cache.predictor().encodeCount(), mode + ": nothing encoded");
                    var fresh = new io.github.samfiji.inference.AutoSegmentation(mode,
                            new io.github.samfiji.inference.SamPredictor(model), List.of(), settings)
                            .run(volume::slice, List.of(0, 1, 2), Progress.NONE);
                    assertEquals(fresh.objectCount(), fromStore.objectCount(), mode.toString());
                    for (int i = 0; i < fresh.planes().size(); i++) {
                        for (int k = 0; k < fresh.planes().get(i).masks().size(); k++) {
                            org.junit.jupiter.api.Assertions.assertArrayEquals(
                                    fresh.planes().get(i).masks().get(k).bits(),
                                    fromStore.planes().get(i).masks().get(k).bits(), mode + " plane " + i);
                        }
                    }
                }
                assertEquals(afterPropagation, store.encodedCount());

                // An edit of slice 1 that ImageJ reports: slice 1 is encoded again, slice 2 is not.
                image.getStack().getProcessor(1).set(10, 10, 99);
                cache.imageUpdated(image);
                cache.get(image, 1, Progress.NONE);
                cache.get(image, 2, Progress.NONE);
                assertEquals(afterPropagation + 1, store.encodedCount());

                // Choosing a cache folder writes what is in memory; the command line's store then reads all of it.
                Path folder = temp.resolve("embeddings");
                StackEmbeddings onDisk = cache.stack(image, folder);
                for (int z = 0; z < 3; z++) {
                    onDisk.get(z, Progress.NONE);
                }
                assertEquals(afterPropagation + 1, onDisk.encodedCount(), "nothing encoded to fill the folder");
                try (java.util.stream.Stream<Path> files = Files.list(folder)) {
                    assertEquals(3, files.count());
                }
                StackSlices planes = StackSlices.of(image);
                try (StackEmbeddings commandLine = new StackEmbeddings(cache.predictor(), planes.asFunction(), 3, folder,
                        MODEL_KEY)) {
                    for (int z = 0; z < 3; z++) {
                        commandLine.get(z, Progress.NONE);
                    }
                    assertEquals(0, commandLine.encodedCount());
                    assertEquals(3, commandLine.diskHits());
                }
            } finally {
                cache.clear();
            }
        }
    }
}
