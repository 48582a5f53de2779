package io.github.samfiji.inference.sam2;

import static io.github.samfiji.model.sam2.Sam2Fixture.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.PromptPredictor;
import io.github.samfiji.inference.StackEmbeddings;
import io.github.samfiji.inference.StackPropagation;
import io.github.samfiji.inference.VolumePropagator;
import io.github.samfiji.io.Progress;
import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SAM 2.1 propagation behind the shared {@link io.github.samfiji.inference.StackPropagator}, on the session's
 * embedding store: the fixture's video_box scenario gives the reference's final labels; the store's embeddings serve
 * prompting and tracking alike (a second run encodes nothing), and SAM 2.1 embeddings round-trip through the disk
 * cache bit for bit.
 */
@NeedsSharedData
class Sam2StackPropagationTest {

    private static final int W = 97;
    private static final int H = 150;
    private static Sam2Model model;

    @TempDir
    Path cache;

    @BeforeAll
    static void load() {
        model = Sam2Fixture.loadModel();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static List<StackPropagation.ObjectPrompts> videoBox() {
        Prompt box = Prompt.builder().box(25.0, 34.76, 63.69, 100.24).build();
        return List.of(new StackPropagation.ObjectPrompts(1, List.of(new VolumePropagator.SlicePrompt(3, box))));
    }

    private static StackEmbeddings store(Path folder) {
        return new StackEmbeddings(PromptPredictor.of(new io.github.samfiji.checkpoint.LoadedModel.Sam2(model)),
                Sam2VolumePropagatorTest.stackSlices(), 8, folder, () -> "sam2_tiny");
    }

    private static float[][] logits(Sam2StackPropagation p) {
        Sam2VolumePropagator.SliceResult[] r = p.lastTracked().objects().get(1);
        float[][] out = new float[r.length][];
        for (int z = 0; z < r.length; z++) {
            out[z] = r[z].logits();
        }
        return out;
    }

    @Test
    void tracksAsTheReferenceOnTheSessionStore() {
        float[] ref = npy("video_box__final_logits").floats();
        int area = W * H;
        try (StackEmbeddings store = store(null)) {
            Sam2StackPropagation propagation = new Sam2StackPropagation(model, store, W, H);
            List<StackPropagation.ObjectResult> found = propagation.run(videoBox(), Progress.NONE);
            assertEquals(8, store.encodedCount(), "each slice encoded once");
            float[][] first = logits(propagation);
            for (int z = 0; z < 8; z++) {
                for (int k = 0; k < area; k++) {
                    assertEquals(ref[z * area + k], first[z][k], Sam2VolumePropagatorTest.TRACKED_TOL, "z" + (z + 1));
                }
                boolean present = ref[z * area] > -1000;
                assertEquals(present && found.get(0).result().slices().containsKey(z)
                        || !present && !found.get(0).result().slices().containsKey(z), true, "slice list, z" + (z + 1));
            }
            // A prompt on a stored slice and a second run cost only the decoder.
            new Sam2PromptPredictor(new Sam2ImagePredictor(model)).predict(store.embedding(3, Progress.NONE),
                    Prompt.builder().point(40, 60, 1).build(), true);
            propagation.run(videoBox(), Progress.NONE);
            assertEquals(8, store.encodedCount(), "nothing encoded again");
            float[][] second = logits(propagation);
            for (int z = 0; z < 8; z++) {
                assertArrayEquals(first[z], second[z], "z" + (z + 1) + ": the same result again");
            }
        }
    }

    @Test
    void embeddingsRoundTripThroughTheDiskCache() {
        float[][] encoded;
        try (StackEmbeddings store = store(cache)) {
            Sam2StackPropagation p = new Sam2StackPropagation(model, store, W, H);
            p.run(videoBox(), Progress.NONE);
            encoded = logits(p);
            assertEquals(8, store.encodedCount());
        }
        try (StackEmbeddings again = store(cache)) {
            Sam2StackPropagation p = new Sam2StackPropagation(model, again, W, H);
            p.run(videoBox(), Progress.NONE);
            assertEquals(0, again.encodedCount(), "nothing encoded");
            assertEquals(8, again.diskHits(), "every slice read from disk");
            float[][] read = logits(p);
            // The stored tensors are the encoder's bit for bit; libtorch may sum in another order over a fresh copy
            // (a few 1e-6), which the bfloat16 memories carry on.
            for (int z = 0; z < 8; z++) {
                for (int k = 0; k < read[z].length; k++) {
                    assertEquals(encoded[z][k], read[z][k], 1e-4, "z" + (z + 1) + " at " + k);
                }
            }
            PromptPredictor sam2 = again.predictor();
            try (io.github.samfiji.inference.Embedding fresh = sam2.encode(Sam2VolumePropagatorTest.stackSlices()
                    .apply(2), Progress.NONE)) {
                PromptPredictor.StoredEmbedding a = sam2.toStored(fresh);
                PromptPredictor.StoredEmbedding b = sam2.toStored(again.embedding(2, Progress.NONE));
                assertEquals(a.tensors().keySet(), b.tensors().keySet());
                for (String name : a.tensors().keySet()) {
                    assertArrayEquals(a.tensors().get(name).toFloats(), b.tensors().get(name).toFloats(), name);
                }
                assertEquals(a.metadata(), b.metadata());
            }
        }
        try (StackEmbeddings sam1Store = new StackEmbeddings(PromptPredictor.of(
                new io.github.samfiji.checkpoint.LoadedModel.Sam2(model)), Sam2VolumePropagatorTest.stackSlices(), 8,
                null, () -> "")) {
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> sam1Store.get(0, Progress.NONE)).getMessage().contains("SAM 2.1"));
        }
    }
}
