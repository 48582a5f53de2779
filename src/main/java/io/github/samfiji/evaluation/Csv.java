package io.github.samfiji.evaluation;

import java.util.ArrayList;
import java.util.List;

/** Comma-separated values as RFC 4180 writes them: fields with commas, quotes or line breaks are quoted. */
public final class Csv {

    private Csv() {
    }

    /**
     * A number as a cell: empty for NaN and infinities (undefined), integers without a decimal point, others in
     * the shortest form that reads back to the same double.
     */
    public static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    /** A text cell, quoted when needed. */
    public static String text(String value) {
        if (value == null) {
            return "";
        }
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    /** A cell read back as a number; empty is NaN. */
    public static double parseNumber(String cell, String where) {
        String trimmed = cell.trim();
        if (trimmed.isEmpty()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(trimmed);
        } catch (NumberFormatException e) {
            throw new EvaluationException(where + ": '" + cell + "' is not a number");
        }
    }

    /** Splits one line into cells, honouring quotes (fields do not span lines here). */
    public static List<String> split(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        cells.add(cell.toString());
        return cells;
    }
}
