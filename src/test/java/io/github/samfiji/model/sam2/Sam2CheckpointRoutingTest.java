package io.github.samfiji.model.sam2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.checkpoint.CheckpointException;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The model loader tells the families apart by their tensors and hands SAM 2.1 files to the SAM 2 loader. */
@NeedsSharedData
class Sam2CheckpointRoutingTest {

    private static final Path SET = Fixtures.set(Sam2Fixture.SET);

    @Test
    void aSam2CheckpointWithItsConfigurationLoadsAsSam2() throws Exception {
        try (LoadedModel loaded = ModelLoader.loadAny(SET.resolve("sam2_tiny.pt"), SET.resolve("config.json"))) {
            Sam2Model model = assertInstanceOf(LoadedModel.Sam2.class, loaded).model();
            assertEquals("sam2.1", loaded.family());
            assertEquals(128, model.config().imageSize());
            assertTrue(model.isComplete());
        }
    }

    @Test
    void anUnpublishedSam2WithoutConfigurationAsksForOne() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> ModelLoader.loadAny(SET.resolve("sam2_tiny.pt"), null));
        assertTrue(e.getMessage().contains("published SAM 2.1"), e.getMessage());
    }

    @Test
    void theSam1OnlyLoaderSaysWhyItRefusesSam2() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> ModelLoader.load(SET.resolve("sam2_tiny.pt"), null));
        assertTrue(e.getMessage().contains("SAM 2.1"), e.getMessage());
    }

    @Test
    void aSam1CheckpointStillLoadsAsSam1() throws Exception {
        try (LoadedModel loaded = ModelLoader.loadAny(Path.of("samples", "sam_tiny.pth"), null)) {
            assertInstanceOf(LoadedModel.Sam1.class, loaded);
            assertEquals("sam", loaded.family());
        }
    }
}
