package io.github.samfiji.ij;

import ij.IJ;
import ij.gui.Plot;

import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.model.Presets;
import io.github.samfiji.model.sam2.Sam2Model;

import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.FineTuneOptions;
import io.github.samfiji.training.FineTuneRun;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.Sam2FineTuneRun;
import io.github.samfiji.training.Sam2FineTuner;
import io.github.samfiji.training.StartModel;
import io.github.samfiji.training.Strategy;
import io.github.samfiji.training.TrainingSample;
import java.io.File;
import java.io.IOException;
import java.util.List;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;

/**
 * What both Fine-tune SAM commands share: the model to start from, the strategy and training settings, the run with
 * progress in the status bar (Escape cancels and keeps the best model), the training curves as a Plot, and the
 * test-split Dice next to the Otsu and all-foreground baselines in the Log. Subclasses say where the data comes from.
 */
public abstract class FineTuneJob implements Command {

    public static final String FROM_FILE = "Model file below";

    @Parameter(label = "Start from", choices = {FROM_FILE, "vit_b (random)", "vit_l (random)", "vit_h (random)",
        "vit_t (random)"}, description = "a checkpoint, or an architecture trained from scratch")
    String start = FROM_FILE;

    @Parameter(label = "Model file", style = "open",
            description = "SAM/MobileSAM/MedSAM checkpoint, SAM 2.1 checkpoint (.pt) or sam-fiji model")
    File model;

    // A choice rather than a checkbox, as for augmentation below.
    @Parameter(label = "Stacks as videos (SAM 2.1)", choices = {"off", "on"}, description = "SAM 2.1 only: train on "
            + "clips of consecutive slices tracked from memory, a prompt on the clip's first slice, loss on every slice")
    String video = "off";

    @Parameter(label = "Clip length (SAM 2.1)", min = "2", description = "consecutive slices per training clip")
    int clipLength = 8;

    @Parameter(label = "Objective", choices = {"auto", "interactive"},
            description = "auto: prompt-free segmenter; interactive: box/point prompts with correction rounds")
    String objective = "auto";

    @Parameter(label = "Parts", choices = {"decoder", "encoder-decoder"})
    String parts = "decoder";

    @Parameter(label = "Method", choices = {"vanilla", "lora", "adapter"})
    String method = "vanilla";

    @Parameter(label = "LoRA rank", min = "1")
    int rank = 4;

    @Parameter(label = "Annotation budget", min = "0.01", max = "1", description = "fraction of the training split used")
    double budget = 1.0;

    @Parameter(label = "Epochs", min = "1")
    int epochs = FineTuneOptions.EPOCHS;

    @Parameter(label = "Patience", min = "0", description = "epochs without a better validation Dice before stopping")
    int patience = FineTuneOptions.PATIENCE;

    @Parameter(label = "Learning rate", min = "0")
    double learningRate = FineTuneOptions.LEARNING_RATE;

    @Parameter(label = "Batch size", min = "1")
    int batch = FineTuneOptions.BATCH;

    @Parameter(label = "Input size", min = "0", description = "encoder input (0 = the model's own; smaller is faster)")
    int inputSize = 0;

    // A choice rather than a checkbox: a macro that leaves a checkbox out turns it off.
    @Parameter(label = "Augmentation", choices = {"on", "off"}, description = "histogram equalization, colour jitter "
            + "and flips; without it a decoder-only run encodes each image once, which is much faster")
    String augmentation = "on";

    @Parameter(label = "Seed")
    int seed = 42;

    @Parameter(label = "Output model", style = "save", description = "a .safetensors file; its .json goes beside it")
    File output;

    @Parameter(label = "Overwrite", description = "replace an existing model file")
    boolean overwrite = false;

    @Parameter(label = "Resume", description = "continue a cancelled run with the same settings (more epochs allowed) "
            + "from the state saved beside the output model after every epoch")
    boolean resume = false;

    /** The finished run, for callers and tests (SAM 1 models). */
    FineTuneRun.Summary summary;

    /** The finished run of a SAM 2.1 model. */
    Sam2FineTuneRun.Summary sam2Summary;

    /** The training data; throws with a message naming what is wrong with it. */
    abstract List<TrainingSample> samples() throws IOException;

    /** The data, in words, for the model's JSON. */
    abstract String dataDescription();

    @Override
    public void run() {
        if (output == null) {
            throw new IllegalArgumentException("choose the output model file");
        }
        if (!output.getName().endsWith(".safetensors")) {
            throw new IllegalArgumentException("the output model must be a .safetensors file");
        }
        Strategy strategy = new Strategy(Strategy.Parts.parse(parts), Strategy.Method.parse(method), rank, 1f, null)
                .withPromptEncoder(!FROM_FILE.equals(start));
        FineTuneOptions options = new FineTuneOptions(learningRate, FineTuneOptions.WEIGHT_DECAY, FineTuneOptions.WARMUP, false, batch, 1, epochs, patience, 1,
                !"off".equals(augmentation), seed);
        String source = FROM_FILE.equals(start) ? String.valueOf(model) : start;
        FineTuneRun.Setup setup = new FineTuneRun.Setup(strategy, options, budget, 0, null, null, output.toPath(),
                overwrite, false, source, dataDescription(),
                FineTuner.Objective.parse(objective)).resuming(resume, true);
        IJProgress progress = new IJProgress("Fine-tune SAM");
        try {
            List<TrainingSample> samples = samples();
            LoadedModel loaded = load();
            if (loaded instanceof LoadedModel.Sam2 sam2) {
                try (Sam2Model m = sam2.model()) {
                    Sam2FineTuneRun.plan(samples, setup);
                    Sam2FineTuner.Video clips = "on".equals(video)
                            ? Sam2FineTuner.Video.of(clipLength, Sam2FineTuner.Video.DEFAULT_PROMPTS) : null;
                    sam2Summary = Sam2FineTuneRun.run(m, samples, setup, clips, listener(progress), IJ::log);
                }
                IJ.log(sam2Summary.testLine() + "; saved " + output);
                showFinalCurves(sam2Summary.result().history());
                return;
            }
            if ("on".equals(video)) {
                loaded.close();
                throw new IllegalArgumentException("stacks as videos train SAM 2.1 models (memory tracking); choose a "
                        + "SAM 2.1 checkpoint");
            }
            try (SamModel sam = ((LoadedModel.Sam1) loaded).model()) {
                FineTuneRun.plan(samples, setup);
                summary = FineTuneRun.run(sam, samples, setup, listener(progress), IJ::log);
            }
            IJ.log(summary.testLine() + "; saved " + output);
            showFinalCurves(summary.result().history());
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            progress.done();
        }
    }

    /** Progress in the status bar, one Log line per epoch, Escape to cancel, curves redrawn after every epoch. */
    private FineTuner.Listener listener(IJProgress progress) {
        return new FineTuner.Listener() {
            @Override
            public void onIteration(long iteration, int epoch, double loss, double lr, double secondsLeft) {
                progress.update((epoch - 1.0) / epochs, String.format("epoch %d/%d, iteration %d, loss %.4f, "
                        + "ETA %.0f min", epoch, epochs, iteration, loss, secondsLeft / 60));
            }

            @Override
            public void onEpoch(FineTuner.EpochRecord r, double secondsLeft) {
                IJ.log(String.format("epoch %d: train loss %.4f, validation " + FineTuner.Objective.parse(objective)
                        .validationLabel() + " %.4f", r.epoch(), r.trainLoss(), r.validationScore()));
            }

            @Override
            public boolean isCancelled() {
                return progress.isCancelled();
            }

            @Override
            public void onHistory(List<FineTuner.EpochRecord> history) {
                // Live only on screen: in batch mode every redraw would be another hidden image.
                if (!java.awt.GraphicsEnvironment.isHeadless() && !ij.macro.Interpreter.isBatchMode()) {
                    showCurves(history);
                }
            }
        };
    }

    private void showFinalCurves(List<FineTuner.EpochRecord> history) {
        if (!java.awt.GraphicsEnvironment.isHeadless()) {
            showCurves(history);
        }
    }

    /** The start model: a checkpoint of either family, or a SAM 1 architecture with random weights. */
    private LoadedModel load() throws IOException {
        if (FROM_FILE.equals(start)) {
            if (model == null || !model.isFile()) {
                throw new IllegalArgumentException(model == null ? "choose a model file" : "model file not found: " + model);
            }
            return StartModel.anyFromCheckpoint(model.toPath(), null, inputSize);
        }
        return new LoadedModel.Sam1(StartModel.fromScratch(Presets.get(start.substring(0, start.indexOf(' '))),
                inputSize, seed));
    }

    /** The curves window of this run, redrawn in place after every epoch. */
    private ij.gui.PlotWindow curvesWindow;

    private void showCurves(List<FineTuner.EpochRecord> history) {
        Plot plot = curves(history, FineTuner.Objective.parse(objective));
        if (curvesWindow == null || curvesWindow.isClosed()) {
            curvesWindow = plot.show();
        } else {
            curvesWindow.drawPlot(plot);
        }
    }

    /** Training loss and validation score per epoch as an ImageJ Plot. */
    static Plot curves(List<FineTuner.EpochRecord> history, FineTuner.Objective objective) {
        return io.github.samfiji.imagejio.Charts.trainingCurves(history, objective.validationLabel());
    }
}
