package io.github.samfiji.imagejio;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.io.Opener;
import ij.process.FloatProcessor;
import io.github.samfiji.imagejio.medical.DicomSeries;
import io.github.samfiji.imagejio.medical.Nifti;
import io.github.samfiji.io.Memory;
import io.github.samfiji.io.OutputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Reads images: NIfTI volumes ({@code .nii}, {@code .nii.gz}, {@code .hdr}/{@code .img}) and DICOM (a single file, or
 * a folder holding one series) with sam-fiji's own readers ({@link Nifti}, {@link DicomSeries}); everything else
 * through ImageJ's opener (TIFF, PNG, JPEG, GIF, BMP, FITS, PGM), which inside Fiji also passes formats it does not
 * know to Fiji's HandleExtraFileTypes (Bio-Formats and other readers). Writes TIFF or NIfTI atomically.
 */
public final class ImageFiles {

    private ImageFiles() {
    }

    /** Opens an image file, or a folder holding one DICOM series. */
    public static ImagePlus open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            if (DicomSeries.looksLikeSeries(file)) {
                return DicomSeries.read(file);
            }
            throw new IOException(file + " is a folder without DICOM files; give an image file, or a folder holding"
                    + " one DICOM series");
        }
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (Nifti.isNiftiName(file) && (!file.toString().toLowerCase(Locale.ROOT).endsWith(".hdr")
                || Nifti.hasNiftiHeader(file))) {
            return Nifti.read(file); // an Analyze or ENVI .hdr goes on to ImageJ's (and Fiji's) readers
        }
        ImageHeaders.checkFits(file, Memory.freeHeap(false), () -> Memory.freeHeap(true));
        int type = new Opener().getFileType(file.toString());
        if (type == Opener.DICOM && !DicomSeries.isMultiFrame(file)) {
            // ImageJ's DICOM reader rescales through menu commands, which fail without a display.
            return DicomSeries.readFile(file);
        }
        String[] noise = new String[1];
        // For a type ImageJ calls UNKNOWN, its opener asks Fiji's HandleExtraFileTypes (Bio-Formats, ...), if any.
        ImagePlus image = quietly(() -> IJ.openImage(file.toString()), noise);
        if (image == null || image.getWidth() == 0) {
            throw new IOException("cannot read " + file + " as an image (supported: TIFF, PNG, JPEG, GIF, BMP, DICOM, "
                    + "NIfTI, FITS, PGM; other formats through Bio-Formats inside Fiji)"
                    + (noise[0] != null && type != Opener.UNKNOWN ? "; ImageJ says: " + noise[0] : ""));
        }
        return image;
    }

    /** Whether {@link #save} writes NIfTI for this name ({@code .nii}, {@code .nii.gz}). */
    public static boolean isNiftiName(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".nii") || name.endsWith(".nii.gz");
    }

    /**
     * Saves an image or stack in the format its name asks for: NIfTI for {@code .nii} / {@code .nii.gz} (8-bit,
     * 16-bit, 32-bit; see {@link Nifti#write}), TIFF for {@code .tif} / {@code .tiff}. Atomically; an existing file is
     * replaced only when {@code overwrite}.
     */
    public static void save(ImagePlus image, Path file, boolean overwrite) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (isNiftiName(file)) {
            Nifti.write(image, file, overwrite);
        } else if (name.endsWith(".tif") || name.endsWith(".tiff")) {
            saveTiff(image, file, overwrite);
        } else {
            throw new IOException("cannot choose a format for " + file.getFileName() + ": name it .tif, .nii or "
                    + ".nii.gz");
        }
    }

    /**
     * Headless, ImageJ's readers print their exceptions (whole stack traces) to the console before returning
     * nothing; that text is kept from the user, and its first line handed back for the one-line error.
     */
    private static ImagePlus quietly(java.util.function.Supplier<ImagePlus> open, String[] firstLine) {
        if (!java.awt.GraphicsEnvironment.isHeadless()) {
            return open.get();
        }
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream sink = new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8);
        System.setOut(sink);
        System.setErr(sink);
        try {
            return open.get();
        } finally {
            System.setOut(out);
            System.setErr(err);
            String text = captured.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
            if (!text.isEmpty()) {
                String line = text.lines().findFirst().orElse("").replaceAll("^[\\w.$]+(Exception|Error):\\s*", "");
                firstLine[0] = line.length() > 160 ? line.substring(0, 160) + "..." : line;
            }
        }
    }

    /** Saves an image or stack as TIFF; refuses to replace an existing file unless {@code overwrite}. */
    public static void saveTiff(ImagePlus image, Path file, boolean overwrite) throws IOException {
        OutputFiles.write(file, overwrite, temp -> {
            FileSaver saver = new FileSaver(image);
            boolean ok = image.getStackSize() > 1 ? saver.saveAsTiffStack(temp.toString()) : saver.saveAsTiff(temp.toString());
            if (!ok) {
                throw new IOException("could not write " + file);
            }
        });
    }

    /** A 32-bit stack with one slice per array, each width x height, row-major. */
    public static ImagePlus floatStack(String title, int width, int height, List<float[]> slices, List<String> labels) {
        ImageStack stack = new ImageStack(width, height);
        for (int i = 0; i < slices.size(); i++) {
            stack.addSlice(labels.get(i), new FloatProcessor(width, height, slices.get(i)));
        }
        return new ImagePlus(title, stack);
    }
}
