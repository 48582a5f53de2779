package io.github.samfiji.ij;

import ij.IJ;
import ij.Prefs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The folder of installed models: {@code models/} inside the ImageJ/Fiji folder, or the folder set in the
 * preference {@code samfiji.models.folder}. Model files are .pth, .pt and .safetensors (with an optional JSON of
 * the same name beside them).
 */
public final class ModelFolder {

    public static final String PREF = "samfiji.models.folder";
    /** The choice meaning "use the model file given separately". */
    public static final String FILE_BELOW = "(model file below)";

    private ModelFolder() {
    }

    public static Path folder() {
        String configured = Prefs.get(PREF, "");
        if (!configured.isBlank()) {
            return Path.of(configured);
        }
        String imagej = IJ.getDirectory("imagej");
        return imagej != null ? Path.of(imagej, "models") : Path.of(System.getProperty("user.home"), ".sam-fiji", "models");
    }

    /** File names of the installed models, sorted; empty when the folder does not exist. */
    public static List<String> names() {
        Path dir = folder();
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(ModelFolder::isModel).sorted().forEach(out::add);
        } catch (IOException e) {
            IJ.log("sam-fiji: cannot list the models folder " + dir + ": " + e.getMessage());
        }
        return out;
    }

    static boolean isModel(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".pth") || n.endsWith(".pt") || n.endsWith(".safetensors");
    }

    public static Path resolve(String name) throws NoSuchFileException {
        Path file = folder().resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "installed model not found in " + folder());
        }
        return file;
    }

    /**
     * The model file a command should load: the installed model chosen by name, else the file given; a clear error
     * when neither exists.
     */
    public static java.io.File chosen(String installed, java.io.File file) {
        java.io.File model = file;
        if (installed != null && !installed.equals(FILE_BELOW)) {
            try {
                model = resolve(installed).toFile();
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(installed + ": " + e.getReason(), e);
            }
        }
        if (model == null || !model.isFile()) {
            throw new IllegalArgumentException(model == null ? "choose a model file"
                    : "model file not found: " + model + " (download a SAM checkpoint or see Plugins > Segment Anything > Models...)");
        }
        return model;
    }
}
