package io.github.samfiji.cli;

import io.github.samfiji.imagejio.Charts;
import io.github.samfiji.imagejio.UnlabelledImages;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.Presets;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.StartModel;
import io.github.samfiji.training.pretrain.PretrainOptions;
import io.github.samfiji.training.pretrain.PretrainRun;
import io.github.samfiji.training.pretrain.UnlabelledImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pretrain}: self-supervised masked-image pre-training of a SAM image encoder on unlabelled images. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = {"Pre-train a SAM image encoder on unlabelled images by masked image modelling: MAE for ViT "
                + "encoders (the encoder sees only the visible patches; a light decoder reconstructs the masked ones), "
                + "SimMIM for TinyViT (vit_t). Holds out a share of the images to report the validation "
                + "reconstruction loss.",
            "Writes MODEL.safetensors with MODEL.json (a plain SAM: the pre-trained encoder, the start model's prompt "
                + "encoder and mask decoder; the reconstruction decoder is dropped), MODEL.curves.csv and "
                + "MODEL.curves.png. Fine-tune it with 'finetune --checkpoint MODEL.safetensors' (add "
                + "--train-prompt-encoder when it started from random weights)."})
public final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--images", required = true, description = "folder of images (2D images or stacks); repeat for "
            + "several folders")
    List<Path> images;

    @Option(names = "--checkpoint", description = "model to start from (.pth or .safetensors)")
    Path checkpoint;

    @Option(names = "--preset", description = "architecture to start from random weights: vit_b, vit_l, vit_h or vit_t")
    String preset;

    @Option(names = "--config", description = "JSON model configuration (alone: the architecture to start from "
            + "random weights; with --checkpoint: overrides)")
    Path config;

    @Option(names = "--input-size", description = "encoder input size (default: the model's; smaller trains faster)")
    Integer inputSize;

    @Option(names = "--mask-ratio", defaultValue = "" + PretrainOptions.MASK_RATIO,
            description = "share of each image's 16-px patches that is masked (default ${DEFAULT-VALUE})")
    double maskRatio;

    @Option(names = "--epochs", defaultValue = "" + PretrainOptions.EPOCHS, description = "epochs (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch", defaultValue = "" + PretrainOptions.BATCH, description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--lr", defaultValue = "" + PretrainOptions.LEARNING_RATE,
            description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "" + PretrainOptions.WEIGHT_DECAY,
            description = "decoupled weight decay (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--warmup", defaultValue = "" + PretrainOptions.WARMUP,
            description = "linear warm-up iterations (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--decay", description = "poly decay after warm-up instead of a constant rate")
    boolean decay;

    @Option(names = "--decoder-depth", defaultValue = "" + PretrainOptions.DECODER_DEPTH,
            description = "transformer blocks of the MAE decoder (default ${DEFAULT-VALUE})")
    int decoderDepth;

    @Option(names = "--decoder-width", defaultValue = "" + PretrainOptions.DECODER_WIDTH,
            description = "width of the MAE decoder (default ${DEFAULT-VALUE})")
    int decoderWidth;

    @Option(names = "--validation", defaultValue = "" + PretrainOptions.VALIDATION,
            description = "share of the images held out for the validation loss (default ${DEFAULT-VALUE})")
    double validation;

    @Option(names = "--seed", defaultValue = "" + PretrainOptions.SEED,
            description = "seed of hold-out, initialization, order and masks (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--time-limit", description = "stop after this many minutes (the model so far is written; "
            + "--resume continues)")
    Double timeLimit;

    @Option(names = "--out", required = true, description = "output model file (.safetensors)")
    Path out;

    @Option(names = "--overwrite", description = "replace existing output files")
    boolean overwrite;

    @Option(names = "--resume", description = "continue a cancelled or time-limited run with the same arguments (more "
            + "--epochs allowed) from OUT.resume.safetensors, written after every epoch")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        if (checkpoint != null && preset != null) {
            throw new IllegalArgumentException("--preset names an architecture for random weights; with --checkpoint "
                    + "leave it out");
        }
        if (checkpoint == null && (preset == null) == (config == null)) {
            throw new IllegalArgumentException("give --checkpoint FILE, or one of --preset NAME or --config JSON to "
                    + "start from random weights");
        }
        PretrainOptions options = new PretrainOptions(maskRatio, epochs, batch, lr, weightDecay, warmup, decay,
                decoderDepth, decoderWidth, validation, seed);
        String source = checkpoint != null ? checkpoint.toString()
                : "random initialization (" + (preset != null ? preset : config) + ")";
        PretrainRun.Setup setup = new PretrainRun.Setup(options, out, overwrite, resume, source,
                String.join(" + ", images.stream().map(Path::toString).toList()));
        // The output is checked before the (possibly long) reading of the images.
        PretrainRun.checkOutputs(setup);
        Path curves = PretrainRun.curvesPicture(out);
        try (SamModel model = loadModel()) {
            List<UnlabelledImage> data = UnlabelledImages.fromFolders(images, model.config().imageSize());
            System.out.printf("model: %s at %d px input; %d image(s); threads: %s%n", source, model.config().imageSize(),
                    data.size(), System.getProperty("ai.djl.pytorch.num_threads", "default"));
            PretrainRun.Summary summary = PretrainRun.run(model, data, setup, new Console(epochs, timeLimit) {
                @Override
                public void onHistory(List<FineTuner.EpochRecord> history) {
                    drawCurves(history, curves);
                }
            }, System.out::println);
            drawCurves(summary.result().history(), curves);
            System.out.println(summary.line());
            System.out.println("wrote " + out + " (+ " + out.resolveSibling(stem(out) + ".json").getFileName() + ", "
                    + summary.curves().getFileName() + ", " + curves.getFileName() + ")");
        }
        return 0;
    }

    private SamModel loadModel() throws IOException {
        int size = inputSize == null ? 0 : inputSize;
        if (checkpoint != null) {
            return StartModel.fromCheckpoint(checkpoint, config, size);
        }
        return StartModel.fromScratch(preset != null ? Presets.get(preset) : ConfigJson.parse(Files.readString(config)),
                size, seed);
    }

    private static void drawCurves(List<FineTuner.EpochRecord> history, Path file) {
        try {
            // Ours: checked absent before the run (or the run's own, when resuming or overwriting).
            Charts.savePng(Charts.trainingCurves(history, "reconstruction loss"), file, true);
        } catch (IOException e) {
            System.err.println("could not write " + file + ": " + e.getMessage());
        }
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** One console line per iteration (overwritten) and per epoch; stops at the time limit. */
    static class Console implements FineTuner.Listener {
        private final int epochs;
        private final long deadline;

        Console(int epochs, Double minutes) {
            this.epochs = epochs;
            this.deadline = minutes == null ? Long.MAX_VALUE : System.nanoTime() + (long) (minutes * 60e9);
        }

        @Override
        public boolean isCancelled() {
            if (System.nanoTime() > deadline) {
                System.out.println();
                System.out.println("time limit reached: writing the model so far (--resume continues)");
                return true;
            }
            return false;
        }

        @Override
        public void onIteration(long iteration, int epoch, double loss, double lr, double secondsLeft) {
            System.out.printf("\repoch %d/%d  iteration %d  loss %.4f  lr %.2e  ETA %s   ", epoch, epochs, iteration,
                    loss, lr, FineTuneCommand.ConsoleListener.eta(secondsLeft));
            System.out.flush();
        }

        @Override
        public void onEpoch(FineTuner.EpochRecord r, double secondsLeft) {
            System.out.printf("\repoch %d/%d  iteration %d  train loss %.4f  validation loss %s  %.1f s/epoch  ETA %s%n",
                    r.epoch(), epochs, r.iterations(), r.trainLoss(), Double.isNaN(r.validationScore()) ? "n/a"
                            : String.format(java.util.Locale.ROOT, "%.4f", r.validationScore()), r.seconds(),
                    FineTuneCommand.ConsoleListener.eta(secondsLeft));
        }
    }
}
