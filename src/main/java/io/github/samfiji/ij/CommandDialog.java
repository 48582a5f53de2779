package io.github.samfiji.ij;

import ij.IJ;
import ij.ImagePlus;
import ij.Macro;
import ij.Prefs;
import ij.WindowManager;
import ij.gui.GenericDialog;
import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;

/**
 * Runs a SciJava command from ImageJ 1: its {@code @Parameter} fields are the single definition of the dialog.
 * ImageJ's GenericDialog then gives the Macro Recorder line and macro replay for free (options are keyed by the
 * first word of each label). The current image fills an {@code ImagePlus} input; image outputs are shown.
 * Values the user chose are remembered for the next dialog; a macro gets the fields' own defaults for options it
 * leaves out, so recorded macros replay the same everywhere.
 */
public final class CommandDialog {

    /** The message of the last error reported, for callers that need it (macro tests, batch summaries). */
    static volatile String lastError;

    private CommandDialog() {
    }

    /** Shows the dialog (or reads the macro options), runs the command; false when the user cancelled. */
    public static boolean run(Command command, String title) {
        // Decided before the dialog, which consumes the macro options.
        boolean fromMacro = Macro.getOptions() != null || IJ.isMacro() || ij.macro.Interpreter.getInstance() != null;
        try {
            if (!fill(command, title)) {
                return false;
            }
            command.run();
            showOutputs(command);
            return true;
        } catch (CancellationException e) {
            IJ.showStatus(title + ": cancelled");
            return false;
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            // The command line's words for the same failure (io.ErrorMessages); the trace goes to the Console only.
            String message = io.github.samfiji.io.ErrorMessages.describe(e);
            if (message.startsWith("unexpected internal problem")) {
                e.printStackTrace();
            }
            lastError = message;
            if (fromMacro) {
                // In a macro: no dialog to block an unattended batch; the message goes to the Log and the macro
                // stops (silently, as after Cancel) instead of carrying on with missing results.
                if (BatchErrors.collecting()) {
                    // A folder macro that reports this image's error itself and goes on with the next image.
                    BatchErrors.add(title + ": " + message);
                    return false;
                }
                IJ.log(title + ": " + message);
                BatchExit.fail(title + ": " + message);
                ij.macro.Interpreter interpreter = ij.macro.Interpreter.getInstance();
                if (interpreter != null) {
                    interpreter.abortMacro();
                } else {
                    Macro.abort();
                }
                return false;
            }
            IJ.error(title, message);
            return false;
        }
    }

    private static List<Field> inputs(Command command) {
        List<Field> out = new ArrayList<>();
        // The command's own fields first, then those it inherits (shared settings below the specific inputs).
        List<Field> fields = new ArrayList<>();
        for (Class<?> c = command.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            fields.addAll(List.of(c.getDeclaredFields()));
        }
        for (Field f : fields) {
            Parameter p = f.getAnnotation(Parameter.class);
            if (p != null && p.type() != ItemIO.OUTPUT && !Modifier.isStatic(f.getModifiers())) {
                f.setAccessible(true);
                out.add(f);
            }
        }
        return out;
    }

    static boolean fill(Command command, String title) {
        boolean macro = Macro.getOptions() != null;
        GenericDialog gd = new GenericDialog(title);
        List<Field> shown = new ArrayList<>();
        try {
            for (Field f : inputs(command)) {
                Parameter p = f.getAnnotation(Parameter.class);
                Class<?> type = f.getType();
                if (type == ImagePlus.class) {
                    ImagePlus current = WindowManager.getCurrentImage();
                    if (current == null) {
                        throw new IllegalArgumentException("no image is open: open the image to segment first");
                    }
                    f.set(command, current);
                    continue;
                }
                String label = p.label().isEmpty() ? f.getName() : p.label();
                String key = prefKey(command, f);
                Object initial = f.get(command);
                if (type == File.class) {
                    String value = macro ? pathOf(initial) : Prefs.get(key, pathOf(initial));
                    gd.addFileField(label, value);
                } else if (type == String.class && "image".equals(p.style())) {
                    // A choice of the open images, by title, then the parameter's other sources (e.g. "ROI
                    // Manager", "None"); the field's initial value is the default when it is one of them.
                    String[] titles = WindowManager.getImageTitles();
                    if (titles.length == 0) {
                        throw new IllegalArgumentException("no image is open: open the images to compare first");
                    }
                    List<String> items = new ArrayList<>(List.of(titles));
                    items.addAll(List.of(p.choices()));
                    gd.addChoice(label, items.toArray(new String[0]), items.contains(initial) ? (String) initial
                            : titles[0]);
                } else if (type == String.class && "models".equals(p.style())) {
                    // The installed models, after the choice of a separately given file.
                    List<String> names = new ArrayList<>(List.of(ModelFolder.FILE_BELOW));
                    names.addAll(ModelFolder.names());
                    String value = macro ? (String) initial : Prefs.get(key, (String) initial);
                    gd.addChoice(label, names.toArray(new String[0]), names.contains(value) ? value : names.get(0));
                } else if (type == String.class && p.choices().length > 0) {
                    String value = macro ? (String) initial : Prefs.get(key, (String) initial);
                    gd.addChoice(label, p.choices(), List.of(p.choices()).contains(value) ? value : p.choices()[0]);
                } else if (type == String.class) {
                    gd.addStringField(label, macro ? (String) initial : Prefs.get(key, (String) initial), 30);
                } else if (type == boolean.class) {
                    gd.addCheckbox(label, macro ? (Boolean) initial : Prefs.get(key, (Boolean) initial));
                } else if (type == int.class || type == double.class) {
                    double value = ((Number) initial).doubleValue();
                    gd.addNumericField(label, macro ? value : Prefs.get(key, value), type == int.class ? 0 : 3);
                } else {
                    throw new IllegalStateException("unsupported parameter type " + type + " of " + f.getName());
                }
                shown.add(f);
            }
            gd.showDialog();
            if (gd.wasCanceled()) {
                return false;
            }
            for (Field f : shown) {
                Parameter p = f.getAnnotation(Parameter.class);
                Class<?> type = f.getType();
                String key = prefKey(command, f);
                if (type == File.class) {
                    String path = gd.getNextString().trim();
                    f.set(command, path.isEmpty() ? null : new File(path));
                    Prefs.set(key, path);
                } else if (type == String.class && "image".equals(p.style())) {
                    f.set(command, gd.getNextChoice());
                } else if (type == String.class && ("models".equals(p.style()) || p.choices().length > 0)) {
                    String v = gd.getNextChoice();
                    f.set(command, v);
                    Prefs.set(key, v);
                } else if (type == String.class) {
                    String v = gd.getNextString();
                    f.set(command, v);
                    Prefs.set(key, v);
                } else if (type == boolean.class) {
                    boolean v = gd.getNextBoolean();
                    f.set(command, v);
                    Prefs.set(key, v);
                } else {
                    double v = gd.getNextNumber();
                    if (Double.isNaN(v)) {
                        throw new IllegalArgumentException(p.label() + " must be a number");
                    }
                    check(p, v);
                    f.set(command, type == int.class ? (Object) (int) Math.round(v) : (Object) v);
                    Prefs.set(key, v);
                }
            }
            return true;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(Parameter p, double v) {
        if (!p.min().isEmpty() && v < Double.parseDouble(p.min())) {
            throw new IllegalArgumentException(p.label() + " must be at least " + p.min());
        }
        if (!p.max().isEmpty() && v > Double.parseDouble(p.max())) {
            throw new IllegalArgumentException(p.label() + " must be at most " + p.max());
        }
    }

    private static void showOutputs(Command command) {
        for (Field f : command.getClass().getDeclaredFields()) {
            Parameter p = f.getAnnotation(Parameter.class);
            if (p != null && p.type() == ItemIO.OUTPUT && f.getType() == ImagePlus.class) {
                try {
                    f.setAccessible(true);
                    ImagePlus out = (ImagePlus) f.get(command);
                    if (out != null) {
                        out.show();
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private static String prefKey(Command command, Field f) {
        return "samfiji." + command.getClass().getSimpleName() + "." + f.getName();
    }

    private static String pathOf(Object file) {
        return file == null ? "" : file.toString();
    }
}
