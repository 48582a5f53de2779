package io.github.samfiji.imagejio.medical;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import io.github.samfiji.io.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A folder of single-frame DICOM files (one series) as one ImageJ stack.
 *
 * <p>Headers are parsed by {@link DicomHeader} (bounded, unlike ImageJ's decoder) and pixels read here (ImageJ's
 * reader also applies a rescale through menu commands, which fail headless). Slices are sorted by their position along
 * the slice normal (ImagePositionPatient projected on the cross product of the two ImageOrientationPatient
 * directions), so slice 1 is the lowest for an axial series; without positions, by InstanceNumber, else by file
 * name. Pixels are kept as stored: x along a row, y down the columns, as DICOM viewers show them. The voxel size is
 * PixelSpacing (row spacing is y, column spacing x) and the mean distance between consecutive positions (else
 * SliceThickness). RescaleSlope/RescaleIntercept are applied: the image is 32-bit float unless the values are
 * unscaled and fit 8 or 16 bits unsigned. The voxel-to-world affine is kept as {@link Nifti#AFFINE_PROPERTY}, so
 * labels written as NIfTI overlay the series. Only uncompressed files (implicit or explicit VR little endian) are
 * read; any other transfer syntax is refused with its name.
 */
public final class DicomSeries {

    static final String IMPLICIT_LITTLE = "1.2.840.10008.1.2";
    static final String EXPLICIT_LITTLE = "1.2.840.10008.1.2.1";

    private DicomSeries() {
    }

    /** One file's header: what sorting, checking and reading need. */
    private record Slice(Path file, int rows, int columns, int bitsAllocated, boolean signed, long pixelOffset,
            double slope, double intercept, double[] position, double[] orientation, Integer instance,
            double[] pixelSpacing, double thickness, String series) {
    }

    /** Whether the folder holds at least one file with the DICOM signature ('DICM' at byte 128). */
    public static boolean looksLikeSeries(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (hasSignature(f)) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean hasSignature(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(132);
            return head.length == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M';
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads the series in a folder (files without the DICOM signature, e.g. a DICOMDIR's notes, are ignored). */
    public static ImagePlus read(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new NoSuchFileException(folder.toString(), null, "is not a folder of DICOM files");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
                    .filter(f -> !f.getFileName().toString().equalsIgnoreCase("DICOMDIR"))
                    .filter(DicomSeries::hasSignature).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IOException(folder + " holds no DICOM files (none has the 'DICM' signature at byte 128)");
        }
        return read(files, folder.getFileName().toString());
    }

    /** Reads one single-frame DICOM file as a one-slice image. */
    public static ImagePlus readFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        return read(List.of(file), file.getFileName().toString());
    }

    /** Whether a DICOM file holds several frames (which ImageJ's own reader opens as a stack). */
    public static boolean isMultiFrame(Path file) {
        try {
            String frames = new DicomHeader(file).get(0x00280008);
            return frames != null && Integer.parseInt(frames.trim()) > 1;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static ImagePlus read(List<Path> files, String title) throws IOException {
        List<Slice> slices = new ArrayList<>();
        for (Path f : files) {
            slices.add(header(f));
        }
        TreeSet<String> series = new TreeSet<>();
        slices.forEach(s -> series.add(s.series() == null ? "" : s.series()));
        if (series.size() > 1) {
            throw new IOException(title + " holds " + series.size() + " DICOM series; put each series in its own "
                    + "folder");
        }
        Slice first = slices.get(0);
        for (Slice s : slices) {
            if (s.rows() != first.rows() || s.columns() != first.columns()) {
                throw new IOException(title + ": " + s.file().getFileName() + " is " + s.columns() + " x " + s.rows()
                        + " pixels but " + first.file().getFileName() + " is " + first.columns() + " x " + first.rows()
                        + "; a series needs slices of one size");
            }
        }
        double depthSpacing = sort(slices, title);
        first = slices.get(0);
        int width = first.columns();
        int height = first.rows();
        long needed = 3L * 4 * width * height * slices.size();
        long budget = Memory.freeHeap(false);
        if (needed > budget) {
            budget = Memory.freeHeap(true);
        }
        if (needed > budget) {
            throw new IOException(String.format(Locale.ROOT, "%s: %d slices of %d x %d pixels need about %.1f GB of "
                    + "memory; %.1f GB are available to Java. Give Java more memory (SAMFIJI_JAVA_OPTS=-Xmx..., or "
                    + "Edit > Options > Memory in Fiji)", title, slices.size(), width, height, needed / 1e9,
                    budget / 1e9));
        }
        List<double[]> values = new ArrayList<>();
        boolean unscaled = true;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        int maxBits = 0;
        for (Slice s : slices) {
            double[] v = pixels(s);
            values.add(v);
            unscaled &= s.slope() == 1 && s.intercept() == 0;
            maxBits = Math.max(maxBits, s.bitsAllocated());
            for (double x : v) {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
        }
        boolean bytes = unscaled && maxBits == 8 && min >= 0 && max <= 255;
        boolean shorts = !bytes && unscaled && min >= 0 && max <= 65535 && min == Math.rint(min) && allIntegers(values);
        ImageStack stack = new ImageStack(width, height);
        for (int i = 0; i < slices.size(); i++) {
            double[] v = values.get(i);
            values.set(i, null);
            ImageProcessor ip;
            if (bytes) {
                byte[] p = new byte[v.length];
                for (int k = 0; k < v.length; k++) {
                    p[k] = (byte) v[k];
                }
                ip = new ByteProcessor(width, height, p);
            } else if (shorts) {
                short[] p = new short[v.length];
                for (int k = 0; k < v.length; k++) {
                    p[k] = (short) v[k];
                }
                ip = new ShortProcessor(width, height, p, null);
            } else {
                float[] p = new float[v.length];
                for (int k = 0; k < v.length; k++) {
                    p[k] = (float) v[k];
                }
                ip = new FloatProcessor(width, height, p);
            }
            stack.addSlice(slices.get(i).file().getFileName().toString(), ip);
        }
        ImagePlus image = new ImagePlus(title, stack);
        calibrate(image, first, depthSpacing);
        if (!bytes && min <= max) {
            image.setDisplayRange(min, max);
        }
        return image;
    }

    private static boolean allIntegers(List<double[]> values) {
        for (double[] v : values) {
            for (double x : v) {
                if (x != Math.rint(x)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Sorts the slices in place and returns the spacing between them.
     */
    private static double sort(List<Slice> slices, String title) throws IOException {
        Slice first = slices.get(0);
        boolean positioned = slices.stream().allMatch(s -> s.position() != null) && first.orientation() != null;
        if (positioned) {
            double[] normal = normal(first.orientation());
            Map<Slice, Double> along = new HashMap<>();
            slices.forEach(s -> along.put(s, dot(s.position(), normal)));
            slices.sort(Comparator.comparingDouble(along::get));
            for (int i = 1; i < slices.size(); i++) {
                if (Math.abs(along.get(slices.get(i)) - along.get(slices.get(i - 1))) < 1e-4) {
                    throw new IOException(title + ": " + slices.get(i - 1).file().getFileName() + " and "
                            + slices.get(i).file().getFileName() + " lie at the same position; is the folder a mix of "
                            + "series or time points?");
                }
            }
            if (slices.size() > 1) {
                return (along.get(slices.get(slices.size() - 1)) - along.get(slices.get(0))) / (slices.size() - 1);
            }
        } else if (slices.stream().allMatch(s -> s.instance() != null)) {
            slices.sort(Comparator.comparingInt(Slice::instance));
        }
        return first.thickness() > 0 ? first.thickness() : 1;
    }

    private static void calibrate(ImagePlus image, Slice first, double depthSpacing) {
        Calibration cal = image.getCalibration();
        double[] spacing = first.pixelSpacing();
        if (spacing != null) {
            cal.pixelHeight = spacing[0];
            cal.pixelWidth = spacing[1];
            cal.pixelDepth = depthSpacing;
            cal.setUnit("mm");
        }
        double[] o = first.orientation();
        double[] p = first.position();
        if (o != null && p != null && spacing != null) {
            double[] normal = normal(o);
            double[] lpsToRas = {-1, -1, 1};
            double[][] affine = new double[3][4];
            for (int r = 0; r < 3; r++) {
                affine[r][0] = lpsToRas[r] * o[r] * cal.pixelWidth;
                affine[r][1] = lpsToRas[r] * o[3 + r] * cal.pixelHeight;
                affine[r][2] = lpsToRas[r] * normal[r] * cal.pixelDepth;
                affine[r][3] = lpsToRas[r] * p[r];
            }
            Nifti.setAffine(image, affine, 1);
            boolean axial = Math.abs(o[0] - 1) < 1e-6 && Math.abs(o[4] - 1) < 1e-6;
            if (axial) { // DICOM's world is LPS, as ImageJ's x, y and z then are
                cal.xOrigin = -p[0] / cal.pixelWidth;
                cal.yOrigin = -p[1] / cal.pixelHeight;
                cal.zOrigin = -p[2] / cal.pixelDepth;
            }
        }
    }

    private static double[] normal(double[] o) {
        return new double[] {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
    }

    private static double dot(double[] a, double[] b) {
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }

    /** One file's stored values with the rescale applied, row by row. */
    private static double[] pixels(Slice s) throws IOException {
        int bytesPerPixel = s.bitsAllocated() / 8;
        int count = s.rows() * s.columns();
        byte[] data;
        try (InputStream in = Files.newInputStream(s.file())) {
            in.skipNBytes(s.pixelOffset());
            data = in.readNBytes(count * bytesPerPixel);
        }
        if (data.length < count * bytesPerPixel) {
            throw new IOException(s.file().getFileName() + " is truncated: " + s.columns() + " x " + s.rows()
                    + " pixels need " + count * bytesPerPixel + " bytes, " + data.length + " follow its header");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[count];
        for (int i = 0; i < count; i++) {
            double raw = switch (s.bitsAllocated()) {
                case 8 -> s.signed() ? b.get(i) : b.get(i) & 0xff;
                case 16 -> s.signed() ? b.getShort(2 * i) : b.getShort(2 * i) & 0xffff;
                default -> s.signed() ? b.getInt(4 * i) : b.getInt(4 * i) & 0xffffffffL;
            };
            v[i] = raw * s.slope() + s.intercept();
        }
        return v;
    }

    /** A file's header, checked before any pixel is read. */
    private static Slice header(Path file) throws IOException {
        String name = file.getFileName().toString();
        DicomHeader h = new DicomHeader(file);
        String syntax = h.get(0x00020010) == null ? IMPLICIT_LITTLE : h.get(0x00020010);
        if (!syntax.equals(IMPLICIT_LITTLE) && !syntax.equals(EXPLICIT_LITTLE)) {
            throw new IOException(name + " uses the transfer syntax " + syntaxName(syntax) + "; sam-fiji reads "
                    + "uncompressed DICOM only (implicit or explicit VR little endian): decompress it first, e.g. "
                    + "with 'gdcmconv --raw' or 'dcmdjpeg'");
        }
        if (h.get(0x00280010) == null || h.pixelOffset() < 0) {
            throw new IOException(name + " is not a DICOM image (no pixel rows or pixel data in its header)");
        }
        int rows = integer(h, 0x00280010, name);
        int columns = integer(h, 0x00280011, name);
        int bits = integer(h, 0x00280100, name);
        int samples = h.get(0x00280002) != null ? integer(h, 0x00280002, name) : 1;
        int frames = h.get(0x00280008) != null ? integer(h, 0x00280008, name) : 1;
        if (samples != 1) {
            throw new IOException(name + " is a colour DICOM image (" + samples + " samples a pixel); sam-fiji reads "
                    + "grey DICOM series");
        }
        if (frames != 1) {
            throw new IOException(name + " holds " + frames + " frames; sam-fiji reads series of single-frame files");
        }
        if (bits != 8 && bits != 16 && bits != 32) {
            throw new IOException(name + " has " + bits + "-bit pixels; sam-fiji reads 8, 16 or 32 bits");
        }
        if (rows < 1 || columns < 1) {
            throw new IOException(name + " declares " + columns + " x " + rows + " pixels");
        }
        long offset = h.pixelOffset();
        long bytes = (long) rows * columns * (bits / 8);
        long size = Files.size(file);
        if (offset + bytes > size || h.pixelLength() >= 0 && h.pixelLength() < bytes) {
            throw new IOException(name + " is truncated: " + columns + " x " + rows + " pixels of " + bits + " bits "
                    + "need " + bytes + " bytes from byte " + offset + ", the file has " + size);
        }
        double slope = number(h.get(0x00281053), 1);
        double intercept = number(h.get(0x00281052), 0);
        if (slope == 0 || !Double.isFinite(slope) || !Double.isFinite(intercept)) {
            slope = 1;
            intercept = 0;
        }
        boolean signed = h.get(0x00280103) != null && integer(h, 0x00280103, name) == 1;
        double[] position = numbers(h.get(0x00200032), 3);
        double[] orientation = numbers(h.get(0x00200037), 6);
        double[] spacing = numbers(h.get(0x00280030), 2);
        Integer instance = h.get(0x00200013) != null ? (int) number(h.get(0x00200013), 0) : null;
        return new Slice(file, rows, columns, bits, signed, offset, slope, intercept, position, orientation, instance,
                spacing, number(h.get(0x00180050), 0), h.get(0x0020000E));
    }

    private static String syntaxName(String uid) {
        String known = switch (uid) {
            case "1.2.840.10008.1.2.2" -> "explicit VR big endian";
            case "1.2.840.10008.1.2.1.99" -> "deflated explicit VR little endian";
            case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51" -> "JPEG baseline/extended";
            case "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70" -> "JPEG lossless";
            case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81" -> "JPEG-LS";
            case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91" -> "JPEG 2000";
            case "1.2.840.10008.1.2.5" -> "RLE lossless";
            default -> null;
        };
        return known == null ? uid : known + " (" + uid + ")";
    }

    private static int integer(DicomHeader h, int tag, String name) throws IOException {
        String text = h.get(tag);
        try {
            return Integer.parseInt(text.split("\\\\")[0].trim());
        } catch (RuntimeException e) {
            throw new IOException(name + " has no valid " + String.format("(%04X,%04X)", tag >>> 16, tag & 0xffff)
                    + " (" + text + ") in its DICOM header");
        }
    }

    private static double number(String text, double fallback) {
        double[] v = numbers(text, 1);
        return v == null ? fallback : v[0];
    }

    private static double[] numbers(String text, int count) {
        if (text == null) {
            return null;
        }
        String[] parts = text.trim().split("\\\\");
        if (parts.length < count) {
            return null;
        }
        double[] v = new double[count];
        try {
            for (int i = 0; i < count; i++) {
                v[i] = Double.parseDouble(parts[i].trim());
                if (!Double.isFinite(v[i])) {
                    return null;
                }
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return v;
    }
}
