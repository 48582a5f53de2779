package io.github.samfiji.cli;

import ij.ImagePlus;
import ij.gui.Plot;
import ij.io.FileSaver;
import io.github.samfiji.evaluation.InteractiveEvaluation;
import io.github.samfiji.imagejio.ImageFiles;
import io.github.samfiji.imagejio.ImageWrapping;
import io.github.samfiji.imagejio.LabelImageFiles;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.SamModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code evaluate-interactive}: the interactive protocol (start prompt from the truth, then correction rounds) for
 * every object (label) of every 2D image, writing Dice per round and the mean curve (CSV and a PNG plot).
 */
@Command(name = "evaluate-interactive", mixinStandardHelpOptions = true,
        description = {"Simulated interactive segmentation: Dice after a start point/box and each correction round.",
            "Writes PREFIX.csv (Dice per round per object) and PREFIX.png (the mean curve)."})
public final class InteractiveEvaluateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--images", required = true, description = "an image, or a folder of images")
    Path images;

    @Option(names = "--truth", required = true, description = "its label image / mask, or a folder matched by name")
    Path truth;

    @Option(names = "--start", defaultValue = "point", description = "point or box (default ${DEFAULT-VALUE})")
    String start;

    @Option(names = "--rounds", defaultValue = "7", description = "correction rounds (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--seed", defaultValue = "1", description = "tie-break seed (default ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        InteractiveEvaluation.Start how = switch (start.toLowerCase(Locale.ROOT)) {
            case "point" -> InteractiveEvaluation.Start.POINT;
            case "box" -> InteractiveEvaluation.Start.BOX;
            default -> throw new IllegalArgumentException("--start must be point or box, not '" + start + "'");
        };
        Path csv = output.file(".csv");
        Path png = output.file(".png");
        output.requireWritable(csv, png);
        boolean overwrite = output.overwrite;
        List<Path[]> pairs = pairs();
        StringBuilder table = new StringBuilder("image,label");
        for (int r = 0; r <= rounds; r++) {
            table.append(",dice_round").append(r);
        }
        table.append('\n');
        double[] sum = new double[rounds + 1];
        int objects = 0;
        try (SamModel sam = model.load()) {
            SamPredictor predictor = new SamPredictor(sam);
            for (Path[] pair : pairs) {
                ImagePlus image = ImageFiles.open(pair[0]);
                LabelImageFiles.Loaded labels = LabelImageFiles.open(pair[1]);
                if (image.getStackSize() > 1 || labels.pixels().numDimensions() != 2) {
                    throw new IllegalArgumentException(pair[0].getFileName() + ": the interactive protocol runs on 2D images");
                }
                if (labels.pixels().dimension(0) != image.getWidth() || labels.pixels().dimension(1) != image.getHeight()) {
                    throw new IllegalArgumentException(pair[0].getFileName() + " and its truth differ in size");
                }
                java.util.SortedMap<Integer, boolean[]> truthObjects = InteractiveEvaluation.objects(labels.pixels());
                try (ImageEmbedding e = predictor.encode(ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, 1)))) {
                    for (var object : truthObjects.entrySet()) {
                        int label = object.getKey();
                        InteractiveEvaluation.Curve curve = InteractiveEvaluation.run(predictor, e, object.getValue(),
                                how, rounds, seed);
                        table.append(pair[0].getFileName()).append(',').append(label);
                        for (int r = 0; r <= rounds; r++) {
                            table.append(String.format(Locale.ROOT, ",%.6f", curve.dice()[r]));
                            sum[r] += curve.dice()[r];
                        }
                        table.append('\n');
                        objects++;
                    }
                }
                System.err.printf("%s: %d object(s)%n", pair[0].getFileName(), truthObjects.size());
            }
        }
        if (objects == 0) {
            throw new IllegalArgumentException("no objects found in the ground truth");
        }
        double[] mean = new double[rounds + 1];
        double[] x = new double[rounds + 1];
        table.append("mean,");
        for (int r = 0; r <= rounds; r++) {
            mean[r] = sum[r] / objects;
            x[r] = r;
            table.append(String.format(Locale.ROOT, ",%.6f", mean[r]));
        }
        table.append('\n');
        OutputFiles.writeString(csv, overwrite, table.toString());
        Plot plot = new Plot("Interactive evaluation", "correction round", "mean Dice");
        plot.setLimits(0, Math.max(1, rounds), 0, 1);
        plot.add("connected circle", x, mean);
        plot.addLabel(0.02, 0.1, objects + " objects, start: " + how.name().toLowerCase(Locale.ROOT));
        ImagePlus rendered = plot.getImagePlus();
        OutputFiles.write(png, overwrite, file -> {
            if (!new FileSaver(rendered).saveAsPng(file.toString())) {
                throw new IOException("could not write " + png);
            }
        });
        System.out.printf(Locale.ROOT, "%d objects; mean Dice %.3f after the start prompt, %.3f after %d rounds; wrote %s%n",
                objects, mean[0], mean[rounds], rounds, csv);
        return 0;
    }

    private List<Path[]> pairs() throws IOException {
        List<Path[]> out = new ArrayList<>();
        if (!Files.isDirectory(images)) {
            out.add(new Path[] {images, truth});
            return out;
        }
        try (Stream<Path> files = Files.list(images)) {
            for (Path image : files.sorted().toList()) {
                String stem = LabelImageFiles.stem(image);
                try (Stream<Path> candidates = Files.list(truth)) {
                    Path match = candidates.filter(t -> LabelImageFiles.stem(t).equals(stem)).findFirst().orElse(null);
                    if (match == null) {
                        System.err.println("warning: image '" + image.getFileName() + "' has no truth with the same name; skipped");
                    } else {
                        out.add(new Path[] {image, match});
                    }
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no image in " + images + " has a truth file of the same name in " + truth);
        }
        return out;
    }
}
