package io.github.samfiji.ij;

import ij.ImagePlus;
import io.github.samfiji.imagejio.ImageFiles;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * Saves the current image (a label volume, a probability map) as NIfTI ({@code .nii} or {@code .nii.gz}) with its
 * calibration, written atomically; an existing file is replaced only when asked.
 */
@Plugin(type = Command.class, label = "Save as NIfTI")
public class SaveNiftiCommand implements Command {

    @Parameter
    ImagePlus image;

    @Parameter(label = "NIfTI file", style = "save", description = "a .nii or .nii.gz file")
    File file;

    @Parameter(label = "Overwrite", description = "replace an existing file")
    boolean overwrite = false;

    @Override
    public void run() {
        if (file == null || file.getPath().isBlank()) {
            throw new IllegalArgumentException("no file given: choose a .nii or .nii.gz file to write");
        }
        if (!ImageFiles.isNiftiName(file.toPath())) {
            throw new IllegalArgumentException(file.getName() + " is not a NIfTI name: use .nii or .nii.gz");
        }
        try {
            ImageFiles.save(image, file.toPath(), overwrite);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
