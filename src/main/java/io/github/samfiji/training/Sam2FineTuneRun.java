package io.github.samfiji.training;

import com.google.gson.JsonObject;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.sam2.Sam2Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * A whole SAM 2.1 fine-tuning job, shared by the front ends, as {@link FineTuneRun} is for SAM 1: the same checks,
 * split, budget, resumption and output files (the best model written as it improves; the run's state after every
 * epoch; the LoRA folded into a plain SAM 2.1 state_dict on request), trained by {@link Sam2FineTuner}. The test
 * split is scored as validation is (see {@link Sam2FineTuner#evaluate}).
 */
public final class Sam2FineTuneRun {

    /** What came out: the training, the test Dice per image or volume, and the files written. */
    public record Summary(FineTuner.Result result, long trainable, long total, List<String> testGroups,
                          double[] testDice, Path model, Path merged) {

        public String testLine() {
            double[] v = testDice;
            if (v.length == 0) {
                return "test Dice: no test image/volume";
            }
            JsonObject s = FineTuneRun.stats(v);
            return String.format(java.util.Locale.ROOT, "test Dice (%d image(s)/volume(s), on the decoder's grid): "
                    + "%.4f [95%% CI %.4f, %.4f]", v.length, s.get("mean").getAsDouble(), s.get("ci95_low").getAsDouble(),
                    s.get("ci95_high").getAsDouble());
        }
    }

    private Sam2FineTuneRun() {
    }

    /** Everything that can be checked before training (see {@link FineTuneRun#plan}). */
    public static DataSplit plan(List<TrainingSample> samples, FineTuneRun.Setup setup) throws IOException {
        return FineTuneRun.plan(samples, setup);
    }

    /** @param video clip training of stacks, or null to train on the slices as images */
    public static Summary run(Sam2Model model, List<TrainingSample> samples, FineTuneRun.Setup setup,
                              Sam2FineTuner.Video video, FineTuner.Listener listener, Consumer<String> log)
            throws IOException {
        DataSplit split = plan(samples, setup);
        Path stateFile = TrainingState.fileFor(setup.out());
        JsonObject settings = setup.settings(split);
        settings.addProperty("model_family", "sam2.1");
        settings.addProperty("video", video == null ? "no" : video.label());
        TrainingState resumeFrom = FineTuneRun.resumeState(setup, stateFile, settings, log);
        long total = model.parameterCount();
        log.accept(String.format("data: %d training, %d validation, %d test image(s)/slice(s)%s", split.train().size(),
                split.validation().size(), split.test().size(), video == null ? "" : "; " + video.label()));
        Peft peft = setup.strategy().peft();
        int size = model.config().imageSize();
        FineTuner.Result result;
        long trainable;
        try (Sam2FineTuner tuner = new Sam2FineTuner(model, setup.strategy(), setup.options(), setup.objective(),
                video)) {
            trainable = tuner.trainableCount();
            log.accept(String.format("strategy %s: %,d trainable of %,d parameters (base model %,d)",
                    setup.strategy().label(), trainable, model.parameterCount(), total));
            FineTuner.Listener saving = FineTuneRun.savingBestAndState(listener, record -> {
                JsonObject best = describe(setup, video, size, model.parameterCount(), split, trainable, null, null);
                best.addProperty("best_epoch", record.epoch());
                best.addProperty("best_validation_score", record.validationScore());
                // Our own file from earlier in this run may be replaced; plan() protected others.
                ModelFiles.saveSam2(model, peft, best, setup.out(), true);
            }, setup, stateFile, settings);
            result = tuner.fit(split.train(), split.validation(), saving, resumeFrom);
        }
        log.accept(String.format("training %s after %d epoch(s), %d iteration(s), %.0f s; best validation score %.4f "
                        + "at epoch %d", result.cancelled() ? "cancelled" : result.stoppedEarly() ? "stopped early"
                        : "finished", result.history().size(), result.iterations(), result.seconds(), result.bestScore(),
                result.bestEpoch()));
        double[] testDice = Sam2FineTuner.evaluate(model, split.test(), setup.objective(), video != null);
        List<String> groups = Sam2FineTuner.volumes(split.test()).stream().map(v -> v.get(0).group()).toList();
        JsonObject finetune = describe(setup, video, size, model.parameterCount(), split, trainable, result, testDice);
        ModelFiles.saveSam2(model, peft, finetune, setup.out(), true);
        if (setup.saveState() && !result.cancelled()) {
            // Finished (or stopped early): nothing left to resume, and the state can be large.
            Files.deleteIfExists(stateFile);
        } else if (setup.saveState() && Files.exists(stateFile)) {
            log.accept("training state kept for resuming: " + stateFile);
        }
        Path merged = null;
        if (setup.exportMerged()) {
            merged = FineTuneRun.mergedPath(setup.out());
            ModelFiles.saveSam2Merged(model, finetune, merged, setup.overwrite());
        }
        return new Summary(result, trainable, total, groups, testDice, setup.out(), merged);
    }

    private static JsonObject describe(FineTuneRun.Setup setup, Sam2FineTuner.Video video, int size, long total,
                                       DataSplit split, long trainable, FineTuner.Result result, double[] test) {
        JsonObject o = FineTuneRun.describe(setup, size, total, split, trainable, result, null);
        o.addProperty("model_family", "sam2.1");
        o.addProperty("video", video == null ? "no (slices as images)" : video.label()
                + "; loss on every slice: Dice + cross-entropy (best of the candidates), IoU MSE, object-score "
                + "cross-entropy (absent slices: object score only)");
        if (test != null) {
            JsonObject t = new JsonObject();
            t.addProperty("per", "image or volume, on the decoder's grid (input / 4)");
            t.addProperty("model_prompt", video != null ? "tight box on the slice where the object is largest, "
                    + "tracked through the volume" : setup.objective() == FineTuner.Objective.INTERACTIVE
                    ? "tight box of the mask" : "none");
            t.add("model", FineTuneRun.stats(test));
            o.add("test_dice", t);
        }
        return o;
    }
}
