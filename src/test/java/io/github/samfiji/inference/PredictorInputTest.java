package io.github.samfiji.inference;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.FixtureImages;
import io.github.samfiji.testing.FixtureModels;
import io.github.samfiji.testing.NeedsSharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input gives a specific, readable error. */
@NeedsSharedData
class PredictorInputTest {

    private static SamModel model;
    private static SamPredictor predictor;
    private static ImageEmbedding embedding;

    @BeforeAll
    static void setUp() {
        model = FixtureModels.fromNpy("sam_tiny");
        predictor = new SamPredictor(model);
        embedding = predictor.encode(FixtureImages.image("sam_tiny"));
    }

    @AfterAll
    static void tearDown() {
        if (embedding != null) {
            embedding.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static void assertMessage(Class<? extends Throwable> type, String fragment, Runnable r) {
        Throwable t = assertThrows(type, r::run);
        assertTrue(t.getMessage().contains(fragment), "message '" + t.getMessage() + "' should mention '" + fragment + "'");
    }

    @Test
    void tinyImagesAreRejected() {
        assertMessage(IllegalArgumentException.class, "too small (1 x 1",
                () -> predictor.encode(new Rgb8Image(1, 1, new byte[3])));
        // An empty image cannot even be built.
        assertMessage(IllegalArgumentException.class, "image size must be positive: 0x0",
                () -> predictor.encode(new Rgb8Image(0, 0, new byte[0])));
    }

    @Test
    void pointOutsideTheImage() {
        assertMessage(IllegalArgumentException.class, "point (200, 10) lies outside the 97 x 150 image",
                () -> predictor.predict(embedding, Prompt.builder().point(200, 10, 1).build(), false));
        assertMessage(IllegalArgumentException.class, "outside",
                () -> predictor.predict(embedding, Prompt.builder().point(-1, 10, 1).build(), false));
    }

    @Test
    void invertedBox() {
        assertMessage(IllegalArgumentException.class, "box (50, 10, 20, 40) is inverted",
                () -> Prompt.builder().box(50, 10, 20, 40));
    }

    @Test
    void emptyPromptAndBadLabelAndWrongMaskSize() {
        assertMessage(IllegalArgumentException.class, "empty prompt",
                () -> predictor.predict(embedding, Prompt.builder().build(), false));
        assertMessage(IllegalArgumentException.class, "label must be 1 (object) or 0",
                () -> Prompt.builder().point(1, 1, 2));
        assertMessage(IllegalArgumentException.class, "64 x 64",
                () -> predictor.predict(embedding, Prompt.builder().maskInput(new float[10]).build(), false));
    }

    @Test
    void closedEmbeddingIsReported() {
        ImageEmbedding e = predictor.encode(FixtureImages.image("sam_tiny"));
        e.close();
        assertMessage(IllegalStateException.class, "closed",
                () -> predictor.predict(e, Prompt.builder().point(5, 5, 1).build(), false));
    }
}
