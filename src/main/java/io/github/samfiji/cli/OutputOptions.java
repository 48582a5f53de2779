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
