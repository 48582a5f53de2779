package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.process.ImageProcessor;
import io.github.samfiji.evaluation.NameMatching;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.training.TrainingSample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads fine-tuning data: images and label masks matched by name from two folders, or an open image and its label
 * image. Stacks become one sample per slice, grouped by file so that a volume stays within one split. A mask pixel
 * above zero is object (every label together).
 */
public final class TrainingData {

    private TrainingData() {
    }

    public static List<TrainingSample> fromFolders(Path images, Path masks) throws IOException {
        for (Path[] p : new Path[][] {{images, null}, {masks, null}}) {
            if (!Files.isDirectory(p[0])) {
                throw new IOException("not a folder: " + p[0]);
            }
        }
        NameMatching.Matching matching = NameMatching.match("image", names(images), "mask", names(masks));
        if (!matching.unmatchedFirst().isEmpty()) {
            throw new IllegalArgumentException("no mask for image(s) " + limit(matching.unmatchedFirst()) + " in " + masks);
        }
        if (matching.pairs().isEmpty()) {
            throw new IllegalArgumentException("no image/mask pairs: " + images + " and " + masks
                    + " have no files with matching names");
        }
        List<TrainingSample> out = new ArrayList<>();
        for (NameMatching.Pair pair : matching.pairs()) {
            ImagePlus image = ImageFiles.open(images.resolve(pair.first()));
            ImagePlus mask = ImageFiles.open(masks.resolve(pair.second()));
            out.addAll(fromImages(image, mask, pair.stem()));
        }
        return out;
    }

    /** One sample per slice of {@code image}; {@code labels} must have the same width, height and slice count. */
    public static List<TrainingSample> fromImages(ImagePlus image, ImagePlus labels, String group) {
        int w = image.getWidth();
        int h = image.getHeight();
        int n = image.getStackSize();
        if (labels.getWidth() != w || labels.getHeight() != h || labels.getStackSize() != n) {
            throw new IllegalArgumentException("image and mask differ in size for '" + group + "': the image is " + w
                    + " x " + h + " x " + n + " but the mask is " + labels.getWidth() + " x " + labels.getHeight()
                    + " x " + labels.getStackSize());
        }
        List<TrainingSample> out = new ArrayList<>();
        for (int z = 1; z <= n; z++) {
            Rgb8Image rgb = ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, z));
            ImageProcessor ip = labels.getStack().getProcessor(z);
            byte[] mask = new byte[w * h];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = (byte) (ip.getf(i) > 0 ? 1 : 0);
            }
            out.add(new TrainingSample(n == 1 ? group : group + "#" + z, group, rgb, mask));
        }
        return out;
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    private static String limit(List<String> names) {
        return names.size() <= 5 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 5)) + " and " + (names.size() - 5) + " more";
    }
}
