package io.github.samfiji.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SemanticClassesTest {

    @Test
    void theMostConfidentForegroundClassWins() {
        float[] a = {2f, -1f, 0.5f, -3f, 1f};
        float[] b = {1f, 3f, 0.5f, -1f, 0f};
        float[] c = {-1f, 4f, -2f, -2f, 0f};
        // pixel 0: a; 1: c beats b; 2: tie a/b -> a; 3: none positive; 4: only a positive (0 is not foreground)
        assertArrayEquals(new int[] {1, 3, 1, 0, 1}, SemanticClasses.labels(List.of(a, b, c)));
        assertArrayEquals(new boolean[] {false, true, false, false, false},
                SemanticClasses.mask(SemanticClasses.labels(List.of(a, b, c)), 3));
        assertThrows(IllegalArgumentException.class, () -> SemanticClasses.labels(List.of(a, new float[2])));
        assertThrows(IllegalArgumentException.class, () -> SemanticClasses.labels(List.of()));
    }
}
