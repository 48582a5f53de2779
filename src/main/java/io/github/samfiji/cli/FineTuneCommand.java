package io.github.samfiji.cli;

import io.github.samfiji.evaluation.NameMatching;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.sam2.Sam2Config;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.training.Sam2FineTuneRun;
import io.github.samfiji.training.Sam2FineTuner;
import io.github.samfiji.training.StartModel;
import io.github.samfiji.imagejio.Charts;
import io.github.samfiji.training.FineTuneOptions;
import io.github.samfiji.training.FineTuneRun;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.Strategy;
import io.github.samfiji.training.TrainingSample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code finetune}: fine-tunes a SAM or SAM 2.1 model (the family recognised in the checkpoint) on image/mask
 * folders; SAM 2.1 also on stacks as videos ({@code --video}).
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {"Fine-tune a SAM model on images and label masks (matched by name) for automatic segmentation.",
            "Splits the data 7:1:2 by image/volume (seeded), trains with AdamW and early stopping on validation Dice (interactive: box Dice x background boxes left empty), "
                + "and writes MODEL.safetensors with MODEL.json beside it (loadable by every command with "
                + "--checkpoint), MODEL.curves.png, and the test-split Dice next to Otsu and all-foreground baselines."})
public final class FineTuneCommand implements Callable<Integer> {

    @Mixin
    TrainingInputs inputs;

    @Mixin
    TrainingSchedule schedule;

    @Option(names = "--parts", defaultValue = "decoder", description = "decoder or encoder-decoder (default ${DEFAULT-VALUE})")
    String parts;

    @Option(names = "--method", defaultValue = "vanilla", description = "vanilla, lora or adapter (default ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--rank", defaultValue = "4", description = "LoRA rank (default ${DEFAULT-VALUE})")
    int rank;

    @Option(names = "--lora-scale", defaultValue = "1.0", description = "LoRA scale (default ${DEFAULT-VALUE})")
    float loraScale;

    @Option(names = "--adapter-blocks", split = ",", description = "encoder blocks with adapters (default first two and last two)")
    int[] adapterBlocks;

    @Option(names = "--objective", defaultValue = "auto", description = "auto (prompt-free, Dice + cross-entropy) or interactive (box/point prompts with correction rounds, Dice + IoU MSE)")
    String objective;

    @Option(names = "--budget", defaultValue = "1.0", description = "annotated fraction of the training split, nested by seed (default ${DEFAULT-VALUE})")
    double budget;

    @Option(names = "--few-shot", defaultValue = "0", description = "train on this many training images instead of a budget")
    int fewShot;

    @Option(names = "--train-list", description = "text file of training image names (stems), one a line; with --val-list")
    Path trainList;

    @Option(names = "--val-list", description = "text file of validation image names; the rest is the test split")
    Path valList;

    @Option(names = "--seed", defaultValue = "" + FineTuneOptions.SEED, description = "seed of split, budget, initialization, order and augmentation (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--export-merged", description = "also write MODEL.merged.safetensors: LoRA folded into a plain SAM state_dict")
    boolean exportMerged;

    @Option(names = "--video", description = "SAM 2.1 only: train on stacks as videos (clips of consecutive slices, "
            + "a prompt on the first, the rest tracked from memory with gradients; loss on every slice), training the "
            + "memory encoder, memory attention and object-pointer projections too")
    boolean video;

    @Option(names = "--clip-length", defaultValue = "8", description = "with --video: slices per clip (default ${DEFAULT-VALUE})")
    int clipLength;

    @Option(names = "--clip-prompts", defaultValue = Sam2FineTuner.Video.DEFAULT_PROMPTS,
            description = "with --video: prompts drawn for a clip's first slice (default ${DEFAULT-VALUE})")
    String clipPrompts;

    @Option(names = "--out", required = true, description = "output model file (.safetensors)")
    Path out;

    @Option(names = "--overwrite", description = "replace existing output files")
    boolean overwrite;

    @Option(names = "--resume", description = "continue a cancelled or time-limited run with the same arguments (more "
            + "--epochs allowed) from OUT.resume.safetensors, which every run writes after each epoch: weights, "
            + "optimizer state, counters")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        FineTuner.Objective goal = FineTuner.Objective.parse(objective);
        inputs.checkStart();
        if (!out.getFileName().toString().endsWith(".safetensors")) {
            throw new IllegalArgumentException("--out must name a .safetensors file");
        }
        if ((trainList == null) != (valList == null)) {
            throw new IllegalArgumentException("--train-list and --val-list go together");
        }
        Strategy strategy = new Strategy(Strategy.Parts.parse(parts), Strategy.Method.parse(method), rank, loraScale,
                adapterBlocks).withPromptEncoder(inputs.promptEncoderTrained());
        FineTuneOptions options = schedule.options(seed);
        Path curves = out.resolveSibling(stem(out) + ".curves.png");
        FineTuneRun.Setup setup = new FineTuneRun.Setup(strategy, options, budget, fewShot, lines(trainList),
                lines(valList), out, overwrite, exportMerged,
                inputs.source(), inputs.dataDescription(), goal).resuming(resume, true);
        if (!overwrite && !resume) {
            OutputFiles.requireAbsent(curves);
        }
        List<TrainingSample> samples = inputs.samples();
        int size = inputs.inputSize == null ? 0 : inputs.inputSize;
        Sam2Config scratch = inputs.fromScratch && inputs.config != null ? sam2Architecture(inputs.config) : null;
        LoadedModel loaded = inputs.checkpoint != null ? StartModel.anyFromCheckpoint(inputs.checkpoint, inputs.config, size)
                : scratch != null ? new LoadedModel.Sam2(StartModel.sam2FromScratch(scratch, size, seed)) : null;
        if (loaded instanceof LoadedModel.Sam2 sam2) {
            try (Sam2Model model = sam2.model()) {
                return trainSam2(model, samples, setup, curves);
            }
        }
        if (video) {
            if (loaded != null) {
                loaded.close();
            }
            throw new IllegalArgumentException("--video trains SAM 2.1 models (memory tracking); give a SAM 2.1 "
                    + "checkpoint");
        }
        try {
            FineTuneRun.plan(samples, setup);
        } catch (IOException | RuntimeException e) {
            if (loaded != null) {
                loaded.close();
            }
            throw e;
        }
        try (SamModel model = loaded != null ? ((LoadedModel.Sam1) loaded).model() : inputs.loadModel(seed)) {
            System.out.printf("model: %s at %d px input; %d image(s)/slice(s); threads: %s%n", setup.source(),
                    model.config().imageSize(), samples.size(), System.getProperty("ai.djl.pytorch.num_threads", "default"));
            FineTuneRun.Summary summary = FineTuneRun.run(model, samples, setup, new ConsoleListener(schedule.epochs, schedule.timeLimit, setup.objective()) {
                        @Override
                        public void onHistory(List<FineTuner.EpochRecord> history) {
                            // Redrawn after every epoch, so the curves can be watched while training runs.
                            try {
                                Charts.savePng(Charts.trainingCurves(history, setup.objective().validationLabel()), curves, true);
                            } catch (IOException e) {
                                System.err.println("could not write " + curves + ": " + e.getMessage());
                            }
                        }
                    },
                    System.out::println);
            Charts.savePng(Charts.trainingCurves(summary.result().history(), setup.objective().validationLabel()),
                    curves, true); // ours: checked absent before training
            System.out.println(summary.testLine());
            System.out.println("wrote " + out + " (+ " + stem(out) + ".json, " + curves.getFileName() + ")"
                    + (summary.merged() != null ? " and " + summary.merged() : ""));
        }
        return 0;
    }

    /**
     * The SAM 2.1 architecture a --config file describes (the reference yaml's model section as JSON, with its
     * image_encoder.trunk), or null for a SAM 1 configuration.
     */
    private static Sam2Config sam2Architecture(Path config) throws IOException {
        String text = Files.readString(config);
        com.google.gson.JsonObject root;
        try {
            root = com.google.gson.JsonParser.parseString(text).getAsJsonObject();
        } catch (RuntimeException e) {
            return null; // not JSON: SAM 1's configuration reader reports it
        }
        com.google.gson.JsonObject model = root.has("model") && root.get("model").isJsonObject()
                ? root.getAsJsonObject("model") : root;
        boolean sam2 = model.has("image_encoder") && model.get("image_encoder").isJsonObject()
                && model.getAsJsonObject("image_encoder").has("trunk");
        return sam2 ? Sam2Config.fromJson(text) : null;
    }

    /** The SAM 2.1 run: the same options, outputs and progress lines as SAM 1's, trained by Sam2FineTuneRun. */
    private int trainSam2(Sam2Model model, List<TrainingSample> samples, FineTuneRun.Setup setup, Path curves)
            throws IOException {
        Sam2FineTuner.Video clips = video ? Sam2FineTuner.Video.of(clipLength, clipPrompts) : null;
        Sam2FineTuneRun.plan(samples, setup);
        System.out.printf("model: %s (SAM 2.1) at %d px input; %d image(s)/slice(s); threads: %s%n", setup.source(),
                model.config().imageSize(), samples.size(), System.getProperty("ai.djl.pytorch.num_threads", "default"));
        String label = video ? "3D Dice" : setup.objective() == FineTuner.Objective.INTERACTIVE ? "box Dice" : "Dice";
        Sam2FineTuneRun.Summary summary = Sam2FineTuneRun.run(model, samples, setup, clips,
                new ConsoleListener(schedule.epochs, schedule.timeLimit, label) {
                    @Override
                    public void onHistory(List<FineTuner.EpochRecord> history) {
                        try {
                            Charts.savePng(Charts.trainingCurves(history, label), curves, true);
                        } catch (IOException e) {
                            System.err.println("could not write " + curves + ": " + e.getMessage());
                        }
                    }
                }, System.out::println);
        Charts.savePng(Charts.trainingCurves(summary.result().history(), label), curves, true);
        System.out.println(summary.testLine());
        System.out.println("wrote " + out + " (+ " + stem(out) + ".json, " + curves.getFileName() + ")"
                + (summary.merged() != null ? " and " + summary.merged() : ""));
        return 0;
    }

    private static List<String> lines(Path file) throws IOException {
        if (file == null) {
            return null;
        }
        return Files.readAllLines(file).stream().map(String::trim).filter(l -> !l.isEmpty())
                .map(NameMatching::stem).toList();
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** One console line per iteration (overwritten) and per epoch. */
    static class ConsoleListener implements FineTuner.Listener {
        private final int epochs;
        private final long deadline;
        private final String validationLabel;

        ConsoleListener(int epochs, Double minutes, FineTuner.Objective objective) {
            this(epochs, minutes, objective.validationLabel());
        }

        ConsoleListener(int epochs, Double minutes, String validationLabel) {
            this.epochs = epochs;
            this.validationLabel = validationLabel;
            this.deadline = minutes == null ? Long.MAX_VALUE : System.nanoTime() + (long) (minutes * 60e9);
        }

        @Override
        public boolean isCancelled() {
            if (System.nanoTime() > deadline) {
                System.out.println();
                System.out.println("time limit reached: stopping with the best model so far");
                return true;
            }
            return false;
        }

        @Override
        public void onIteration(long iteration, int epoch, double loss, double lr, double secondsLeft) {
            System.out.printf("\repoch %d/%d  iteration %d  loss %.4f  lr %.2e  ETA %s   ", epoch, epochs, iteration, loss,
                    lr, eta(bounded(secondsLeft)));
            System.out.flush();
        }

        @Override
        public void onEpoch(FineTuner.EpochRecord r, double secondsLeft) {
            System.out.printf("\repoch %d/%d  iteration %d  train loss %.4f  val %s %.4f  %.1f s/epoch  ETA %s%n",
                    r.epoch(), epochs, r.iterations(), r.trainLoss(), validationLabel, r.validationScore(), r.seconds(), eta(bounded(secondsLeft)));
        }

        /** The time left by the epochs, or by the time limit when that comes first. */
        private double bounded(double secondsLeft) {
            return deadline == Long.MAX_VALUE ? secondsLeft
                    : Math.min(secondsLeft, Math.max(0, (deadline - System.nanoTime()) / 1e9));
        }

        static String eta(double seconds) {
            if (!Double.isFinite(seconds)) {
                return "?";
            }
            long s = Math.round(seconds);
            return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
        }
    }
}
