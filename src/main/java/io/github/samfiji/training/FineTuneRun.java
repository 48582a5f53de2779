package io.github.samfiji.training;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.samfiji.evaluation.SummaryStatistics;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.SamModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A whole fine-tuning job, shared by the command line and Fiji: checks the inputs, splits the data by image/volume,
 * applies the annotation budget, trains with early stopping (writing the best model as it improves), evaluates the
 * result on the test split next to two baselines (Otsu threshold, all foreground) and writes the final files.
 */
public final class FineTuneRun {

    /**
     * @param budget     fraction of the training split that is annotated (1 = all)
     * @param fewShot    if > 0, use this many training images instead of a budget
     * @param trainList  user-given training group names (null: seeded 7:1:2 split)
     * @param valList    user-given validation group names (with trainList)
     * @param source     what the model started from (checkpoint file, preset), for the record
     * @param saveState  write the run's state after every epoch ({@link TrainingState#fileFor}), to resume from
     * @param resume     continue the run whose state lies beside {@code out} (the same settings, more epochs allowed)
     */
    public record Setup(Strategy strategy, FineTuneOptions options, double budget, int fewShot, List<String> trainList,
                        List<String> valList, Path out, boolean overwrite, boolean exportMerged, String source,
                        String data, FineTuner.Objective objective, boolean saveState, boolean resume) {

        public Setup(Strategy strategy, FineTuneOptions options, double budget, int fewShot, List<String> trainList,
                     List<String> valList, Path out, boolean overwrite, boolean exportMerged, String source,
                     String data, FineTuner.Objective objective) {
            this(strategy, options, budget, fewShot, trainList, valList, out, overwrite, exportMerged, source, data,
                    objective, false, false);
        }

        /** A copy that resumes (or not) the run whose state lies beside the output model. */
        public Setup resuming(boolean resume, boolean saveState) {
            return new Setup(strategy, options, budget, fewShot, trainList, valList, out, overwrite, exportMerged, source,
                    data, objective, saveState, resume);
        }

        /**
         * What must not change between a run and its resumption: everything that decides the computation except
         * the number of epochs and the patience (a run may be given more of both).
         */
        JsonObject settings(DataSplit split) {
            JsonObject o = new JsonObject();
            o.addProperty("strategy", strategy.label());
            o.addProperty("objective", objective.name());
            o.addProperty("source", source);
            FineTuneOptions op = options;
            o.addProperty("optimizer", String.format(java.util.Locale.ROOT, "lr %s wd %s warmup %d decay %s batch %d "
                    + "accumulation %d augment %s seed %d", op.learningRate(), op.weightDecay(), op.warmup(), op.decay(),
                    op.batchSize(), op.accumulation(), op.augment(), op.seed()));
            o.add("train", groups(split.train()));
            o.add("validation", groups(split.validation()));
            return o;
        }

        /** The automatic (prompt-free) objective. */
        public Setup(Strategy strategy, FineTuneOptions options, double budget, int fewShot, List<String> trainList,
                     List<String> valList, Path out, boolean overwrite, boolean exportMerged, String source, String data) {
            this(strategy, options, budget, fewShot, trainList, valList, out, overwrite, exportMerged, source, data,
                    FineTuner.Objective.AUTOMATIC);
        }
    }

    /**
     * What came out. Dice arrays are per test image or volume ({@link VolumeDice}), named by {@code testGroups};
     * the image counts are of images/slices. The prompt-free baselines (Otsu, all foreground) are always there; for
     * the interactive objective, whose test Dice comes from a box prompt, so are the box's baseline (the ellipse
     * inscribed in it) and the same model without any prompt (else those two are null).
     */
    public record Summary(FineTuner.Result result, long trainable, long total, int trainImages, int validationImages,
                          int testImages, List<String> testGroups, double[] testDice, double[] otsuDice,
                          double[] allForegroundDice, double[] ellipseDice, double[] promptFreeDice,
                          double backgroundLeftEmpty, Path model, Path merged, VolumeDice.Scores testScores,
                          PixelScores testPixels) {

        /** One line of test figures, mean [95% bootstrap CI] each, the same for every front end. */
        public String testLine() {
            String head = String.format("test Dice (%d image(s)/volume(s)): ", testGroups.size());
            if (ellipseDice != null) {
                return head + "model with a box prompt " + meanText(testDice) + "; ellipse inscribed in the box "
                        + meanText(ellipseDice) + "; same model without prompt " + meanText(promptFreeDice)
                        + "; Otsu " + meanText(otsuDice) + "; all foreground " + meanText(allForegroundDice)
                        + String.format(java.util.Locale.ROOT, "; a box on background only left empty: %.2f (1 - "
                                + "returned area / object area, mean)", backgroundLeftEmpty);
            }
            return head + "model " + meanText(testDice) + "; Otsu " + meanText(otsuDice) + "; all foreground "
                    + meanText(allForegroundDice);
        }

        private static String meanText(double[] v) {
            if (v.length == 0) {
                return "n/a";
            }
            SummaryStatistics.Summary s = SummaryStatistics.of(v, SummaryStatistics.DEFAULT_RESAMPLES,
                    SummaryStatistics.DEFAULT_SEED);
            return String.format(java.util.Locale.ROOT, "%.4f [95%% CI %.4f, %.4f]", s.mean(), s.ciLow(), s.ciHigh());
        }
    }

    private FineTuneRun() {
    }

    /** Everything that can be checked before training; throws with a message naming the problem. */
    public static DataSplit plan(List<TrainingSample> samples, Setup setup) throws IOException {
        // A resumed run replaces its own model file; it needs the state written by the run it continues.
        ModelFiles.checkWritable(setup.out(), setup.overwrite() || setup.resume());
        if (setup.resume() && !java.nio.file.Files.isRegularFile(TrainingState.fileFor(setup.out()))) {
            throw new IllegalArgumentException("nothing to resume: " + TrainingState.fileFor(setup.out()).getFileName()
                    + " does not exist (runs write it after every epoch)");
        }
        if (setup.exportMerged()) {
            if (setup.strategy().method() == Strategy.Method.ADAPTER) {
                throw new IllegalArgumentException("adapters cannot be merged into a plain SAM model (they are "
                        + "nonlinear); leave out the merged export");
            }
            ModelFiles.checkWritable(mergedPath(setup.out()), setup.overwrite());
        }
        return split(samples, setup);
    }

    /** The run's split (train after budget or few-shot, validation, test), without checking its output files. */
    public static DataSplit split(List<TrainingSample> samples, Setup setup) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no training data");
        }
        if (DataSplit.withForeground(samples).isEmpty()) {
            throw new IllegalArgumentException("none of the " + samples.size() + " masks has any foreground pixel: "
                    + "nothing to learn (are the masks 0 everywhere?)");
        }
        DataSplit split = setup.trainList() != null ? DataSplit.byLists(samples, setup.trainList(), setup.valList())
                : DataSplit.bySeed(samples, setup.options().seed());
        List<TrainingSample> train = setup.fewShot() > 0
                ? DataSplit.fewShot(split.train(), setup.fewShot(), setup.options().seed())
                : DataSplit.budget(split.train(), setup.budget(), setup.options().seed());
        if (DataSplit.withForeground(train).isEmpty()) {
            throw new IllegalArgumentException("the " + train.size() + " training image(s) left after the split and "
                    + "budget have no foreground in their masks: nothing to learn");
        }
        return new DataSplit(train, split.validation(), split.test());
    }

    /**
     * The interrupted run's state when resuming (null otherwise), after checking that every setting in {@code settings}
     * is the one the run had.
     */
    static TrainingState resumeState(Setup setup, Path stateFile, JsonObject settings, Consumer<String> log)
            throws IOException {
        if (!setup.resume()) {
            return null;
        }
        TrainingState.Saved saved = TrainingState.read(stateFile);
        for (String key : settings.keySet()) {
            if (!settings.get(key).equals(saved.settings().get(key))) {
                throw new IllegalArgumentException("cannot resume: the " + key + " differs from the interrupted run's ("
                        + saved.settings().get(key) + " then, " + settings.get(key) + " now)");
            }
        }
        TrainingState state = saved.state();
        log.accept(String.format("resuming after epoch %d (iteration %d, best validation score %.4f at epoch %d)",
                state.epoch(), state.iteration(), state.bestScore(), state.bestEpoch()));
        return state;
    }

    /** Writes the best model so far when an epoch improves on it. */
    interface BestModelWriter {
        void write(FineTuner.EpochRecord record) throws IOException;
    }

    /**
     * {@code listener}, and besides: the best model written to disk at each new best (so an interrupted run keeps it)
     * and, when the setup saves state, the training state after every epoch (for {@code --resume}).
     */
    static FineTuner.Listener savingBestAndState(FineTuner.Listener listener, BestModelWriter best, Setup setup,
                                                 Path stateFile, JsonObject settings) {
        return new FineTuner.Listener() {
            @Override
            public void onIteration(long iteration, int epoch, double loss, double lr, double secondsLeft) {
                listener.onIteration(iteration, epoch, loss, lr, secondsLeft);
            }

            @Override
            public void onEpoch(FineTuner.EpochRecord record, double secondsLeft) {
                listener.onEpoch(record, secondsLeft);
            }

            @Override
            public void onNewBest(FineTuner.EpochRecord record) {
                try {
                    best.write(record);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("could not write the best model so far", e);
                }
                listener.onNewBest(record);
            }

            @Override
            public boolean isCancelled() {
                return listener.isCancelled();
            }

            @Override
            public void onHistory(List<FineTuner.EpochRecord> history) {
                listener.onHistory(history);
            }

            @Override
            public void onEpochEnd(java.util.function.Supplier<TrainingState> state) {
                if (setup.saveState()) {
                    try {
                        state.get().write(stateFile, settings);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("could not write the training state", e);
                    }
                }
                listener.onEpochEnd(state);
            }
        };
    }

    public static Path mergedPath(Path out) {
        String name = out.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return out.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".merged.safetensors");
    }

    public static Summary run(SamModel model, List<TrainingSample> samples, Setup setup, FineTuner.Listener listener,
                              Consumer<String> log) throws IOException {
        DataSplit split = plan(samples, setup);
        Path stateFile = TrainingState.fileFor(setup.out());
        JsonObject settings = setup.settings(split);
        TrainingState resumeFrom = resumeState(setup, stateFile, settings, log);
        long total = model.parameterCount();
        int leftOut = split.train().size() - DataSplit.withForeground(split.train()).size();
        log.accept(String.format("data: %d training, %d validation, %d test image(s)/slice(s)%s", split.train().size(),
                split.validation().size(), split.test().size(),
                leftOut > 0 ? " (" + leftOut + " training slice(s) with empty masks left out)" : ""));
        Peft peft = setup.strategy().peft();
        FineTuner.Result result;
        long trainable;
        try (FineTuner tuner = new FineTuner(model, setup.strategy(), setup.options(), setup.objective())) {
            trainable = tuner.trainableCount();
            long totalWithAdded = model.parameterCount();
            log.accept(String.format("strategy %s: %,d trainable of %,d parameters (base model %,d)",
                    setup.strategy().label(), trainable, totalWithAdded, total));
            JsonObject[] latest = new JsonObject[1];
            FineTuner.Listener saving = savingBestAndState(listener, record -> {
                latest[0] = describe(setup, model, split, trainable, null, null);
                latest[0].addProperty("best_epoch", record.epoch());
                latest[0].addProperty("best_validation_score", record.validationScore());
                // Our own file from earlier in this run may be replaced; the check above protected others.
                ModelFiles.save(model, peft, latest[0], setup.out(), true);
            }, setup, stateFile, settings);
            result = tuner.fit(split.train(), split.validation(), saving, resumeFrom);
        }
        log.accept(String.format("training %s after %d epoch(s), %d iteration(s), %.0f s; best validation "
                + setup.objective().validationLabel() + " %.4f at epoch %d",
                result.cancelled() ? "cancelled" : result.stoppedEarly() ? "stopped early" : "finished",
                result.history().size(), result.iterations(), result.seconds(), result.bestScore(), result.bestEpoch()));
        TestScores test = test(model, split, setup.objective());
        double[] testDice = test.dice();
        double[] otsu = test.otsu();
        double[] allFg = test.allForeground();
        double[] ellipse = test.ellipse();
        double[] promptFree = test.promptFree();
        double backgroundLeftEmpty = test.backgroundLeftEmpty();
        VolumeDice.Scores scores = test.model();
        JsonObject finetune = describe(setup, model, split, trainable, result,
                new double[][] {testDice, otsu, allFg, ellipse, promptFree});
        if (!Double.isNaN(backgroundLeftEmpty)) {
            finetune.getAsJsonObject("test_dice").addProperty("background_boxes_left_empty", backgroundLeftEmpty);
        }
        ModelFiles.save(model, peft, finetune, setup.out(), true);
        if (setup.saveState() && !result.cancelled()) {
            // Finished (or stopped early): nothing left to resume, and the state can be large.
            java.nio.file.Files.deleteIfExists(stateFile);
        } else if (setup.saveState() && java.nio.file.Files.exists(stateFile)) {
            log.accept("training state kept for resuming: " + stateFile);
        }
        Path merged = null;
        if (setup.exportMerged() && peft != null) {
            merged = mergedPath(setup.out());
            ModelFiles.saveMerged(model, finetune, merged, setup.overwrite());
        }
        return new Summary(result, trainable, total, split.train().size(), split.validation().size(),
                split.test().size(), scores.groups(), testDice, otsu, allFg, ellipse, promptFree, backgroundLeftEmpty,
                setup.out(), merged, scores, test.pixels());
    }

    /**
     * A model's figures on the test split, per image or volume, beside the baselines on the same images: Otsu and all
     * foreground; for the interactive objective also the ellipse inscribed in the box, the same model without a
     * prompt, and the share of background-only boxes it leaves empty (else null / NaN).
     */
    public record TestScores(VolumeDice.Scores model, double[] otsu, double[] allForeground, double[] ellipse,
                             double[] promptFree, double backgroundLeftEmpty, PixelScores pixels) {

        public List<String> groups() {
            return model.groups();
        }

        public double[] dice() {
            return model.dice();
        }
    }

    /** Scores {@code model} on the split's test images as a finished run is scored (also for a zero-shot row). */
    public static TestScores test(SamModel model, DataSplit split, FineTuner.Objective objective) {
        boolean interactive = objective == FineTuner.Objective.INTERACTIVE;
        // An interactive model is scored twice on its test images (box prompt, no prompt): each is encoded once.
        Map<TrainingSample, io.github.samfiji.inference.ImageEmbedding> encoded = interactive ? new HashMap<>() : null;
        try {
            double backgroundLeftEmpty = Double.NaN;
            VolumeDice.Scores scores;
            PixelScores pixels = new PixelScores(split.test());
            if (interactive) {
                FineTuner.PromptFollowing following = FineTuner.promptFollowing(model, split.test(), encoded, true,
                        pixels);
                scores = following.dice();
                backgroundLeftEmpty = following.backgroundLeftEmpty();
            } else {
                scores = FineTuner.evaluate(model, split.test(), objective, null, pixels);
            }
            // The baselines are scored on the same images or volumes as the model.
            List<TrainingSample> scored = new ArrayList<>();
            for (TrainingSample s : split.test()) {
                if (scores.groups().contains(s.group())) {
                    scored.add(s);
                }
            }
            boolean bright = Baselines.otsuBrightObjects(split.train());
            double[] otsu = VolumeDice.of(scored, scored.stream().map(s -> Baselines.otsu(s, bright)).toList()).dice();
            double[] allFg = VolumeDice.of(scored, scored.stream().map(Baselines::allForeground).toList()).dice();
            double[] ellipse = null;
            double[] promptFree = null;
            if (interactive) {
                // The box prompt's own baseline, and whether the prompt matters at all for this model.
                ellipse = VolumeDice.of(scored, scored.stream().map(Baselines::boxEllipse).toList()).dice();
                promptFree = FineTuner.evaluate(model, scored, FineTuner.Objective.AUTOMATIC, encoded).dice();
            }
            return new TestScores(scores, otsu, allFg, ellipse, promptFree, backgroundLeftEmpty, pixels);
        } finally {
            if (encoded != null) {
                encoded.values().forEach(io.github.samfiji.inference.ImageEmbedding::close);
            }
        }
    }

    static JsonObject describe(Setup setup, SamModel model, DataSplit split, long trainable, FineTuner.Result result,
                               double[][] test) {
        return describe(setup, model.config().imageSize(), model.parameterCount(), split, trainable, result, test);
    }

    /** The run's record for the model's JSON, for a model of either family ({@code test} may be null). */
    static JsonObject describe(Setup setup, int inputSize, long totalParameters, DataSplit split, long trainable,
                               FineTuner.Result result, double[][] test) {
        JsonObject o = new JsonObject();
        Strategy s = setup.strategy();
        o.addProperty("objective", setup.objective() == FineTuner.Objective.INTERACTIVE
                ? "interactive (box or point on each part of the mask, " + InteractiveObjective.CORRECTIONS
                        + " correction rounds; Dice + cross-entropy + IoU MSE; background boxes with empty targets; test Dice from a "
                        + "tight box)"
                : "automatic (no prompt; Dice + cross-entropy)");
        o.addProperty("parts", s.parts().label());
        o.addProperty("prompt_encoder_trained", s.promptEncoder());
        o.addProperty("method", s.method().label());
        if (s.method() == Strategy.Method.LORA) {
            o.addProperty("rank", s.rank());
            o.addProperty("lora_scale", s.loraScale());
        }
        o.addProperty("source", setup.source());
        o.addProperty("input_size", inputSize);
        o.addProperty("trainable_parameters", trainable);
        o.addProperty("total_parameters", totalParameters);
        FineTuneOptions op = setup.options();
        JsonObject h = new JsonObject();
        h.addProperty("learning_rate", op.learningRate());
        h.addProperty("weight_decay", op.weightDecay());
        h.addProperty("warmup_iterations", op.warmup());
        h.addProperty("schedule", op.decay() ? "poly 0.9" : "constant");
        h.addProperty("batch_size", op.batchSize());
        h.addProperty("accumulation", op.accumulation());
        h.addProperty("max_epochs", op.epochs());
        h.addProperty("patience", op.patience());
        h.addProperty("augmentation", op.augment());
        h.addProperty("seed", op.seed());
        o.add("hyperparameters", h);
        JsonObject d = new JsonObject();
        d.addProperty("data", setup.data());
        d.addProperty("budget", setup.fewShot() > 0 ? null : setup.budget());
        if (setup.fewShot() > 0) {
            d.addProperty("few_shot", setup.fewShot());
        }
        d.add("train", groups(split.train()));
        d.add("validation", groups(split.validation()));
        d.add("test", groups(split.test()));
        o.add("data", d);
        if (result != null) {
            JsonObject r = new JsonObject();
            r.addProperty("epochs", result.history().size());
            r.addProperty("iterations", result.iterations());
            r.addProperty("seconds", Math.round(result.seconds()));
            r.addProperty("best_epoch", result.bestEpoch());
            r.addProperty("validation_score", setup.objective() == FineTuner.Objective.INTERACTIVE
                    ? "Dice from a tight box x (1 - area returned for a background-only box / object area)" : "Dice");
            r.addProperty("best_validation_score", result.bestScore());
            r.addProperty("stopped_early", result.stoppedEarly());
            r.addProperty("cancelled", result.cancelled());
            JsonArray curve = new JsonArray();
            for (FineTuner.EpochRecord e : result.history()) {
                JsonObject c = new JsonObject();
                c.addProperty("epoch", e.epoch());
                c.addProperty("train_loss", e.trainLoss());
                if (!Double.isNaN(e.validationScore())) {
                    c.addProperty("validation_score", e.validationScore());
                }
                curve.add(c);
            }
            r.add("history", curve);
            o.add("training", r);
        }
        if (test != null) {
            JsonObject t = new JsonObject();
            t.addProperty("per", "image or volume (the slices of a volume pooled into one 3D Dice)");
            t.add("model", stats(test[0]));
            t.add("otsu_baseline", stats(test[1]));
            t.add("all_foreground_baseline", stats(test[2]));
            if (test[3] != null) {
                t.addProperty("model_prompt", "tight box of the mask");
                t.add("box_ellipse_baseline", stats(test[3]));
                t.add("model_without_prompt", stats(test[4]));
            }
            o.add("test_dice", t);
        }
        return o;
    }

    private static JsonArray groups(List<TrainingSample> samples) {
        List<String> names = new ArrayList<>();
        for (TrainingSample s : samples) {
            if (!names.contains(s.group())) {
                names.add(s.group());
            }
        }
        JsonArray a = new JsonArray();
        names.forEach(a::add);
        return a;
    }

    static JsonObject stats(double[] values) {
        JsonObject o = new JsonObject();
        o.addProperty("n", values.length);
        if (values.length > 0) {
            SummaryStatistics.Summary s = SummaryStatistics.of(values, SummaryStatistics.DEFAULT_RESAMPLES,
                    SummaryStatistics.DEFAULT_SEED);
            o.addProperty("mean", s.mean());
            o.addProperty("ci95_low", s.ciLow());
            o.addProperty("ci95_high", s.ciHigh());
            o.addProperty("median", s.median());
        }
        return o;
    }
}
