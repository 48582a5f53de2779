package io.github.samfiji.imagejio;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.process.ImageProcessor;
import io.github.samfiji.evaluation.EvaluationException;
import io.github.samfiji.evaluation.NameMatching;
import io.github.samfiji.imagejio.medical.DicomSeries;
import io.github.samfiji.imagejio.medical.Nifti;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImg;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.basictypeaccess.array.ByteArray;
import net.imglib2.img.basictypeaccess.array.FloatArray;
import net.imglib2.img.basictypeaccess.array.IntArray;
import net.imglib2.img.basictypeaccess.array.ShortArray;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.IntType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.type.numeric.integer.UnsignedShortType;
import net.imglib2.type.numeric.real.FloatType;
import net.imglib2.util.Fraction;

/**
 * Label images, masks and probability maps for evaluation, read with ImageJ 1 and presented to the core as
 * imglib2 images: 2D images as one array, stacks as a planar image over the stack's own pixel arrays (no copy).
 * The TIFF calibration gives the voxel spacing.
 *
 * <p>ROI sets ({@code RoiSet.zip} from the ROI Manager, or a single {@code .roi}) become label images on a
 * canvas of a given size: each area ROI is filled with its label, later ROIs over earlier ones. The label is
 * the ROI's group when every ROI has a group (so several ROIs, e.g. one per slice, form one object), otherwise
 * its 1-based position in the set. A ROI with a slice position is drawn on that slice; without one (position
 * 0) on every slice, as ImageJ shows it.
 */
public final class LabelImageFiles {

    private LabelImageFiles() {
    }

    /**
     * An image ready for evaluation.
     *
     * @param name file name
     * @param pixels the pixels, 2D (x, y) or 3D (x, y, z)
     * @param spacing voxel size per axis from the calibration
     * @param unit the calibration's length unit ("pixel" when uncalibrated)
     * @param calibrated whether the file carried a spatial calibration
     * @param maxValue the largest value of the pixel type (255, 65535), or 1 for 32-bit images
     */
    public record Loaded(String name, RandomAccessibleInterval<? extends RealType<?>> pixels, double[] spacing,
            String unit, boolean calibrated, double maxValue) {

        public long[] dimensions() {
            return pixels.dimensionsAsLongArray();
        }
    }

    /** Whether the file is read as ROIs ({@code .zip} or {@code .roi}). */
    public static boolean isRoiFile(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".zip") || name.endsWith(".roi");
    }

    /**
     * Opens an image file (TIFF, PNG, ...; not ROIs) with ImageJ, a NIfTI volume ({@code .nii}, {@code .nii.gz}) or
     * a DICOM file or series folder with sam-fiji's readers (orientation and calibration as {@link Nifti} and
     * {@link DicomSeries} describe).
     */
    public static Loaded open(Path file) throws IOException {
        if (Files.isDirectory(file) && DicomSeries.looksLikeSeries(file)) {
            return wrap(ImageFiles.open(file), file.getFileName().toString());
        }
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (isRoiFile(file)) {
            throw new EvaluationException(file.getFileName() + " holds ROIs, which need the size of the image they"
                    + " belong to");
        }
        // Through ImageFiles: the header's size is checked against memory before decoding, NIfTI and DICOM go to
        // sam-fiji's readers, other types ImageJ does not know to Fiji's HandleExtraFileTypes.
        ImagePlus image = ImageFiles.open(file);
        return wrap(image, file.getFileName().toString());
    }

    /**
     * Wraps an open image: one channel, one time point, 2D or a z-stack; 8-bit, 16-bit or 32-bit grey (an RGB
     * image whose three channels are equal is read as its grey values).
     */
    public static Loaded wrap(ImagePlus image, String name) {
        if (image.getNChannels() > 1 || image.getNFrames() > 1) {
            throw new EvaluationException(name + " has " + image.getNChannels() + " channels and " + image.getNFrames()
                    + " time points; evaluation needs a single-channel 2D image or z-stack");
        }
        int width = image.getWidth();
        int height = image.getHeight();
        int depth = image.getStackSize();
        ImageStack stack = image.getStack();
        RandomAccessibleInterval<? extends RealType<?>> pixels;
        double maxValue;
        Object first = stack.getPixels(1);
        if (first instanceof byte[]) {
            List<ByteArray> planes = new ArrayList<>(depth);
            for (int z = 1; z <= depth; z++) {
                planes.add(new ByteArray((byte[]) stack.getPixels(z)));
            }
            pixels = depth == 1 ? ArrayImgs.unsignedBytes((byte[]) first, width, height) : unsignedBytes(planes,
                    width, height);
            maxValue = 255;
        } else if (first instanceof short[]) {
            List<ShortArray> planes = new ArrayList<>(depth);
            for (int z = 1; z <= depth; z++) {
                planes.add(new ShortArray((short[]) stack.getPixels(z)));
            }
            pixels = depth == 1 ? ArrayImgs.unsignedShorts((short[]) first, width, height) : unsignedShorts(planes,
                    width, height);
            maxValue = 65535;
        } else if (first instanceof float[]) {
            List<FloatArray> planes = new ArrayList<>(depth);
            for (int z = 1; z <= depth; z++) {
                planes.add(new FloatArray((float[]) stack.getPixels(z)));
            }
            pixels = depth == 1 ? ArrayImgs.floats((float[]) first, width, height) : floats(planes, width, height);
            maxValue = 1;
        } else if (first instanceof int[]) {
            List<ByteArray> planes = new ArrayList<>(depth);
            for (int z = 1; z <= depth; z++) {
                planes.add(new ByteArray(greyOfRgb((int[]) stack.getPixels(z), name, z)));
            }
            pixels = depth == 1 ? ArrayImgs.unsignedBytes(planes.get(0).getCurrentStorageArray(), width, height)
                    : unsignedBytes(planes, width, height);
            maxValue = 255;
        } else {
            throw new EvaluationException(name + " has an unsupported pixel type");
        }
        Calibration calibration = image.getCalibration();
        double[] spacing = depth == 1 ? new double[] {calibration.pixelWidth, calibration.pixelHeight}
                : new double[] {calibration.pixelWidth, calibration.pixelHeight, calibration.pixelDepth};
        String unit = calibration.getUnit();
        boolean calibrated = calibration.scaled() || !"pixel".equals(unit);
        return new Loaded(name, pixels, spacing, unit, calibrated, maxValue);
    }

    /**
     * Reads ROIs as a label image.
     *
     * @param file a {@code RoiSet.zip} or a {@code .roi}
     * @param dims the canvas: width, height[, slices]
     */
    public static Loaded openRois(Path file, long[] dims) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        String name = file.getFileName().toString();
        return rasterize(readRois(file), dims, name);
    }

    /**
     * ROIs (of a file or of the ROI Manager) as a label image, by the rules of the class comment.
     *
     * @param rois area ROIs, in order
     * @param dims the canvas: width, height[, slices]
     * @param name how the ROIs are named in messages and in the result
     */
    public static Loaded rasterize(List<Roi> rois, long[] dims, String name) {
        if (dims.length < 2 || dims.length > 3) {
            throw new EvaluationException("ROIs need a 2D or 3D canvas, got " + dims.length + " axes");
        }
        long total = 1;
        for (long d : dims) {
            total *= d;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new EvaluationException("the canvas for " + name + " is too large (" + total + " voxels)");
        }
        boolean byGroup = !rois.isEmpty() && rois.stream().allMatch(r -> r.getGroup() > 0);
        int width = (int) dims[0];
        int height = (int) dims[1];
        int depth = dims.length == 3 ? (int) dims[2] : 1;
        int[] labels = new int[(int) total];
        for (int i = 0; i < rois.size(); i++) {
            Roi roi = rois.get(i);
            String what = "ROI " + (i + 1) + (roi.getName() != null ? " '" + roi.getName() + "'" : "") + " of "
                    + name;
            if (!roi.isArea()) {
                throw new EvaluationException(what + " is a line or point selection; only area ROIs can be"
                        + " evaluated");
            }
            int slice = roi.hasHyperStackPosition() ? roi.getZPosition() : roi.getPosition();
            if (slice > depth) {
                throw new EvaluationException(what + " lies on slice " + slice + " but the image has " + depth
                        + (depth == 1 ? " slice" : " slices"));
            }
            int label = byGroup ? roi.getGroup() : i + 1;
            int from = slice == 0 ? 0 : slice - 1;
            int to = slice == 0 ? depth : slice;
            for (int z = from; z < to; z++) {
                paint(roi, labels, width, height, z, label);
            }
        }
        ArrayImg<IntType, IntArray> image = ArrayImgs.ints(labels, dims);
        double[] spacing = new double[dims.length];
        java.util.Arrays.fill(spacing, 1);
        return new Loaded(name, image, spacing, "pixel", false, Integer.MAX_VALUE);
    }

    /** The name stem used to match files of two folders ({@code case01.nii.gz} and {@code case01.tif}: case01). */
    public static String stem(Path file) {
        String name = file.getFileName().toString();
        return Nifti.isNiftiName(file) ? Nifti.stem(name) : NameMatching.stem(name);
    }

    private static void paint(Roi roi, int[] labels, int width, int height, int z, int label) {
        Rectangle bounds = roi.getBounds();
        ImageProcessor mask = roi.getMask();
        int offset = z * width * height;
        for (int y = Math.max(0, bounds.y); y < Math.min(height, bounds.y + bounds.height); y++) {
            for (int x = Math.max(0, bounds.x); x < Math.min(width, bounds.x + bounds.width); x++) {
                if (mask == null || mask.get(x - bounds.x, y - bounds.y) != 0) {
                    labels[offset + y * width + x] = label;
                }
            }
        }
    }

    public static List<Roi> readRois(Path file) throws IOException {
        List<Roi> rois;
        try {
            rois = RoiSets.read(file);
        } catch (java.util.zip.ZipException e) {
            throw new EvaluationException(file.getFileName() + " is not a readable RoiSet: " + e.getMessage());
        } catch (IOException e) {
            throw new EvaluationException(e.getMessage());
        }
        if (rois.isEmpty()) {
            throw new EvaluationException(file.getFileName() + " holds no ROIs (.roi entries)");
        }
        return rois;
    }

    private static byte[] greyOfRgb(int[] rgb, String name, int slice) {
        byte[] grey = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            int r = (rgb[i] >> 16) & 0xff;
            int g = (rgb[i] >> 8) & 0xff;
            int b = rgb[i] & 0xff;
            if (r != g || g != b) {
                throw new EvaluationException(name + " is a colour (RGB) image" + (slice > 1 ? " (slice " + slice
                        + ")" : "") + "; labels and masks must be grey values: save them as 8-bit, 16-bit or"
                        + " 32-bit");
            }
            grey[i] = (byte) r;
        }
        return grey;
    }

    private static PlanarImg<UnsignedByteType, ByteArray> unsignedBytes(List<ByteArray> planes, int w, int h) {
        PlanarImg<UnsignedByteType, ByteArray> img = new PlanarImg<>(planes, new long[] {w, h, planes.size()},
                new Fraction());
        img.setLinkedType(new UnsignedByteType(img));
        return img;
    }

    private static PlanarImg<UnsignedShortType, ShortArray> unsignedShorts(List<ShortArray> planes, int w, int h) {
        PlanarImg<UnsignedShortType, ShortArray> img = new PlanarImg<>(planes, new long[] {w, h, planes.size()},
                new Fraction());
        img.setLinkedType(new UnsignedShortType(img));
        return img;
    }

    private static PlanarImg<FloatType, FloatArray> floats(List<FloatArray> planes, int w, int h) {
        PlanarImg<FloatType, FloatArray> img = new PlanarImg<>(planes, new long[] {w, h, planes.size()},
                new Fraction());
        img.setLinkedType(new FloatType(img));
        return img;
    }
}
