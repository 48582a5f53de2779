package io.github.samfiji.ij;

import ij.IJ;
import ij.gui.Plot;
import io.github.samfiji.imagejio.Charts;
import io.github.samfiji.imagejio.UnlabelledImages;
import io.github.samfiji.model.Presets;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.StartModel;
import io.github.samfiji.training.pretrain.PretrainOptions;
import io.github.samfiji.training.pretrain.PretrainRun;
import io.github.samfiji.training.pretrain.UnlabelledImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * Pre-train a SAM image encoder on folders of unlabelled images (MAE for ViT, SimMIM for TinyViT), the same job as
 * {@code bin/sam-fiji pretrain}: progress in the status bar (Escape stops and writes the model so far; Resume
 * continues), the losses in the Log and as a live Plot, the curves as CSV beside the model.
 */
@Plugin(type = Command.class, label = "Pre-train SAM Encoder (MAE)")
public class PretrainCommand implements Command {

    @Parameter(label = "Images folder", style = "directory", description = "unlabelled 2D images or stacks")
    File images;

    @Parameter(label = "Second images folder", style = "directory", required = false,
            description = "optional: more images (e.g. another data set)")
    File moreImages;

    @Parameter(label = "Start from", choices = {FineTuneJob.FROM_FILE, "vit_b (random)", "vit_l (random)",
        "vit_h (random)", "vit_t (random)"}, description = "a checkpoint, or an architecture with random weights")
    String start = FineTuneJob.FROM_FILE;

    @Parameter(label = "Model file", style = "open", required = false,
            description = "SAM/MobileSAM/MedSAM checkpoint or sam-fiji model")
    File model;

    @Parameter(label = "Input size", min = "0", description = "encoder input (0 = the model's own; smaller is faster)")
    int inputSize = 256;

    @Parameter(label = "Mask ratio", min = "0.05", max = "0.95", description = "share of each image's patches masked")
    double maskRatio = PretrainOptions.MASK_RATIO;

    @Parameter(label = "Epochs", min = "1")
    int epochs = PretrainOptions.EPOCHS;

    @Parameter(label = "Batch size", min = "1")
    int batch = PretrainOptions.BATCH;

    @Parameter(label = "Learning rate", min = "0")
    double learningRate = PretrainOptions.LEARNING_RATE;

    @Parameter(label = "Seed")
    int seed = (int) PretrainOptions.SEED;

    @Parameter(label = "Output model", style = "save", description = "a .safetensors file; its .json goes beside it")
    File output;

    @Parameter(label = "Overwrite", description = "replace an existing model file")
    boolean overwrite = false;

    @Parameter(label = "Resume", description = "continue a stopped run with the same settings (more epochs allowed)")
    boolean resume = false;

    /** The finished run, for callers and tests. */
    PretrainRun.Summary summary;

    private ij.gui.PlotWindow curvesWindow;

    @Override
    public void run() {
        if (images == null) {
            throw new IllegalArgumentException("choose the images folder");
        }
        if (output == null) {
            throw new IllegalArgumentException("choose the output model file");
        }
        PretrainOptions d = PretrainOptions.defaults();
        PretrainOptions options = new PretrainOptions(maskRatio, epochs, batch, learningRate, d.weightDecay(),
                d.warmup(), false, d.decoderDepth(), d.decoderWidth(), d.validation(), seed);
        List<Path> folders = new ArrayList<>(List.of(images.toPath()));
        if (moreImages != null) {
            folders.add(moreImages.toPath());
        }
        String source = FineTuneJob.FROM_FILE.equals(start) ? String.valueOf(model) : start;
        PretrainRun.Setup setup = new PretrainRun.Setup(options, output.toPath(), overwrite, resume, source,
                String.join(" + ", folders.stream().map(Path::toString).toList()));
        IJProgress progress = new IJProgress("Pre-train");
        try {
            PretrainRun.checkOutputs(setup);
            try (SamModel sam = load()) {
                List<UnlabelledImage> data = UnlabelledImages.fromFolders(folders, sam.config().imageSize());
                summary = PretrainRun.run(sam, data, setup, new FineTuner.Listener() {
                    @Override
                    public void onIteration(long iteration, int epoch, double loss, double lr, double secondsLeft) {
                        progress.update((epoch - 1.0) / epochs, String.format("epoch %d/%d, iteration %d, loss %.4f, "
                                + "ETA %.0f min", epoch, epochs, iteration, loss, secondsLeft / 60));
                    }

                    @Override
                    public void onEpoch(FineTuner.EpochRecord r, double secondsLeft) {
                        IJ.log(String.format("epoch %d: train loss %.4f, validation reconstruction loss %.4f",
                                r.epoch(), r.trainLoss(), r.validationScore()));
                    }

                    @Override
                    public boolean isCancelled() {
                        return progress.isCancelled();
                    }

                    @Override
                    public void onHistory(List<FineTuner.EpochRecord> history) {
                        if (!java.awt.GraphicsEnvironment.isHeadless() && !ij.macro.Interpreter.isBatchMode()) {
                            showCurves(history);
                        }
                    }
                }, IJ::log);
            }
            IJ.log(summary.line() + "; saved " + output);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            progress.done();
        }
    }

    private SamModel load() throws IOException {
        if (FineTuneJob.FROM_FILE.equals(start)) {
            if (model == null || !model.isFile()) {
                throw new IllegalArgumentException(model == null ? "choose a model file" : "model file not found: " + model);
            }
            return StartModel.fromCheckpoint(model.toPath(), null, inputSize);
        }
        return StartModel.fromScratch(Presets.get(start.substring(0, start.indexOf(' '))), inputSize, seed);
    }

    private void showCurves(List<FineTuner.EpochRecord> history) {
        Plot plot = Charts.trainingCurves(history, "reconstruction loss");
        if (curvesWindow == null || curvesWindow.isClosed()) {
            curvesWindow = plot.show();
        } else {
            curvesWindow.drawPlot(plot);
        }
    }
}
