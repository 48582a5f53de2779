package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.Plot;
import ij.io.FileSaver;
import ij.measure.ResultsTable;
import io.github.samfiji.evaluation.InteractiveEvaluation;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.SamModel;
import java.awt.Color;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import io.github.samfiji.imagejio.LabelImageFiles;

/**
 * Evaluate Interactive Segmentation: the simulated-user protocol of {@link InteractiveEvaluation} for every object
 * (label) of a ground-truth label image, slice by slice for stacks. Shows a plot of the mean Dice per round (each
 * object's curve faint behind it) and the "Interactive Evaluation" results table: one row per slice and object
 * with the Dice after the start prompt (round 0) and after each correction round, then a row "mean". The plot can
 * also be saved as PNG, which is what a headless macro needs.
 */
@Plugin(type = Command.class, label = "Evaluate Interactive Segmentation")
public class InteractiveEvaluationCommand implements Command {

    public static final String TABLE = "Interactive Evaluation";
    public static final String POINT = "point";
    public static final String BOX = "box";

    @Parameter(label = "Installed model", style = "models",
            description = "a model of the models folder, or the file below")
    String installed = ModelFolder.FILE_BELOW;

    @Parameter(label = "Model file", style = "open",
            description = "SAM, MobileSAM or MedSAM checkpoint (.pth) or a sam-fiji model (.safetensors)")
    File model;

    @Parameter(label = "Preprocessing", choices = {PreprocessingChoice.AS_MODEL, PreprocessingChoice.SAM,
            PreprocessingChoice.MEDSAM}, description = PreprocessingChoice.DESCRIPTION)
    String preprocessing = PreprocessingChoice.AS_MODEL;

    @Parameter(label = "Image", style = "image", description = "the image (2D or z-stack) to segment")
    String image;

    @Parameter(label = "Ground truth", style = "image",
            description = "label image of the objects, same size as the image; every label is one object")
    String truth;

    @Parameter(label = "Start from", choices = {POINT, BOX},
            description = "the first prompt: the deepest point of the object, or its bounding box")
    String start = POINT;

    @Parameter(label = "Rounds", min = "0", max = "100", description = "correction rounds after the start prompt")
    int rounds = 7;

    @Parameter(label = "Seed", description = "breaks ties between equally deep pixels; same seed, same clicks")
    int seed = 1;

    @Parameter(label = "Plot file", style = "save", required = false,
            description = "also save the plot as PNG here (left empty: no file); an existing file is not replaced")
    File plot;

    /** One object's curve. */
    record ObjectCurve(int slice, int label, double[] dice) {
    }

    /** The curves of the last run, for callers and tests. */
    List<ObjectCurve> curves = List.of();

    @Override
    public void run() {
        ImagePlus img = open(image, "image");
        ImagePlus ref = open(truth, "ground truth");
        if (img == ref) {
            throw new IllegalArgumentException("the image and the ground truth are the same image (" + img.getTitle()
                    + ")");
        }
        InteractiveEvaluation.Start how = switch (start == null ? "" : start.toLowerCase(Locale.ROOT)) {
            case POINT -> InteractiveEvaluation.Start.POINT;
            case BOX -> InteractiveEvaluation.Start.BOX;
            default -> throw new IllegalArgumentException("Start from must be point or box, not '" + start + "'");
        };
        if (rounds < 0) {
            throw new IllegalArgumentException("Rounds must be 0 or more");
        }
        if (plot != null && !plot.getPath().isBlank() && plot.exists()) {
            throw new IllegalArgumentException("the plot file " + plot + " exists already; choose another name");
        }
        LabelImageFiles.Loaded labels = LabelImageFiles.wrap(ref, ref.getTitle());
        int depth = img.getNSlices();
        long[] dims = labels.dimensions();
        long truthDepth = dims.length == 3 ? dims[2] : 1;
        if (dims[0] != img.getWidth() || dims[1] != img.getHeight() || truthDepth != depth) {
            throw new IllegalArgumentException("the image (" + img.getTitle() + ", " + img.getWidth() + " x "
                    + img.getHeight() + " x " + depth + " slices) and the ground truth (" + ref.getTitle() + ", "
                    + dims[0] + " x " + dims[1] + " x " + truthDepth + " slices) differ in size");
        }
        File checkpoint = chosenModel();
        IJProgress progress = new IJProgress("Interactive Evaluation");
        List<ObjectCurve> out = new ArrayList<>();
        try {
            SamModel sam = ModelCache.get(checkpoint.toPath(), null, PreprocessingChoice.of(preprocessing));
            EmbeddingCache cache = ModelCache.embeddings(sam);
            for (int z = 1; z <= depth; z++) {
                RandomAccessibleInterval<? extends RealType<?>> plane = truthDepth == 1 ? labels.pixels()
                        : Views.hyperSlice(labels.pixels(), 2, labels.pixels().min(2) + z - 1);
                java.util.SortedMap<Integer, boolean[]> truthObjects;
                try {
                    truthObjects = InteractiveEvaluation.objects(plane);
                } catch (io.github.samfiji.evaluation.EvaluationException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
                if (truthObjects.isEmpty()) {
                    continue;
                }
                progress.checkCancelled();
                int stackIndex = img.getStackIndex(img.getChannel(), z, img.getFrame());
                ImageEmbedding embedding = cache.get(img, stackIndex, progress);
                for (var object : truthObjects.entrySet()) {
                    int label = object.getKey();
                    progress.checkCancelled();
                    InteractiveEvaluation.Curve curve = InteractiveEvaluation.run(cache.predictor(), embedding,
                            object.getValue(), how, rounds, seed);
                    out.add(new ObjectCurve(z, label, curve.dice()));
                }
                progress.update((double) z / depth, "slice " + z + " of " + depth);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            progress.done();
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("the ground truth " + ref.getTitle() + " holds no objects (no non-zero"
                    + " label)");
        }
        curves = List.copyOf(out);
        double[] mean = mean(curves, rounds);
        showTable(img.getTitle(), curves, mean);
        Plot chart = plot(curves, mean, how);
        if (plot != null && !plot.getPath().isBlank()) {
            ImagePlus rendered = chart.getImagePlus();
            try {
                OutputFiles.write(plot.toPath(), false, file -> {
                    if (!new FileSaver(rendered).saveAsPng(file.toString())) {
                        throw new IOException("could not write " + plot);
                    }
                });
            } catch (IOException e) {
                throw new IllegalArgumentException("could not save the plot as " + plot + ": " + e.getMessage(), e);
            }
        }
        if (!GraphicsEnvironment.isHeadless()) {
            chart.show();
        }
    }

    private File chosenModel() {
        File file = model;
        if (installed != null && !installed.equals(ModelFolder.FILE_BELOW)) {
            try {
                file = ModelFolder.resolve(installed).toFile();
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IllegalArgumentException(installed + ": " + e.getReason(), e);
            }
        }
        if (file == null || !file.isFile()) {
            throw new IllegalArgumentException(file == null ? "choose a model file"
                    : "model file not found: " + file + " (download a SAM checkpoint or see Plugins > Segment Anything"
                    + " > Models...)");
        }
        return file;
    }

    static double[] mean(List<ObjectCurve> curves, int rounds) {
        double[] mean = new double[rounds + 1];
        for (ObjectCurve c : curves) {
            for (int r = 0; r <= rounds; r++) {
                mean[r] += c.dice()[r] / curves.size();
            }
        }
        return mean;
    }

    private void showTable(String title, List<ObjectCurve> curves, double[] mean) {
        ResultsTable rt = new ResultsTable();
        for (ObjectCurve c : curves) {
            rt.incrementCounter();
            rt.addValue("image", title);
            rt.addValue("slice", c.slice());
            rt.addValue("label", c.label());
            for (int r = 0; r <= rounds; r++) {
                rt.addValue("dice_round" + r, c.dice()[r]);
            }
        }
        rt.incrementCounter();
        rt.addValue("image", "mean");
        rt.addValue("slice", Double.NaN);
        rt.addValue("label", Double.NaN);
        for (int r = 0; r <= rounds; r++) {
            rt.addValue("dice_round" + r, mean[r]);
        }
        rt.setDecimalPlaces(rt.getColumnIndex("slice"), 0);
        rt.setDecimalPlaces(rt.getColumnIndex("label"), 0);
        rt.show(TABLE);
    }

    private Plot plot(List<ObjectCurve> curves, double[] mean, InteractiveEvaluation.Start how) {
        double[] x = new double[rounds + 1];
        for (int r = 0; r <= rounds; r++) {
            x[r] = r;
        }
        Plot chart = new Plot(TABLE + " (" + image + ")", "correction round", "Dice");
        chart.setLimits(0, Math.max(1, rounds), 0, 1.02);
        // The label first, in black; then the faint object curves and, drawn over them, the mean.
        chart.setColor(Color.BLACK);
        chart.addLabel(0.02, 0.08, "mean Dice of " + curves.size() + (curves.size() == 1 ? " object" : " objects")
                + " (faint: each object); start: " + how.name().toLowerCase(Locale.ROOT) + ", seed " + seed);
        for (ObjectCurve c : curves) {
            chart.setColor(new Color(190, 190, 215));
            chart.setLineWidth(1);
            chart.add("line", x, c.dice());
        }
        chart.setColor(new Color(20, 60, 180));
        chart.setLineWidth(2);
        chart.add("line", x, mean);
        chart.setColor(new Color(20, 60, 180));
        chart.add("circle", x, mean);
        return chart;
    }

    private static ImagePlus open(String title, String role) {
        ImagePlus found = title == null ? null : WindowManager.getImage(title);
        if (found == null) {
            throw new IllegalArgumentException("the " + role + " '" + title + "' is not open");
        }
        return found;
    }
}
