package io.github.samfiji.imagejio;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.process.ImageProcessor;
import io.github.samfiji.evaluation.NameMatching;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.imagejio.medical.DicomSeries;
import io.github.samfiji.imagejio.medical.Nifti;
import io.github.samfiji.training.TrainingSample;
import java.io.IOException;
import net.imglib2.img.array.ArrayImg;
import net.imglib2.img.basictypeaccess.array.IntArray;
import net.imglib2.type.numeric.integer.IntType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads fine-tuning data: images and label masks (or RoiSets) matched by name from two folders, an open image with
 * its label image, or an open image with ROIs (annotations made in Fiji). Stacks become one sample per slice,
 * grouped by file so that a volume stays within one split. A mask pixel above zero is object (every label together).
 * With ROIs, only annotated slices are used: a slice with no ROI on it was not annotated, which is not the same as
 * annotated empty. Folders may hold NIfTI volumes ({@code case01.nii.gz} pairs with {@code case01.nii.gz},
 * {@code case01.nii} or {@code case01.tif}: the whole {@code .nii.gz} is the extension) and DICOM series as
 * sub-folders (the folder's name is the stem).
 */
public final class TrainingData {

    /** Every label above zero is the object (one class). */
    public static final int ALL_LABELS = 0;

    private TrainingData() {
    }

    /**
     * Which label of a label image is the object: {@link #ALL_LABELS}, a label value, or null for "not chosen",
     * which accepts binary masks (one value above zero, e.g. 0/255) and refuses label images with several labels,
     * since the model learns one class.
     */
    public static Integer parseLabel(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        if (text.trim().equalsIgnoreCase("all")) {
            return ALL_LABELS;
        }
        try {
            int v = Integer.parseInt(text.trim());
            if (v < 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the object label must be 'all' or a label value of 1 or more (got '"
                    + text + "')");
        }
    }

    public static List<TrainingSample> fromFolders(Path images, Path masks) throws IOException {
        return fromFolders(images, masks, null);
    }

    /** @param label see {@link #parseLabel} */
    public static List<TrainingSample> fromFolders(Path images, Path masks, Integer label) throws IOException {
        for (Path[] p : new Path[][] {{images, null}, {masks, null}}) {
            if (!Files.isDirectory(p[0])) {
                throw new IOException("not a folder: " + p[0]);
            }
        }
        // NameMatching knows image extensions but not .nii.gz or series folders: each name is matched by a stand-in
        // whose stem is the one wanted, and mapped back.
        Map<String, String> imageNames = matchingNames(images);
        Map<String, String> maskNames = matchingNames(masks);
        NameMatching.Matching byStandIn = NameMatching.match("image", imageNames.keySet(), "mask",
                maskNames.keySet());
        NameMatching.Matching matching = new NameMatching.Matching(byStandIn.pairs().stream()
                .map(p -> new NameMatching.Pair(p.stem(), imageNames.get(p.first()), maskNames.get(p.second())))
                .toList(), byStandIn.unmatchedFirst().stream().map(imageNames::get).toList(),
                byStandIn.unmatchedSecond().stream().map(maskNames::get).toList());
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
            Path maskFile = masks.resolve(pair.second());
            if (LabelImageFiles.isRoiFile(maskFile)) {
                List<Roi> rois = LabelImageFiles.readRois(maskFile);
                if (rois.isEmpty()) {
                    throw new IllegalArgumentException(pair.second() + " holds no ROIs");
                }
                out.addAll(fromRois(image, rois, pair.stem(), false));
            } else {
                out.addAll(fromImages(image, ImageFiles.open(maskFile), pair.stem(), false, label));
            }
        }
        return out;
    }

    /**
     * One sample per slice of {@code image}; {@code labels} must have the same width, height and slice count.
     *
     * @param separateSlices the slices are unrelated 2D images (each its own group for the split), not one volume
     * @param label          see {@link #parseLabel}
     */
    public static List<TrainingSample> fromImages(ImagePlus image, ImagePlus labels, String group,
                                                  boolean separateSlices, Integer label) {
        int w = image.getWidth();
        int h = image.getHeight();
        int n = image.getStackSize();
        if (labels.getWidth() != w || labels.getHeight() != h || labels.getStackSize() != n) {
            throw new IllegalArgumentException("image and mask differ in size for '" + group + "': the image is " + w
                    + " x " + h + " x " + n + " but the mask is " + labels.getWidth() + " x " + labels.getHeight()
                    + " x " + labels.getStackSize());
        }
        java.util.TreeSet<Float> values = new java.util.TreeSet<>();
        for (int z = 1; z <= n; z++) {
            ImageProcessor ip = labels.getStack().getProcessor(z);
            float last = 0;
            for (int i = 0; i < w * h; i++) {
                float v = ip.getf(i);
                if (v > 0 && v != last) { // labels come in runs: look up only where the value changes
                    values.add(v);
                    last = v;
                }
            }
        }
        if (label == null && values.size() > 1) {
            throw new IllegalArgumentException("the mask of '" + group + "' holds " + values.size() + " labels ("
                    + describe(values) + ") but the model learns one class: choose the label to learn (a number), or "
                    + "'all' to learn every label as one object");
        }
        StackSlices planes = volumeOf(image);
        List<TrainingSample> out = new ArrayList<>();
        for (int z = 1; z <= n; z++) {
            Rgb8Image rgb = planes.slice(z - 1);
            ImageProcessor ip = labels.getStack().getProcessor(z);
            byte[] mask = new byte[w * h];
            for (int i = 0; i < mask.length; i++) {
                float v = ip.getf(i);
                boolean object = label == null || label == ALL_LABELS ? v > 0 : v == label;
                mask[i] = (byte) (object ? 1 : 0);
            }
            String name = n == 1 ? group : group + "#" + z;
            out.add(new TrainingSample(name, separateSlices ? name : group, rgb, mask));
        }
        return out;
    }

    /**
     * The planes with the volume's intensity range, as every inference command maps them, so that a model sees the
     * same input in training and in use.
     */
    private static StackSlices volumeOf(ImagePlus image) {
        StackSlices planes = StackSlices.of(image);
        if (planes.depth() != image.getStackSize() && image.getNChannels() == 1) {
            throw new IllegalArgumentException("'" + image.getTitle() + "' has " + image.getNFrames() + " time points of "
                    + image.getNSlices() + " slices (a 4D volume); train on one time point (Image > Duplicate...)");
        }
        if (planes.depth() != image.getStackSize()) {
            throw new IllegalArgumentException("'" + image.getTitle() + "' is a hyperstack with " + image.getNChannels()
                    + " channels; train on one channel (Image > Color > Split Channels)");
        }
        return planes;
    }

    private static String describe(java.util.SortedSet<Float> values) {
        List<String> shown = values.stream().limit(5).map(v -> v == Math.rint(v) ? Integer.toString(v.intValue())
                : Float.toString(v)).toList();
        return String.join(", ", shown) + (values.size() > 5 ? ", ... " + values.last().intValue() : "");
    }

    /**
     * One sample per annotated slice of {@code image}, its mask painted from {@code rois} (area ROIs; a ROI without a
     * slice position lies on every slice).
     *
     * @param separateSlices the slices are unrelated 2D images (each its own group for the split), not one volume
     */
    public static List<TrainingSample> fromRois(ImagePlus image, List<Roi> rois, String group, boolean separateSlices) {
        if (rois.isEmpty()) {
            throw new IllegalArgumentException("no ROIs to train from: outline the objects and add them to the ROI Manager");
        }
        int w = image.getWidth();
        int h = image.getHeight();
        int n = image.getStackSize();
        long[] dims = n == 1 ? new long[] {w, h} : new long[] {w, h, n};
        int[] labels = ((ArrayImg<IntType, IntArray>) LabelImageFiles.rasterize(rois, dims, "the ROIs of " + group)
                .pixels()).update(null).getCurrentStorageArray();
        StackSlices planes = volumeOf(image);
        boolean[] annotated = new boolean[n];
        for (Roi roi : rois) {
            int z = roi.hasHyperStackPosition() ? roi.getZPosition() : roi.getPosition();
            if (z == 0) {
                java.util.Arrays.fill(annotated, true);
            } else {
                annotated[z - 1] = true;
            }
        }
        List<TrainingSample> out = new ArrayList<>();
        for (int z = 1; z <= n; z++) {
            if (!annotated[z - 1]) {
                continue;
            }
            byte[] mask = new byte[w * h];
            int offset = (z - 1) * w * h;
            for (int i = 0; i < mask.length; i++) {
                mask[i] = (byte) (labels[offset + i] > 0 ? 1 : 0);
            }
            Rgb8Image rgb = planes.slice(z - 1);
            String name = n == 1 ? group : group + "#" + z;
            out.add(new TrainingSample(name, separateSlices ? name : group, rgb, mask));
        }
        return out;
    }

    /**
     * The images of a folder by a stand-in name for matching: files (a {@code .nii.gz} as {@code .nii}; the
     * {@code .img} of a {@code .hdr}/{@code .img} pair left out) and sub-folders holding a DICOM series (as
     * {@code NAME.dcm}).
     */
    private static Map<String, String> matchingNames(Path folder) throws IOException {
        Map<String, String> byStandIn = new TreeMap<>();
        List<Path> entries;
        try (Stream<Path> s = Files.list(folder)) {
            entries = s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
        for (Path p : entries) {
            String name = p.getFileName().toString();
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            String standIn;
            if (Files.isDirectory(p)) {
                if (!DicomSeries.looksLikeSeries(p)) {
                    continue;
                }
                standIn = name + ".dcm";
            } else if (!Files.isRegularFile(p)) {
                continue;
            } else if (Nifti.isNiftiName(p)) {
                standIn = Nifti.stem(name) + ".nii";
            } else if ((lower.endsWith(".img") || lower.endsWith(".img.gz"))
                    && Files.exists(p.resolveSibling(name.substring(0, lower.indexOf(".img")) + ".hdr"))) {
                continue;
            } else {
                standIn = name;
            }
            String previous = byStandIn.put(standIn, name);
            if (previous != null) {
                throw new IllegalArgumentException("'" + previous + "' and '" + name + "' in " + folder + " have the "
                        + "same name stem, so it is unclear which to use; keep one of them");
            }
        }
        return byStandIn;
    }

    private static String limit(List<String> names) {
        return names.size() <= 5 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 5)) + " and " + (names.size() - 5) + " more";
    }
}
