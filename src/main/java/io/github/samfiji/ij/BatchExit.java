package io.github.samfiji.ij;

import ij.IJ;
import ij.ImageJ;

/**
 * Failing with a non-zero exit status when ImageJ runs a macro from the command line ({@code ImageJ -batch}),
 * where ImageJ itself would exit with 0 after any error. Elsewhere (Fiji's GUI, tests) nothing exits.
 */
public final class BatchExit {

    private BatchExit() {
    }

    /** True when this JVM is ImageJ started with -batch on the command line. */
    public static boolean isCommandLineBatch() {
        String[] args = ImageJ.getArgs();
        if (args == null || IJ.getInstance() != null) {
            return false;
        }
        for (String a : args) {
            if ("-batch".equals(a)) {
                return true;
            }
        }
        return false;
    }

    /** For macros: {@code call("io.github.samfiji.ij.BatchExit.fail", message)}; exits with 1 under -batch. */
    public static String fail(String message) {
        if (isCommandLineBatch()) {
            System.err.println(message);
            System.exit(1);
        }
        return message;
    }
}
