package io.github.samfiji.cli;

import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.evaluation.EvaluationException;
import io.github.samfiji.evaluation.NameMatching;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Files and folders given on the command line of evaluate and compare. */
final class InputFiles {

    private InputFiles() {
    }

    /** The regular, non-hidden files of a folder, and its DICOM series sub-folders (one volume each), by name. */
    static List<Path> list(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new NoSuchFileException(folder.toString(), null, "is not a folder");
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> Files.isRegularFile(f) || Files.isDirectory(f) && isDicomSeries(f))
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        }
    }

    private static boolean isDicomSeries(Path folder) {
        try {
            return io.github.samfiji.imagejio.medical.DicomSeries.looksLikeSeries(folder);
        } catch (IOException e) {
            return false;
        }
    }

    /** Files of a folder by name stem (two files with one stem are an error). */
    static Map<String, Path> byStem(String role, Path folder) throws IOException {
        Map<String, Path> map = new TreeMap<>();
        for (Path file : list(folder)) {
            Path previous = map.put(NameMatching.stem(file.getFileName().toString()), file);
            if (previous != null) {
                throw new EvaluationException(role + " files '" + previous.getFileName() + "' and '"
                        + file.getFileName() + "' have the same name stem, so it is unclear which to use; keep one");
            }
        }
        return map;
    }

    /** Whether a path names an existing folder; a missing path is an error naming its role. */
    static boolean isFolder(String role, Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, role + " not found");
        }
        return Files.isDirectory(path);
    }

    /** Names joined for a message, at most {@code limit} of them. */
    static String names(List<String> names, int limit) {
        if (names.size() <= limit) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, limit)) + " and " + (names.size() - limit) + " more";
    }

    /** Prints one warning line per unmatched file. */
    static void reportUnmatched(PrintWriter err, List<String> names, String role, String missing) {
        for (String name : names) {
            err.println("warning: " + role + " '" + name + "' has no " + missing + " with the same name; skipped");
        }
    }

    /** Writes atomically and never replaces a file unless asked (see {@link OutputFiles}). */
    static void writeAtomically(Path file, boolean overwrite, IoWriter writer) throws IOException {
        OutputFiles.write(file, overwrite, writer::write);
    }

    /** Writes a file. */
    interface IoWriter {
        void write(Path file) throws IOException;
    }
}
