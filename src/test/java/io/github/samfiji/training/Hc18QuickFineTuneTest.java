package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.model.SamConfig;
import io.github.samfiji.testing.NeedsSharedData;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real data in the default test run: the small SAM of samples/sam_tiny.json at a 128 px input, trained from scratch
 * for a few epochs on HC18 fetal-head ultrasound (automatic mode, 7:1:2 split by image), must beat the Otsu and
 * all-foreground baselines on the held-out images by a wide margin (measured: 0.699 against 0.358 and 0.325, in 20 s
 * on 2 cores). The longer BUSI run is {@link BusiFineTuneTest}.
 */
@NeedsSharedData
class Hc18QuickFineTuneTest {

    @Test
    void aFewEpochsFromScratchClearlyBeatOtsuAndAllForeground() throws Exception {
        List<TrainingSample> samples = TinyModels.sharedData("hc18");
        SamConfig config = TinyModels.samTinyAt(128);
        int epochs = Integer.getInteger("hc18.epochs", 10);
        FineTuneOptions options = new FineTuneOptions(1e-3, 0.1, 20, false, 4, 1, epochs, 0, epochs, true, 42);
        FromScratchRun run = FromScratchRun.train(samples, config, options);
        System.out.println("HC18, " + run);
        assertTrue(run.beatsBaselinesBy(0.2), run.toString());
    }
}
