package io.github.samfiji.inference;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A full-size result that cannot fit in memory is refused with advice before anything is allocated. */
class PredictorMemoryPlanTest {

    @Test
    void hugeResultsAreRefusedBeforeAllocation() {
        // 100000 x 100000 x 3 candidates would need ~390 GB.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SamPredictor.requireMemoryFor(100_000, 100_000, 3));
        assertTrue(e.getMessage().contains("100000 x 100000") && e.getMessage().contains("more memory"),
                e.getMessage());
        // An ordinary image passes.
        SamPredictor.requireMemoryFor(1024, 1024, 3);
    }
}
