package io.github.samfiji.ij;


import ij.IJ;
import ij.Menus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test set-up for macro tests (classes marked NeedsDisplay: ImageJ 1's menus need one; .ci/run starts Xvfb),
 * and in a test ImageJ has read no plugins folder, so our entries of plugins.config are registered as Menus would.
 */
final class ImageJMenus {

    private static final Pattern ENTRY = Pattern.compile("^[^#].*?,\\s*\"([^\"]+)\",\\s*([\\w.]+)");

    private ImageJMenus() {
    }

    static void registerCommands() {
        IJ.run("Close All");
        @SuppressWarnings("unchecked")
        Hashtable<String, String> commands = Menus.getCommands();
        try {
            for (String line : Files.readAllLines(Path.of("plugins.config"))) {
                Matcher m = ENTRY.matcher(line);
                if (m.find()) {
                    commands.put(m.group(1), m.group(2));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Closes every image, batch-mode ones included, and leaves batch mode: a macro run without an ImageJ window ends
     * in batch mode, where images shown later get no window and stay listed for the next test.
     */
    static void closeEverything() {
        int[] ids = ij.WindowManager.getIDList();
        if (ids != null) {
            for (int id : ids) {
                ij.ImagePlus image = ij.WindowManager.getImage(id);
                if (image != null) {
                    image.changes = false;
                    image.close();
                }
            }
        }
        ij.WindowManager.closeAllWindows();
        ij.macro.Interpreter.batchMode = false;
    }
}
