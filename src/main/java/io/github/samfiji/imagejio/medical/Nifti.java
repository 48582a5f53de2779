package io.github.samfiji.imagejio.medical;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import io.github.samfiji.io.Memory;
import io.github.samfiji.io.OutputFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * NIfTI-1 and NIfTI-2 volumes ({@code .nii}, {@code .nii.gz}, and {@code .hdr}/{@code .img} pairs) as ImageJ
 * images, and label volumes and probability maps written back as NIfTI-1.
 *
 * <p><b>Orientation.</b> A volume is shown as radiology viewers (ITK-SNAP, DICOM viewers) show its axial view:
 * the voxel axes are permuted and flipped (never resampled) to the ones nearest to LPS+, so ImageJ x runs to the
 * patient's left (the patient's right is on the left of the screen), y runs to the back (anterior at the top), and
 * slice 1 is the lowest (inferior). A nibabel volume with a RAS+ affine therefore appears with x and y reversed
 * relative to its array; an LAS+ one (FSL's usual storage) with only y reversed. The orientation is read from the
 * sform when its code is set, else from the qform, else (no orientation) as LAS+, as nibabel does. A single plane
 * stays a plane (x and y are only flipped). The affine of the grid ImageJ holds (voxel to RAS+ world, in the
 * calibration's unit) is kept as the image property {@value #AFFINE_PROPERTY}, and writing uses it, so a label
 * volume made on this image overlays the original in any viewer; without it, the writer describes the ImageJ grid
 * by its calibration (x left, y posterior, z superior, origin from the calibration's origin).
 *
 * <p><b>Values.</b> Scaled data (scl_slope neither 0 nor 1 with intercept 0) and float data become 32-bit float
 * images holding the scaled values. Unscaled integers keep an ImageJ type when their values fit it: 8-bit types
 * with values 0 to 255 become 8-bit, any integer type with values 0 to 65535 becomes 16-bit, otherwise (e.g. int16
 * CT with negative values) 32-bit float, which holds every integer up to 2^24 exactly; larger values are refused.
 * (ImageJ's signed 16-bit calibration function was not chosen: sam-fiji's label and training code reads raw pixel
 * values, for which background would be 32768.) Voxel size comes from pixdim and xyzt_units (metres become mm,
 * micrometres stay µm, no unit is read as mm); a fourth axis becomes ImageJ frames.
 *
 * <p><b>Hostile files.</b> Sizes are checked against the file (uncompressed) or the bytes that arrive (gzip) and
 * against free memory before pixels are allocated; planes are allocated as their bytes arrive, and a gzip stream
 * that inflates past the size its header declares is refused.
 */
public final class Nifti {

    /** The ImageJ property holding the voxel-to-world affine (RAS+) of the grid ImageJ holds: 3 rows of 4. */
    public static final String AFFINE_PROPERTY = "NIfTI affine";
    /** The NIfTI xform code of that affine (1 scanner, 2 aligned, 3 Talairach, 4 MNI, 5 template). */
    public static final String AFFINE_CODE_PROPERTY = "NIfTI affine code";
    /** The grid (width, height, slices) the affine belongs to: a cropped or resized image no longer uses it. */
    public static final String GRID_PROPERTY = "NIfTI grid";

    /**
     * Gives {@code target} (e.g. a label image made from {@code source}) the source's calibration and world
     * position, so that it is written as NIfTI to overlay the source.
     */
    public static void copyGeometry(ImagePlus source, ImagePlus target) {
        target.setCalibration(source.getCalibration().copy());
        for (String key : new String[] {AFFINE_PROPERTY, AFFINE_CODE_PROPERTY, GRID_PROPERTY}) {
            String value = source.getProp(key);
            if (value != null) {
                target.setProp(key, value);
            }
        }
    }

    /** Records the affine of the grid ImageJ holds (3 rows of 4, voxel to RAS+ world) on the image. */
    static void setAffine(ImagePlus image, double[][] affine, int code) {
        StringBuilder text = new StringBuilder();
        for (double[] row : affine) {
            for (double v : row) {
                text.append(text.length() > 0 ? " " : "").append(v);
            }
        }
        image.setProp(AFFINE_PROPERTY, text.toString());
        image.setProp(AFFINE_CODE_PROPERTY, Integer.toString(code));
        image.setProp(GRID_PROPERTY, image.getWidth() + " " + image.getHeight() + " " + image.getNSlices());
    }

    private static final int NIFTI1_VOXEL_OFFSET = 352;

    private Nifti() {
    }

    /** Whether the name is one of a NIfTI file: {@code .nii}, {@code .nii.gz} or an Analyze-style {@code .hdr}. */
    public static boolean isNiftiName(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".nii") || name.endsWith(".nii.gz") || name.endsWith(".hdr");
    }

    /** Whether the file (gzipped or not) starts with a NIfTI-1 or NIfTI-2 header size, in either byte order. */
    public static boolean hasNiftiHeader(Path file) {
        try (InputStream in = open(file)) {
            byte[] head = in.readNBytes(4);
            if (head.length < 4) {
                return false;
            }
            for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                int size = ByteBuffer.wrap(head).order(order).getInt();
                if (size == NiftiHeader.NIFTI1_SIZE || size == NiftiHeader.NIFTI2_SIZE) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** The name without {@code .nii.gz}, {@code .nii} or {@code .hdr}. */
    public static String stem(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (String extension : new String[] {".nii.gz", ".nii", ".hdr"}) {
            if (lower.endsWith(extension) && lower.length() > extension.length()) {
                return name.substring(0, name.length() - extension.length());
            }
        }
        return name;
    }

    /** Reads a NIfTI volume; see the class comment for orientation, types and calibration. */
    public static ImagePlus read(Path file) throws IOException {
        return read(file, Memory.freeHeap(false), () -> Memory.freeHeap(true));
    }

    static ImagePlus read(Path file, long budget, LongSupplier afterCollection) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        try {
            return readChecked(file, budget, afterCollection);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(file.getFileName() + " is truncated or damaged: its gzip stream "
                    + (e instanceof java.io.EOFException ? "ends early" : "is corrupt (" + e.getMessage() + ")"));
        }
    }

    private static ImagePlus readChecked(Path file, long budget, LongSupplier afterCollection) throws IOException {
        String name = file.getFileName().toString();
        try (InputStream headerStream = open(file)) {
            byte[] head = headerStream.readNBytes(NiftiHeader.NIFTI2_SIZE);
            NiftiHeader h = new NiftiHeader(head, name);
            if (h.singleFile) {
                long fileSize = gzipped(file) ? -1 : Files.size(file);
                InputStream data;
                if (h.voxelOffset <= head.length) {
                    data = new SequenceInputStream(new ByteArrayInputStream(head, (int) h.voxelOffset,
                            head.length - (int) h.voxelOffset), headerStream);
                } else {
                    if (fileSize >= 0 && h.voxelOffset > fileSize) {
                        throw new IOException(name + " declares its voxels at byte " + h.voxelOffset
                                + ", beyond the end of the file (" + fileSize + " bytes): damaged or truncated");
                    }
                    skip(headerStream, h.voxelOffset - head.length, name);
                    data = headerStream;
                }
                return read(h, data, fileSize, budget, afterCollection, gzipped(file));
            }
            Path image = pairedImage(file);
            try (InputStream data = open(image)) {
                long fileSize = gzipped(image) ? -1 : Files.size(image);
                skip(data, h.voxelOffset, image.getFileName().toString());
                return read(h, data, fileSize, budget, afterCollection, gzipped(image));
            }
        }
    }

    private static Path pairedImage(Path header) throws IOException {
        String name = header.getFileName().toString();
        String stem = name.substring(0, name.length() - 4);
        for (String extension : new String[] {".img", ".IMG", ".img.gz"}) {
            Path candidate = header.resolveSibling(stem + extension);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new NoSuchFileException(header.resolveSibling(stem + ".img").toString(), null,
                "missing: the voxels of " + name + " (a NIfTI header without its image file)");
    }

    private static ImagePlus read(NiftiHeader h, InputStream data, long fileSize, long budget,
            LongSupplier afterCollection, boolean compressed) throws IOException {
        long voxels = h.voxelCount();
        long dataBytes = h.dataBytes();
        String described = describe(h);
        if (fileSize >= 0 && h.voxelOffset + dataBytes > fileSize) {
            throw new IOException(String.format(Locale.ROOT, "%s is truncated: its header declares %s, %d bytes from "
                    + "byte %d, but the file has %d bytes", h.file, described, dataBytes, h.voxelOffset, fileSize));
        }
        double[][] affine = h.affine();
        boolean singlePlane = h.size[2] == 1;
        Affines.Reorientation plan = Affines.toDisplay(affine, singlePlane);
        long[] out = new long[3];
        for (int a = 0; a < 3; a++) {
            out[plan.target()[a]] = h.size[a];
        }
        int outBytes = !h.scaled() && h.type == NiftiHeader.DataType.UINT8 ? 1
                : !h.scaled() && h.type == NiftiHeader.DataType.UINT16 ? 2 : 4;
        // While reading, the file's bytes and the image; afterwards the image and about as much again for the model
        // input and the outputs (as ImageHeaders counts for other formats).
        // In doubles: a NIfTI-2 header can declare sizes whose products overflow a long.
        double needed = Math.max((double) dataBytes + (double) voxels * outBytes, 2.0 * voxels * outBytes);
        if (needed > budget) {
            budget = afterCollection.getAsLong();
        }
        if (needed > budget) {
            throw new IOException(String.format(Locale.ROOT, "%s declares %s, which needs about %.1f GB of memory; "
                    + "%.1f GB are available to Java. Crop or downsample it first, or give Java more memory "
                    + "(SAMFIJI_JAVA_OPTS=-Xmx..., or Edit > Options > Memory in Fiji)", h.file, described,
                    needed / 1e9, budget / 1e9));
        }
        double planeBytes = (double) h.size[0] * h.size[1] * h.type.bytes;
        if ((double) out[0] * out[1] > Integer.MAX_VALUE - 8 || planeBytes > Integer.MAX_VALUE - 8
                || (double) out[2] * h.size[3] > Integer.MAX_VALUE - 8) {
            throw new IOException(h.file + " declares " + described + ", more than an ImageJ image holds (2^31 pixels"
                    + " a plane)");
        }
        int filePlanes = (int) (h.size[2] * h.size[3]);
        byte[][] raw = new byte[filePlanes][];
        long arrived = 0;
        for (int p = 0; p < filePlanes; p++) {
            // Allocated one plane at a time as bytes arrive, so a file that lies about its size costs little.
            byte[] plane = new byte[(int) planeBytes];
            int n = data.readNBytes(plane, 0, plane.length);
            arrived += n;
            if (n < plane.length) {
                throw new IOException(String.format(Locale.ROOT, "%s is truncated: its header declares %s (%d bytes "
                        + "of voxels) but only %d bytes %s", h.file, described, dataBytes, arrived,
                        compressed ? "inflate from it" : "follow its header"));
            }
            raw[p] = plane;
        }
        if (compressed && data.read() != -1) {
            throw new IOException(h.file + " inflates past the " + dataBytes + " bytes of voxels its header declares ("
                    + described + "): damaged or hostile file, refused");
        }
        return toImage(h, raw, plan, out, affine);
    }

    private static String describe(NiftiHeader h) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            if (i < 2 || h.size[i] > 1 || (i == 2 && h.size[3] > 1)) {
                s.append(s.length() > 0 ? " x " : "").append(h.size[i]);
            }
        }
        return s + " voxels of " + h.type.name().toLowerCase(Locale.ROOT);
    }

    private enum Kind { BYTE, SHORT, FLOAT }

    private static ImagePlus toImage(NiftiHeader h, byte[][] raw, Affines.Reorientation plan, long[] out,
            double[][] affine) throws IOException {
        int width = (int) out[0];
        int height = (int) out[1];
        int depth = (int) out[2];
        int frames = (int) h.size[3];
        int nx = (int) h.size[0];
        int ny = (int) h.size[1];
        int nz = (int) h.size[2];
        boolean scaled = h.scaled();
        Kind kind;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        if (scaled || h.type.floating) {
            kind = Kind.FLOAT;
        } else {
            for (byte[] plane : raw) {
                ByteBuffer b = ByteBuffer.wrap(plane).order(h.order);
                for (int i = 0, n = nx * ny; i < n; i++) {
                    double v = value(b, h.type, i);
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            if (min >= 0 && max <= 255 && h.type.bytes == 1) {
                kind = Kind.BYTE;
            } else if (min >= 0 && max <= 65535) {
                kind = Kind.SHORT;
            } else if (Math.max(-min, max) <= (1 << 24)) {
                kind = Kind.FLOAT;
            } else {
                throw new IOException(String.format(Locale.ROOT, "%s holds integers from %.0f to %.0f; beyond "
                        + "±16777216 a 32-bit float image cannot hold them exactly, so it is refused", h.file, min, max));
            }
        }
        // Where each file coordinate lands: its contribution to the pixel index within a plane, and to the plane.
        int[][] pixelStep = new int[3][];
        int[][] planeStep = new int[3][];
        for (int a = 0; a < 3; a++) {
            int n = (int) h.size[a];
            pixelStep[a] = new int[n];
            planeStep[a] = new int[n];
            for (int c = 0; c < n; c++) {
                int coordinate = plan.flip()[a] ? n - 1 - c : c;
                switch (plan.target()[a]) {
                    case 0 -> pixelStep[a][c] = coordinate;
                    case 1 -> pixelStep[a][c] = coordinate * width;
                    default -> planeStep[a][c] = coordinate;
                }
            }
        }
        Object[] planes = new Object[depth * frames];
        for (int p = 0; p < planes.length; p++) {
            planes[p] = switch (kind) {
                case BYTE -> new byte[width * height];
                case SHORT -> new short[width * height];
                case FLOAT -> new float[width * height];
            };
        }
        double slope = scaled ? h.slope : 1;
        double intercept = scaled && Double.isFinite(h.intercept) ? h.intercept : 0;
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < nz; k++) {
                int filePlane = t * nz + k;
                ByteBuffer b = ByteBuffer.wrap(raw[filePlane]).order(h.order);
                raw[filePlane] = null; // converted: its memory can go
                for (int j = 0; j < ny; j++) {
                    int pixelBase = pixelStep[2][k] + pixelStep[1][j];
                    int planeBase = t * depth + planeStep[2][k] + planeStep[1][j];
                    for (int i = 0; i < nx; i++) {
                        double v = value(b, h.type, j * nx + i);
                        Object target = planes[planeBase + planeStep[0][i]];
                        int at = pixelBase + pixelStep[0][i];
                        switch (kind) {
                            case BYTE -> ((byte[]) target)[at] = (byte) v;
                            case SHORT -> ((short[]) target)[at] = (short) v;
                            case FLOAT -> {
                                float f = (float) (v * slope + intercept);
                                ((float[]) target)[at] = f;
                                if (!Float.isNaN(f)) {
                                    min = Math.min(min, f);
                                    max = Math.max(max, f);
                                }
                            }
                        }
                    }
                }
            }
        }
        ImageStack stack = new ImageStack(width, height);
        for (Object pixels : planes) {
            ImageProcessor ip = switch (kind) {
                case BYTE -> new ByteProcessor(width, height, (byte[]) pixels);
                case SHORT -> new ShortProcessor(width, height, (short[]) pixels, null);
                case FLOAT -> new FloatProcessor(width, height, (float[]) pixels);
            };
            stack.addSlice(null, ip);
        }
        ImagePlus image = new ImagePlus(new java.io.File(h.file).getName(), stack);
        image.setDimensions(1, depth, frames);
        if (frames > 1) {
            image.setOpenAsHyperStack(true);
        }
        calibrate(image, h, plan, affine);
        if (kind != Kind.BYTE && min <= max) {
            image.setDisplayRange(min, max);
        }
        return image;
    }

    private static void calibrate(ImagePlus image, NiftiHeader h, Affines.Reorientation plan, double[][] affine) {
        double unitScale = h.millimetresPerUnit() == 1000 ? 1000 : 1; // metres are given in mm
        String unit = h.spaceUnits == 3 ? "µm" : "mm";
        Calibration cal = new Calibration(image);
        double[] spacing = new double[3];
        for (int a = 0; a < 3; a++) {
            spacing[plan.target()[a]] = h.spacing(a) * unitScale;
        }
        cal.pixelWidth = spacing[0];
        cal.pixelHeight = spacing[1];
        cal.pixelDepth = spacing[2];
        cal.setUnit(unit);
        if (h.size[3] > 1) {
            cal.frameInterval = h.spacing(3);
            cal.setTimeUnit(switch (h.timeUnits) {
                case 16 -> "ms";
                case 24 -> "µs";
                default -> "sec";
            });
        }
        double[][] grid = Affines.reoriented(affine, plan, h.size);
        for (double[] row : grid) {
            for (int c = 0; c < 4; c++) {
                row[c] *= unitScale;
            }
        }
        // The ImageJ origin (the pixel at world 0) exists only when the grid's axes are the world's.
        if (diagonal(grid)) {
            cal.xOrigin = -grid[0][3] / grid[0][0];
            cal.yOrigin = -grid[1][3] / grid[1][1];
            cal.zOrigin = -grid[2][3] / grid[2][2];
        }
        image.setCalibration(cal);
        setAffine(image, grid, h.sformCode > 0 ? h.sformCode : Math.max(h.qformCode, 1));
    }

    private static boolean diagonal(double[][] m) {
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                if (r != c && Math.abs(m[r][c]) > 1e-6 * Math.abs(m[c][c]) || r == c && m[r][c] == 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private static double value(ByteBuffer b, NiftiHeader.DataType type, int i) {
        return switch (type) {
            case UINT8 -> b.get(i) & 0xff;
            case INT8 -> b.get(i);
            case INT16 -> b.getShort(2 * i);
            case UINT16 -> b.getShort(2 * i) & 0xffff;
            case INT32 -> b.getInt(4 * i);
            case UINT32 -> b.getInt(4 * i) & 0xffffffffL;
            case INT64 -> b.getLong(8 * i);
            case UINT64 -> {
                long v = b.getLong(8 * i);
                yield v >= 0 ? v : v + 0x1p64;
            }
            case FLOAT32 -> b.getFloat(4 * i);
            case FLOAT64 -> b.getDouble(8 * i);
        };
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return gzipped(file) ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /** Gzip by content (its magic number), not by name: a {@code .nii} may be compressed and the reverse. */
    private static boolean gzipped(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(2);
            return magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
        }
    }

    private static void skip(InputStream in, long bytes, String name) throws IOException {
        long left = bytes;
        byte[] buffer = new byte[8192];
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException(name + " ends before the voxel offset its header declares (" + bytes
                        + " bytes): damaged or truncated");
            }
            left -= n;
        }
    }

    /**
     * The affine held in the image's properties, when it is there and still fits the image: the same grid size, the
     * calibration's voxel size, and (for an axis-aligned grid) its origin; not after a crop, a resize or a new
     * calibration.
     */
    static double[][] affineOf(ImagePlus image) {
        String text = image.getProp(AFFINE_PROPERTY);
        String grid = image.getWidth() + " " + image.getHeight() + " " + image.getNSlices();
        if (text == null || !grid.equals(image.getProp(GRID_PROPERTY))) {
            return null;
        }
        String[] parts = text.trim().split("[\\s;,]+");
        if (parts.length != 12) {
            return null;
        }
        double[][] m = new double[3][4];
        try {
            for (int i = 0; i < 12; i++) {
                m[i / 4][i % 4] = Double.parseDouble(parts[i]);
                if (!Double.isFinite(m[i / 4][i % 4])) {
                    return null;
                }
            }
        } catch (NumberFormatException e) {
            return null;
        }
        Calibration cal = image.getCalibration();
        double[] spacing = {cal.pixelWidth, cal.pixelHeight, cal.pixelDepth};
        for (int c = 0; c < 3; c++) {
            double n = Math.sqrt(m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]);
            if (Math.abs(n - Math.abs(spacing[c])) > 1e-4 * Math.max(n, 1e-9)) {
                return null;
            }
        }
        if (diagonal(m)) {
            double[] origin = {cal.xOrigin, cal.yOrigin, cal.zOrigin};
            for (int c = 0; c < 3; c++) {
                if (Math.abs(-m[c][3] / m[c][c] - origin[c]) > 1e-3) {
                    return null;
                }
            }
        }
        return m;
    }

    /**
     * Writes an 8-bit, 16-bit or 32-bit image or stack (z, and time as frames) as NIfTI-1, gzipped when the name
     * ends in {@code .gz}: 8-bit as uint8, 16-bit as uint16, 32-bit as float32 (a 16-bit image with a calibration
     * function, such as ImageJ's signed 16-bit one, as float32 of its calibrated values). Atomically; an existing
     * file is replaced only when {@code overwrite}.
     */
    public static void write(ImagePlus image, Path file, boolean overwrite) throws IOException {
        if (image.getNChannels() > 1) {
            throw new IOException("cannot write " + file.getFileName() + " as NIfTI: the image has "
                    + image.getNChannels() + " channels; write one channel (Image > Color > Split Channels)");
        }
        int width = image.getWidth();
        int height = image.getHeight();
        int depth = image.getNSlices();
        int frames = image.getNFrames();
        if (depth * frames != image.getStackSize()) {
            depth = image.getStackSize();
            frames = 1;
        }
        for (int n : new int[] {width, height, depth, frames}) {
            if (n > Short.MAX_VALUE) {
                throw new IOException("cannot write " + file.getFileName() + " as NIfTI-1: " + n + " pixels along one"
                        + " axis (at most 32767); write it as TIFF");
            }
        }
        ImageStack stack = image.getStack();
        Calibration cal = image.getCalibration();
        Object first = stack.getPixels(1);
        boolean function = first instanceof short[] && cal.calibrated();
        int datatype;
        int bytes;
        if (first instanceof byte[]) {
            if (image.getType() == ImagePlus.COLOR_256) {
                throw new IOException("cannot write " + file.getFileName() + " as NIfTI: it is an 8-bit colour "
                        + "(indexed) image; convert it to 8-bit grey first");
            }
            datatype = 2;
            bytes = 1;
        } else if (first instanceof short[] && !function) {
            datatype = 512;
            bytes = 2;
        } else if (first instanceof float[] || function) {
            datatype = 16;
            bytes = 4;
        } else {
            throw new IOException("cannot write " + file.getFileName() + " as NIfTI: it is an RGB image; labels and "
                    + "probability maps are written as 8-bit, 16-bit or 32-bit grey");
        }
        double[][] affine = affineOf(image);
        int code;
        if (affine == null) {
            affine = new double[][] {{-cal.pixelWidth, 0, 0, cal.pixelWidth * cal.xOrigin},
                {0, -cal.pixelHeight, 0, cal.pixelHeight * cal.yOrigin},
                {0, 0, cal.pixelDepth, -cal.pixelDepth * cal.zOrigin}};
            code = 1;
        } else {
            code = parseCode(image.getProp(AFFINE_CODE_PROPERTY));
        }
        ByteBuffer header = header(width, height, depth, frames, datatype, bytes * 8, cal, affine, code);
        boolean gzip = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
        OutputFiles.write(file, overwrite, temp -> {
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16);
                    OutputStream out = gzip ? fastGzip(raw) : raw) {
                out.write(header.array());
                ByteBuffer plane = ByteBuffer.allocate(width * height * bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int s = 1; s <= stack.getSize(); s++) {
                    plane.clear();
                    Object pixels = stack.getPixels(s);
                    if (pixels instanceof byte[] b) {
                        plane.put(b);
                    } else if (pixels instanceof short[] sh && !function) {
                        plane.asShortBuffer().put(sh);
                    } else if (pixels instanceof short[] sh) {
                        for (short v : sh) {
                            plane.putFloat((float) cal.getCValue(v & 0xffff));
                        }
                    } else {
                        plane.asFloatBuffer().put((float[]) pixels);
                    }
                    out.write(plane.array());
                }
            }
        });
    }

    /**
     * Gzip at the fastest level, as nibabel writes: the default level takes many times longer on float maps (tens of
     * seconds for a CT-sized volume) for a few percent smaller files.
     */
    private static OutputStream fastGzip(OutputStream raw) throws IOException {
        return new GZIPOutputStream(raw, 1 << 16) {
            {
                def.setLevel(java.util.zip.Deflater.BEST_SPEED);
            }
        };
    }

    private static int parseCode(String text) {
        try {
            int code = text == null ? 1 : Integer.parseInt(text.trim());
            return code >= 1 && code <= 5 ? code : 1;
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** A NIfTI-1 header (348 bytes and the 4-byte extension flag, all zero: no extensions). */
    private static ByteBuffer header(int width, int height, int depth, int frames, int datatype, int bitpix,
            Calibration cal, double[][] affine, int code) {
        ByteBuffer b = ByteBuffer.allocate(NIFTI1_VOXEL_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, NiftiHeader.NIFTI1_SIZE);
        b.put(38, (byte) 'r'); // "regular", as Analyze readers expect
        int axes = frames > 1 ? 4 : depth > 1 ? 3 : 2;
        short[] dim = {(short) axes, (short) width, (short) height, (short) depth, (short) frames, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, (short) datatype);
        b.putShort(72, (short) bitpix);
        double[] q = Affines.quaternion(affine);
        double[] pixdim = {q[3], Math.abs(cal.pixelWidth), Math.abs(cal.pixelHeight), Math.abs(cal.pixelDepth),
            frames > 1 && cal.frameInterval > 0 ? cal.frameInterval : 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putFloat(76 + 4 * i, (float) pixdim[i]);
        }
        b.putFloat(108, NIFTI1_VOXEL_OFFSET);
        b.putFloat(112, 1); // scl_slope 1, scl_inter 0: values as stored
        b.putFloat(116, 0);
        b.put(123, (byte) (spaceUnit(cal.getUnit()) | (frames > 1 ? timeUnit(cal.getTimeUnit()) : 0)));
        byte[] description = "sam-fiji".getBytes(StandardCharsets.US_ASCII);
        b.put(148, description);
        b.putShort(252, (short) code); // qform
        b.putShort(254, (short) code); // sform
        for (int i = 0; i < 3; i++) {
            b.putFloat(256 + 4 * i, (float) q[i]);
            b.putFloat(268 + 4 * i, (float) affine[i][3]);
            for (int j = 0; j < 4; j++) {
                b.putFloat(280 + 16 * i + 4 * j, (float) affine[i][j]);
            }
        }
        b.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1').put(347, (byte) 0);
        return b;
    }

    private static int spaceUnit(String unit) {
        return switch (unit == null ? "" : unit.toLowerCase(Locale.ROOT)) {
            case "mm", "millimeter", "millimetre" -> 2;
            case "µm", "um", "micron", "microns", "micrometer", "micrometre", "\u03bcm" -> 3;
            case "m", "meter", "metre" -> 1;
            default -> 0;
        };
    }

    private static int timeUnit(String unit) {
        return switch (unit == null ? "" : unit.toLowerCase(Locale.ROOT)) {
            case "ms", "msec" -> 16;
            case "µs", "us", "usec" -> 24;
            case "s", "sec", "second", "seconds" -> 8;
            default -> 0;
        };
    }
}
