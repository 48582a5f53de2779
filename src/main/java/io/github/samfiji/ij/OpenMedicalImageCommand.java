package io.github.samfiji.ij;

import ij.ImagePlus;
import io.github.samfiji.imagejio.ImageFiles;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * Opens a NIfTI volume ({@code .nii}, {@code .nii.gz}) or a DICOM series (a folder of slices) with sam-fiji's own
 * readers, calibrated as the command line reads it; any other file goes through ImageJ's opener (in Fiji, its route
 * to Bio-Formats). Works without Fiji's NIfTI or Bio-Formats plugins, so macros behave the same everywhere.
 */
@Plugin(type = Command.class, label = "Open NIfTI or DICOM")
public class OpenMedicalImageCommand implements Command {

    @Parameter(label = "File or DICOM folder", style = "open",
            description = "a .nii or .nii.gz volume, a folder of DICOM slices, or any image ImageJ opens")
    File file;

    @Parameter(type = ItemIO.OUTPUT)
    ImagePlus image;

    @Override
    public void run() {
        if (file == null || file.getPath().isBlank()) {
            throw new IllegalArgumentException("no file given: choose a .nii/.nii.gz file or a DICOM folder");
        }
        try {
            image = ImageFiles.open(file.toPath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
