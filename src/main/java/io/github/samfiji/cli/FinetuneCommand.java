package io.github.samfiji.cli;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.evaluation.NameMatching;
import io.github.samfiji.evaluation.SummaryStatistics;
import io.github.samfiji.ij.TrainingData;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.Presets;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.FineTuneOptions;
import io.github.samfiji.training.FineTuneRun;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.InputResize;
import io.github.samfiji.training.Strategy;
import io.github.samfiji.training.TrainingSample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code finetune}: fine-tunes a SAM model on image/mask folders (automatic, prompt-free mode). */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {"Fine-tune a SAM model on images and label masks (matched by name) for automatic segmentation.",
            "Splits the data 7:1:2 by image/volume (seeded), trains with AdamW and early stopping on validation Dice, "
                + "and writes MODEL.safetensors with MODEL.json beside it (loadable by every command with "
                + "--checkpoint), MODEL.curves.png, and the test-split Dice next to Otsu and all-foreground baselines."})
public final class FinetuneCommand implements Callable<Integer> {

    @Option(names = "--images", required = true, description = "folder of images (2D images or stacks)")
    Path images;

    @Option(names = "--masks", required = true, description = "folder of label masks (> 0 = object) or RoiSets (.zip/.roi; only slices with a ROI are used), names matching the images")
    Path masks;

    @Option(names = "--label", description = "with label images holding several labels: the one to learn (a number), "
            + "or 'all' for every label as one object; without it, masks must be binary (one value above 0)")
    String label;

    @Option(names = "--checkpoint", description = "model to start from (.pth or .safetensors)")
    Path checkpoint;

    @Option(names = "--config", description = "JSON model configuration (with --checkpoint: overrides; with --from-scratch: the architecture)")
    Path config;

    @Option(names = "--preset", description = "architecture for --from-scratch: vit_b, vit_l, vit_h or vit_t")
    String preset;

    @Option(names = "--from-scratch", description = "start from random weights (with --preset or --config)")
    boolean fromScratch;

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

    @Option(names = "--epochs", defaultValue = "200", description = "maximum epochs (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--patience", defaultValue = "20", description = "epochs without a better validation Dice before stopping; 0 = never (default ${DEFAULT-VALUE})")
    int patience;

    @Option(names = "--batch", defaultValue = "4", description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--accumulate", defaultValue = "1", description = "micro-batches per optimizer step (default ${DEFAULT-VALUE})")
    int accumulate;

    @Option(names = "--lr", defaultValue = "1e-4", description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "decoupled weight decay (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--warmup", defaultValue = "200", description = "linear warm-up iterations (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--decay", description = "poly decay after warm-up instead of a constant rate")
    boolean decay;

    @Option(names = "--no-augment", description = "no histogram equalization, colour jitter or flips")
    boolean noAugment;

    @Option(names = "--input-size", description = "encoder input size (default: the model's; smaller trains faster)")
    Integer inputSize;

    @Option(names = "--seed", defaultValue = "42", description = "seed of split, budget, initialization, order and augmentation (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--time-limit", description = "stop training after this many minutes (keeps the best model, then evaluates)")
    Double timeLimit;

    @Option(names = "--export-merged", description = "also write MODEL.merged.safetensors: LoRA folded into a plain SAM state_dict")
    boolean exportMerged;

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
        if ((checkpoint == null) == !fromScratch) {
            throw new IllegalArgumentException("give either --checkpoint FILE or --from-scratch with --preset NAME or --config JSON");
        }
        if (!out.getFileName().toString().endsWith(".safetensors")) {
            throw new IllegalArgumentException("--out must name a .safetensors file");
        }
        if ((trainList == null) != (valList == null)) {
            throw new IllegalArgumentException("--train-list and --val-list go together");
        }
        Strategy strategy = new Strategy(Strategy.Parts.parse(parts), Strategy.Method.parse(method), rank, loraScale,
                adapterBlocks);
        FineTuneOptions options = new FineTuneOptions(lr, weightDecay, warmup, decay, batch, accumulate, epochs,
                patience, 1, !noAugment, seed);
        Path curves = out.resolveSibling(stem(out) + ".curves.png");
        FineTuneRun.Setup setup = new FineTuneRun.Setup(strategy, options, budget, fewShot, lines(trainList),
                lines(valList), out, overwrite, exportMerged,
                checkpoint != null ? checkpoint.toString() : "random initialization (" + (preset != null ? preset : config) + ")",
                images + " + " + masks + (label != null ? " (label " + label + ")" : ""), goal).resuming(resume, true);
        if (!overwrite && !resume) {
            OutputFiles.requireAbsent(curves);
        }
        List<TrainingSample> samples = TrainingData.fromFolders(images, masks, TrainingData.parseLabel(label));
        FineTuneRun.plan(samples, setup);
        try (SamModel model = loadModel()) {
            System.out.printf("model: %s at %d px input; %d image(s)/slice(s); threads: %s%n", setup.source(),
                    model.config().imageSize(), samples.size(), System.getProperty("ai.djl.pytorch.num_threads", "default"));
            FineTuneRun.Summary summary = FineTuneRun.run(model, samples, setup, new ConsoleListener(epochs, timeLimit) {
                        @Override
                        public void onHistory(List<FineTuner.EpochRecord> history) {
                            // Redrawn after every epoch, so the curves can be watched while training runs.
                            try {
                                TrainingCurves.write(history, curves, true);
                            } catch (IOException e) {
                                System.err.println("could not write " + curves + ": " + e.getMessage());
                            }
                        }
                    },
                    System.out::println);
            TrainingCurves.write(summary.result().history(), curves, true); // ours: checked absent before training
            System.out.printf("test Dice (%d images): model %s; Otsu %s; all foreground %s%n", summary.testImages(),
                    meanText(summary.testDice()), meanText(summary.otsuDice()), meanText(summary.allForegroundDice()));
            System.out.println("wrote " + out + " (+ " + stem(out) + ".json, " + curves.getFileName() + ")"
                    + (summary.merged() != null ? " and " + summary.merged() : ""));
        }
        return 0;
    }

    private SamModel loadModel() throws IOException {
        return loadModel(checkpoint, config, preset, inputSize, seed);
    }

    /** The model to start from: a checkpoint, or random weights of a preset or JSON architecture; optionally resized. */
    static SamModel loadModel(Path checkpoint, Path config, String preset, Integer inputSize, long seed)
            throws IOException {
        SamModel model;
        if (checkpoint != null) {
            model = ModelLoader.load(checkpoint, config);
        } else {
            if ((preset == null) == (config == null)) {
                throw new IllegalArgumentException("--from-scratch needs exactly one of --preset NAME or --config JSON");
            }
            SamConfig c = preset != null ? Presets.get(preset) : ConfigJson.parse(Files.readString(config));
            if (inputSize != null) {
                c = InputResize.configFor(c, inputSize);
            }
            model = new SamModel(c);
            model.initializeRandom(seed);
            return model;
        }
        if (inputSize != null && inputSize != model.config().imageSize()) {
            try (SamModel original = model) {
                return InputResize.resize(original, inputSize);
            }
        }
        return model;
    }

    private static String meanText(double[] v) {
        if (v.length == 0) {
            return "n/a";
        }
        SummaryStatistics.Summary s = SummaryStatistics.of(v, SummaryStatistics.DEFAULT_RESAMPLES,
                SummaryStatistics.DEFAULT_SEED);
        return String.format("%.4f [95%% CI %.4f, %.4f]", s.mean(), s.ciLow(), s.ciHigh());
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

        ConsoleListener(int epochs, Double minutes) {
            this.epochs = epochs;
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
                    lr, eta(secondsLeft));
            System.out.flush();
        }

        @Override
        public void onEpoch(FineTuner.EpochRecord r, double secondsLeft) {
            System.out.printf("\repoch %d/%d  iteration %d  train loss %.4f  val Dice %.4f  %.1f s/epoch  ETA %s%n",
                    r.epoch(), epochs, r.iterations(), r.trainLoss(), r.validationDice(), r.seconds(), eta(secondsLeft));
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
