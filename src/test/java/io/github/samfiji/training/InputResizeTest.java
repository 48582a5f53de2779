package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.SamModel;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InputResizeTest {

    private static long[] embeddingShape(SamModel model, int size) {
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray image = m.randomNormal(new Shape(1, 3, size, size));
            return model.imageEncoder().forward(image).getShape().getShape();
        }
    }

    @Test
    void tinyVitMovesToAnotherSizeWithEveryWeightUnchanged() {
        try (SamModel model = TinyModels.randomTinyVit(3); SamModel bigger = InputResize.resize(model, 128)) {
            assertEquals(128, bigger.config().imageSize());
            Map<String, float[]> before = new java.util.HashMap<>();
            model.namedParams().forEach((n, p) -> before.put(n, p.value().toType(DataType.FLOAT32, false).toFloatArray()));
            bigger.namedParams().forEach((n, p) ->
                    assertArrayEquals(before.get(n), p.value().toType(DataType.FLOAT32, false).toFloatArray(), n));
            // The stage grids follow the new size (32, 16, 8, 8 tokens) and the embedding is size/16 wide.
            assertArrayEquals(new long[] {1, 32, 8, 8}, embeddingShape(bigger, 128));
            assertArrayEquals(new long[] {1, 32, 4, 4}, embeddingShape(model, 64));
        }
    }

    @Test
    void vitPositionEmbeddingFollowsTheGrid() {
        try (SamModel model = TinyModels.randomModel(4); SamModel smaller = InputResize.resize(model, 32)) {
            assertEquals(new Shape(1, 2, 2, 32), smaller.namedParams().get("image_encoder.pos_embed").shape());
            assertArrayEquals(new long[] {1, 32, 2, 2}, embeddingShape(smaller, 32));
        }
    }

    @Test
    void sizesThatAreNoMultipleOf16AreRefused() {
        assertThrows(IllegalArgumentException.class, () -> InputResize.configFor(TinyModels.tinyVitConfig(), 100));
    }
}
