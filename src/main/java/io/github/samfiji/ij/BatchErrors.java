package io.github.samfiji.ij;

import ij.IJ;
import ij.ImagePlus;
import ij.macro.Interpreter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import io.github.samfiji.imagejio.LabelImageFiles;

/**
 * Per-image errors of a folder macro, so that one bad image does not end the batch: while a macro collects
 * errors, a sam-fiji command that fails logs its message and keeps it here instead of stopping the macro, and the
 * macro asks for it after each image. Images and ROI sets are opened through here so that an unreadable file gives
 * a message, not an ImageJ error that aborts the macro. Every method is for {@code call(...)} from a macro.
 * Collecting belongs to the macro that turned it on: another macro (or a later one) is not affected.
 */
public final class BatchErrors {

    /** The macro interpreter that collects errors, or null. */
    private static volatile Interpreter collector;
    private static volatile String pending;

    private BatchErrors() {
    }

    /** {@code call("io.github.samfiji.ij.BatchErrors.collect", "true"|"false")}: starts or ends collecting. */
    public static String collect(String on) {
        collector = "true".equalsIgnoreCase(on) ? Interpreter.getInstance() : null;
        pending = null;
        return "";
    }

    /** Whether the running macro collects errors (then a failing command must not stop it). */
    static boolean collecting() {
        Interpreter running = Interpreter.getInstance();
        return running != null && running == collector;
    }

    /** Keeps a command's error for {@link #take()}. */
    static void add(String message) {
        pending = message;
    }

    /** The error of the last failing command since the previous call, or "" when there was none. */
    public static String take() {
        String message = pending;
        pending = null;
        return message == null ? "" : message;
    }

    /**
     * Opens an image as the macro's {@code open} would (in Fiji also through Bio-Formats) and makes it the current
     * one (in batch mode, without a window); returns "" or why it could not be read. ImageJ's own error messages
     * about the file go to the Log instead of a dialog and do not abort the macro.
     */
    public static String open(String path) {
        Path file = Path.of(path);
        if (!Files.isRegularFile(file) && !Files.isDirectory(file)) {
            return "file not found: " + path;
        }
        IJ.redirectErrorMessages(true);
        try {
            // The command line's opener: NIfTI, DICOM series folders, header checks, then ImageJ's and Fiji's readers.
            ImagePlus image = io.github.samfiji.imagejio.ImageFiles.open(file);
            image.show();
            return "";
        } catch (java.io.IOException | IllegalArgumentException e) {
            return io.github.samfiji.io.ErrorMessages.describe(e);
        } catch (RuntimeException e) {
            return "cannot read " + file.getFileName() + " as an image: "
                    + (e.getMessage() == null ? e.toString() : e.getMessage());
        } finally {
            IJ.redirectErrorMessages(false);
        }
    }

    /** Checks that a ROI set (RoiSet.zip or .roi) can be read; returns "" or why not. */
    public static String checkRois(String path) {
        try {
            LabelImageFiles.readRois(Path.of(path));
            return "";
        } catch (NoSuchFileException e) {
            return "file not found: " + path;
        } catch (Exception e) {
            return "cannot read the ROI set " + Path.of(path).getFileName() + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }
}
