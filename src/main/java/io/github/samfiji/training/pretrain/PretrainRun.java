package io.github.samfiji.training.pretrain;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.ModelFiles;
import io.github.samfiji.training.TrainingState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * A whole pre-training job, shared by the command line and Fiji: holds out validation images (seeded), trains
 * ({@link Pretrainer}), writes the training state after every epoch (to resume from), the curves as CSV after every
 * epoch, and at the end (or on cancel) the model: a plain SAM with the pre-trained image encoder and the start
 * model's prompt encoder and mask decoder; the reconstruction head is not kept. It loads wherever a checkpoint does,
 * e.g. {@code finetune --checkpoint}.
 */
public final class PretrainRun {

    /**
     * @param source what the model started from (checkpoint, preset), for the record
     * @param data   the image folders, in words
     */
    public record Setup(PretrainOptions options, Path out, boolean overwrite, boolean resume, String source,
                        String data) {
    }

    /** What came out; {@code curves} is the CSV of the per-epoch losses. */
    public record Summary(Pretrainer.Result result, long trainable, int trainImages, int validationImages, Path model,
                          Path curves, String scheme) {

        public String line() {
            FineTuner.EpochRecord first = result.history().isEmpty() ? null : result.history().get(0);
            FineTuner.EpochRecord last = result.history().isEmpty() ? null : result.history().get(result.history().size() - 1);
            return String.format(Locale.ROOT, "pre-training %s after %d epoch(s), %d iteration(s), %.0f s; training "
                    + "loss %s -> %s, validation reconstruction loss %s -> %s", result.cancelled() ? "cancelled"
                    : "finished", result.history().size(), result.iterations(), result.seconds(),
                    first == null ? "n/a" : fmt(first.trainLoss()), last == null ? "n/a" : fmt(last.trainLoss()),
                    first == null ? "n/a" : fmt(first.validationScore()), last == null ? "n/a" : fmt(last.validationScore()));
        }

        private static String fmt(double v) {
            return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
        }
    }

    /** The run's images split into training and validation. */
    public record Split(List<UnlabelledImage> train, List<UnlabelledImage> validation) {
    }

    private PretrainRun() {
    }

    /** The CSV of per-epoch losses beside the model: {@code MODEL.curves.csv}. */
    public static Path curvesFile(Path model) {
        return model.resolveSibling(stem(model) + ".curves.csv");
    }

    /** The PNG of the curves that front ends draw beside the model: {@code MODEL.curves.png}. */
    public static Path curvesPicture(Path model) {
        return model.resolveSibling(stem(model) + ".curves.png");
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** Everything that can be checked before loading a model; throws with a message naming the problem. */
    public static Split plan(List<UnlabelledImage> images, Setup setup) throws IOException {
        checkOutputs(setup);
        return split(images, setup.options());
    }

    /** Fails before any work when an output exists (without overwrite or resume) or there is nothing to resume. */
    public static void checkOutputs(Setup setup) throws IOException {
        if (!setup.out().getFileName().toString().endsWith(".safetensors")) {
            throw new IllegalArgumentException("the output model must be a .safetensors file");
        }
        ModelFiles.checkWritable(setup.out(), setup.overwrite() || setup.resume());
        if (!setup.overwrite() && !setup.resume()) {
            OutputFiles.requireAbsent(curvesFile(setup.out()).toAbsolutePath(),
                    curvesPicture(setup.out()).toAbsolutePath());
        }
        if (setup.resume() && !Files.isRegularFile(TrainingState.fileFor(setup.out()))) {
            throw new IllegalArgumentException("nothing to resume: " + TrainingState.fileFor(setup.out()).getFileName()
                    + " does not exist (runs write it after every epoch)");
        }
    }

    /** Seeded hold-out of {@code validation} of the images (at least one when asked and there are two or more). */
    public static Split split(List<UnlabelledImage> images, PretrainOptions options) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to pre-train on");
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(options.seed()));
        int held = options.validation() == 0 || images.size() < 2 ? 0
                : (int) Math.max(1, Math.min(images.size() - 1, Math.round(options.validation() * images.size())));
        List<Integer> validationIndex = new ArrayList<>(order.subList(0, held));
        List<Integer> trainIndex = new ArrayList<>(order.subList(held, order.size()));
        Collections.sort(validationIndex);
        Collections.sort(trainIndex);
        return new Split(trainIndex.stream().map(images::get).toList(), validationIndex.stream().map(images::get).toList());
    }

    public static Summary run(SamModel model, List<UnlabelledImage> images, Setup setup, FineTuner.Listener listener,
                              Consumer<String> log) throws IOException {
        Split split = plan(images, setup);
        if (model.namedParams().keySet().stream().anyMatch(n -> n.matches(".*\\.(lora_\\w+|adapter(_\\w+)?)\\..*"))) {
            throw new IllegalArgumentException("the start model carries LoRA or adapter tensors; pre-train a plain SAM "
                    + "(for LoRA, the .merged.safetensors that finetune --export-merged writes)");
        }
        Path stateFile = TrainingState.fileFor(setup.out());
        Path curves = curvesFile(setup.out());
        PretrainOptions op = setup.options();
        JsonObject settings = settings(setup, model, split);
        TrainingState resumeFrom = null;
        if (setup.resume()) {
            TrainingState.Saved saved = TrainingState.read(stateFile);
            for (String key : settings.keySet()) {
                if (!settings.get(key).equals(saved.settings().get(key))) {
                    throw new IllegalArgumentException("cannot resume: the " + key + " differs from the interrupted run's ("
                            + saved.settings().get(key) + " then, " + settings.get(key) + " now)");
                }
            }
            resumeFrom = saved.state();
            log.accept(String.format("resuming after epoch %d (iteration %d)", resumeFrom.epoch(), resumeFrom.iteration()));
        }
        log.accept(String.format("data: %d training, %d validation image(s)", split.train().size(),
                split.validation().size()));
        Pretrainer.Result result;
        long trainable;
        String scheme;
        try (Pretrainer trainer = new Pretrainer(model, op)) {
            trainable = trainer.trainableCount();
            scheme = trainer.head().describe();
            log.accept(String.format("%s; %,d trainable parameters, mask ratio %.2f", scheme, trainable, op.maskRatio()));
            List<Rgb8Image> train = split.train().stream().map(i -> trainer.resized(i.image())).toList();
            List<Rgb8Image> validation = split.validation().stream().map(i -> trainer.resized(i.image())).toList();
            FineTuner.Listener saving = new FineTuner.Listener() {
                @Override
                public void onIteration(long iteration, int epoch, double loss, double lr, double secondsLeft) {
                    listener.onIteration(iteration, epoch, loss, lr, secondsLeft);
                }

                @Override
                public void onEpoch(FineTuner.EpochRecord record, double secondsLeft) {
                    listener.onEpoch(record, secondsLeft);
                }

                @Override
                public boolean isCancelled() {
                    return listener.isCancelled();
                }

                @Override
                public void onHistory(List<FineTuner.EpochRecord> history) {
                    try {
                        // Our own file (checked absent before the run, or of the run resumed).
                        OutputFiles.writeString(curves.toAbsolutePath(), true, csv(history));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("could not write the curves", e);
                    }
                    listener.onHistory(history);
                }

                @Override
                public void onEpochEnd(java.util.function.Supplier<TrainingState> state) {
                    try {
                        state.get().write(stateFile, settings);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("could not write the training state", e);
                    }
                    listener.onEpochEnd(state);
                }
            };
            result = trainer.fit(train, validation, saving, resumeFrom);
        }
        ModelFiles.save(model, null, describe(setup, model, split, trainable, scheme, result), setup.out(), true);
        if (!result.cancelled()) {
            Files.deleteIfExists(stateFile);
        } else if (Files.exists(stateFile)) {
            log.accept("training state kept for resuming: " + stateFile);
        }
        return new Summary(result, trainable, split.train().size(), split.validation().size(), setup.out(), curves,
                scheme);
    }

    /** Per-epoch losses as CSV (validation empty on epochs without it). */
    public static String csv(List<FineTuner.EpochRecord> history) {
        StringBuilder b = new StringBuilder("epoch,iterations,train_loss,validation_loss,seconds\n");
        for (FineTuner.EpochRecord r : history) {
            b.append(String.format(Locale.ROOT, "%d,%d,%.6f,%s,%.1f%n", r.epoch(), r.iterations(), r.trainLoss(),
                    Double.isNaN(r.validationScore()) ? "" : String.format(Locale.ROOT, "%.6f", r.validationScore()),
                    r.seconds()));
        }
        return b.toString();
    }

    /** What must not change between a run and its resumption (everything but the number of epochs). */
    static JsonObject settings(Setup setup, SamModel model, Split split) {
        PretrainOptions op = setup.options();
        JsonObject o = new JsonObject();
        o.addProperty("source", setup.source());
        o.addProperty("input_size", model.config().imageSize());
        o.addProperty("scheme", String.format(Locale.ROOT, "mask ratio %s decoder %d x %d", op.maskRatio(),
                op.decoderDepth(), op.decoderWidth()));
        o.addProperty("optimizer", String.format(Locale.ROOT, "lr %s wd %s warmup %d decay %s batch %d seed %d",
                op.learningRate(), op.weightDecay(), op.warmup(), op.decay(), op.batchSize(), op.seed()));
        o.add("train", names(split.train()));
        o.add("validation", names(split.validation()));
        return o;
    }

    static JsonObject describe(Setup setup, SamModel model, Split split, long trainable, String scheme,
                               Pretrainer.Result result) {
        PretrainOptions op = setup.options();
        JsonObject o = new JsonObject();
        o.addProperty("objective", "self-supervised masked image modelling (pre-training); " + scheme);
        o.addProperty("note", "only the image encoder was trained (its neck excepted); the prompt encoder and mask "
                + "decoder are the start model's (random when it started from random weights); the reconstruction "
                + "head is not kept");
        o.addProperty("source", setup.source());
        o.addProperty("input_size", model.config().imageSize());
        o.addProperty("mask_ratio", op.maskRatio());
        o.addProperty("trainable_parameters", trainable);
        JsonObject h = new JsonObject();
        h.addProperty("learning_rate", op.learningRate());
        h.addProperty("weight_decay", op.weightDecay());
        h.addProperty("warmup_iterations", op.warmup());
        h.addProperty("schedule", op.decay() ? "poly 0.9" : "constant");
        h.addProperty("batch_size", op.batchSize());
        h.addProperty("max_epochs", op.epochs());
        h.addProperty("decoder_depth", op.decoderDepth());
        h.addProperty("decoder_width", op.decoderWidth());
        h.addProperty("seed", op.seed());
        o.add("hyperparameters", h);
        JsonObject d = new JsonObject();
        d.addProperty("data", setup.data());
        d.addProperty("train_images", split.train().size());
        d.add("validation", names(split.validation()));
        o.add("data", d);
        JsonObject r = new JsonObject();
        r.addProperty("epochs", result.history().size());
        r.addProperty("iterations", result.iterations());
        r.addProperty("seconds", Math.round(result.seconds()));
        r.addProperty("cancelled", result.cancelled());
        JsonArray curve = new JsonArray();
        for (FineTuner.EpochRecord e : result.history()) {
            JsonObject c = new JsonObject();
            c.addProperty("epoch", e.epoch());
            c.addProperty("train_loss", e.trainLoss());
            if (!Double.isNaN(e.validationScore())) {
                c.addProperty("validation_loss", e.validationScore());
            }
            curve.add(c);
        }
        r.add("history", curve);
        o.add("pretraining", r);
        return o;
    }

    private static JsonArray names(List<UnlabelledImage> images) {
        JsonArray a = new JsonArray();
        images.forEach(i -> a.add(i.name()));
        return a;
    }
}
