package io.github.samfiji.cli;

import io.github.samfiji.io.OutputFiles;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The output prefix and the overwrite permission shared by the subcommands that write several files. */
final class OutputOptions {

    @Option(names = "--out", required = true, paramLabel = "PREFIX", description = "output path prefix")
    Path out;

    @Option(names = "--overwrite", description = "replace existing output files")
    boolean overwrite;

    @Option(names = "--format", paramLabel = "tiff|nifti", description = "image outputs (labels, masks, logits, "
            + "probabilities) as TIFF or NIfTI (.nii.gz); default: NIfTI when the input is a NIfTI file or a DICOM "
            + "series folder, else TIFF")
    String format;

    /**
     * {@code PREFIX<suffix>} plus the image format's extension, e.g. {@code imageFile(".labels", input)} is
     * {@code PREFIX.labels.tif} or {@code PREFIX.labels.nii.gz}.
     */
    Path imageFile(String suffix, Path input) {
        boolean nifti;
        if (format == null) {
            String name = input.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            nifti = name.endsWith(".nii") || name.endsWith(".nii.gz") || name.endsWith(".hdr")
                    || java.nio.file.Files.isDirectory(input);
        } else {
            nifti = switch (format.toLowerCase(java.util.Locale.ROOT)) {
                case "tiff", "tif" -> false;
                case "nifti", "nii" -> true;
                default -> throw new IllegalArgumentException("--format must be tiff or nifti, got '" + format + "'");
            };
        }
        return file(suffix + (nifti ? ".nii.gz" : ".tif"));
    }

    /** {@code PREFIX<suffix>}, e.g. {@code file(".json")}. */
    Path file(String suffix) {
        return out.resolveSibling(out.getFileName() + suffix);
    }

    /** Refuses (before any work) when one of the outputs exists and overwriting was not asked for. */
    void requireWritable(Path... files) throws FileAlreadyExistsException {
        if (!overwrite) {
            OutputFiles.requireAbsent(files);
        }
    }
}
