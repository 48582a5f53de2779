package io.github.samfiji.ij;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.io.Opener;
import ij.process.FloatProcessor;
import io.github.samfiji.io.OutputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads images through ImageJ's opener (TIFF, PNG, JPEG, DICOM, ...; inside Fiji also Bio-Formats formats) and
 * writes TIFFs atomically.
 */
public final class ImageFiles {

    private ImageFiles() {
    }

    public static ImagePlus open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        int type = new Opener().getFileType(file.toString());
        ImagePlus image = type == Opener.UNKNOWN ? null : IJ.openImage(file.toString());
        if (image == null) {
            throw new IOException("cannot read " + file + " as an image (supported: TIFF, PNG, JPEG, GIF, BMP, DICOM, "
                    + "FITS, PGM; other formats through Bio-Formats inside Fiji)");
        }
        return image;
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
