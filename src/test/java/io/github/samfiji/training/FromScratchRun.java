package io.github.samfiji.training;

import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import java.util.List;

/** A prompt-free model trained from random weights on a real data set, scored on its held-out test split. */
record FromScratchRun(int testImages, double model, double otsu, double allForeground, double seconds) {

    /** Trains encoder + decoder (vanilla) on the seed-42 split of {@code samples} and evaluates the test split. */
    static FromScratchRun train(List<TrainingSample> samples, SamConfig config, FineTuneOptions options) {
        long start = System.nanoTime();
        DataSplit split = DataSplit.bySeed(samples, 42);
        try (SamModel model = new SamModel(config)) {
            model.initializeRandom(42);
            try (FineTuner tuner = new FineTuner(model, Strategy.vanilla(Strategy.Parts.ENCODER_DECODER), options)) {
                tuner.fit(split.train(), split.validation(), new FineTuner.Listener() { });
            }
            VolumeDice.Scores scores = FineTuner.dice(model, split.test());
            boolean bright = Baselines.otsuBrightObjects(split.train());
            double otsu = VolumeDice.of(split.test(), split.test().stream().map(s -> Baselines.otsu(s, bright)).toList())
                    .mean();
            double all = VolumeDice.of(split.test(), split.test().stream().map(Baselines::allForeground).toList()).mean();
            double dice = scores.mean();
            return new FromScratchRun(split.test().size(), dice, otsu, all, (System.nanoTime() - start) / 1e9);
        }
    }

    /** Whether the model beats the better baseline by {@code margin} Dice. */
    boolean beatsBaselinesBy(double margin) {
        return model > Math.max(otsu, allForeground) + margin;
    }

    @Override
    public String toString() {
        return String.format("%d test images: model %.3f, Otsu %.3f, all foreground %.3f (%.0f s)", testImages, model,
                otsu, allForeground, seconds);
    }
}
