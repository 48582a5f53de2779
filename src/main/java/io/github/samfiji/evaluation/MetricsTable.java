package io.github.samfiji.evaluation;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Per-image results and their summary, as a table: the columns {@code image}, {@code label} (absent from
 * instance tables) and the metrics. Written as CSV: one row per image and label in the order added, then per
 * label (ascending) the summary rows whose {@code image} is {@code mean}, {@code sd}, {@code median},
 * {@code ci95_low}, {@code ci95_high} (see {@link SummaryStatistics}). Undefined values are empty cells.
 */
public final class MetricsTable {

    /** The names of the summary rows, in order. */
    public static final List<String> SUMMARY_ROWS = List.of("mean", "sd", "median", "ci95_low", "ci95_high");

    private final boolean labelled;
    private final List<String> valueColumns;
    private final List<Row> rows = new ArrayList<>();
    private final Set<String> keys = new HashSet<>();

    /**
     * One row.
     *
     * @param image the image name (or the summary statistic's name)
     * @param label the label, or null in an instance table
     * @param values the metrics, in the order of the table's value columns
     */
    public record Row(String image, Integer label, double[] values) {

        public Row {
            Objects.requireNonNull(image, "image");
            values = values.clone();
        }

        @Override
        public double[] values() {
            return values.clone();
        }

        public double value(int column) {
            return values[column];
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Row r && r.image.equals(image) && Objects.equals(r.label, label)
                    && Arrays.equals(r.values, values);
        }

        @Override
        public int hashCode() {
            return Objects.hash(image, label, Arrays.hashCode(values));
        }

        @Override
        public String toString() {
            return image + (label == null ? "" : "/" + label) + Arrays.toString(values);
        }
    }

    /**
     * An empty table.
     *
     * @param labelled whether rows carry a label
     * @param valueColumns the metric columns
     */
    public MetricsTable(boolean labelled, List<String> valueColumns) {
        if (valueColumns.isEmpty() || valueColumns.contains("image") || valueColumns.contains("label")) {
            throw new IllegalArgumentException("bad metric columns " + valueColumns);
        }
        this.labelled = labelled;
        this.valueColumns = List.copyOf(valueColumns);
    }

    /** The table of {@link SegmentationMetrics}: image, label, dice, iou, ..., assd. */
    public static MetricsTable segmentation() {
        return new MetricsTable(true, LabelMetrics.COLUMNS);
    }

    /** The table of {@link InstanceMetrics}: image, n_truth, ..., mean_matched_iou. */
    public static MetricsTable instances() {
        return new MetricsTable(false, InstanceMetrics.COLUMNS);
    }

    public boolean labelled() {
        return labelled;
    }

    public List<String> valueColumns() {
        return valueColumns;
    }

    /** All columns, as in the CSV header. */
    public List<String> columns() {
        List<String> all = new ArrayList<>();
        all.add("image");
        if (labelled) {
            all.add("label");
        }
        all.addAll(valueColumns);
        return all;
    }

    public void add(String image, LabelMetrics metrics) {
        add(image, metrics.label(), metrics.values());
    }

    public void add(String image, InstanceMetrics.Result result) {
        add(image, null, result.values());
    }

    /** Adds a row; an image (and label) may appear once. */
    public void add(String image, Integer label, double[] values) {
        if (labelled != (label != null)) {
            throw new IllegalArgumentException(labelled ? "rows of this table need a label" : "this table has no label");
        }
        if (values.length != valueColumns.size()) {
            throw new IllegalArgumentException(values.length + " values for " + valueColumns.size() + " columns");
        }
        if (SUMMARY_ROWS.contains(image)) {
            throw new EvaluationException("an image may not be called '" + image + "': the name is kept for the"
                    + " summary rows");
        }
        String key = image + "\u0000" + label;
        if (!keys.add(key)) {
            throw new EvaluationException("image '" + image + "'" + (label == null ? "" : " label " + label)
                    + " appears twice");
        }
        rows.add(new Row(image, label, values));
    }

    /** The per-image rows, in the order added. */
    public List<Row> rows() {
        return Collections.unmodifiableList(rows);
    }

    /** The labels present, ascending (a single null in an instance table). */
    public List<Integer> labels() {
        if (!labelled) {
            return Collections.singletonList(null);
        }
        TreeSet<Integer> labels = new TreeSet<>();
        for (Row row : rows) {
            labels.add(row.label());
        }
        return new ArrayList<>(labels);
    }

    /** Values of one column for one label (null in an instance table), in row order, keyed by image. */
    public Map<String, Double> column(String name, Integer label) {
        int c = valueColumns.indexOf(name);
        if (c < 0) {
            throw new EvaluationException("the table has no column '" + name + "' (columns: " + columns() + ")");
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (Row row : rows) {
            if (Objects.equals(row.label(), label)) {
                values.put(row.image(), row.value(c));
            }
        }
        return values;
    }

    /** The summary rows: for each label, mean, sd, median, ci95_low, ci95_high of every column. */
    public List<Row> summary(int resamples, long seed) {
        List<Row> summary = new ArrayList<>();
        for (Integer label : labels()) {
            double[][] stats = new double[SUMMARY_ROWS.size()][valueColumns.size()];
            for (int c = 0; c < valueColumns.size(); c++) {
                double[] values = column(valueColumns.get(c), label).values().stream().mapToDouble(Double::doubleValue)
                        .toArray();
                SummaryStatistics.Summary s = SummaryStatistics.of(values, resamples, seed);
                stats[0][c] = s.mean();
                stats[1][c] = s.sd();
                stats[2][c] = s.median();
                stats[3][c] = s.ciLow();
                stats[4][c] = s.ciHigh();
            }
            for (int r = 0; r < SUMMARY_ROWS.size(); r++) {
                summary.add(new Row(SUMMARY_ROWS.get(r), label, stats[r]));
            }
        }
        return summary;
    }

    /** Writes the header, the rows and the summary rows. */
    public void write(Writer out, int resamples, long seed) throws IOException {
        out.write(String.join(",", columns()));
        out.write('\n');
        List<Row> all = new ArrayList<>(rows);
        if (!rows.isEmpty()) {
            all.addAll(summary(resamples, seed));
        }
        StringBuilder line = new StringBuilder();
        for (Row row : all) {
            line.setLength(0);
            line.append(Csv.text(row.image()));
            if (labelled) {
                line.append(',').append(row.label());
            }
            for (double v : row.values) {
                line.append(',').append(Csv.number(v));
            }
            line.append('\n');
            out.write(line.toString());
        }
        out.flush();
    }

    /** Writes the table to a file (replacing it). */
    public void write(Path file, int resamples, long seed) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(out, resamples, seed);
        }
    }

    /** Reads a table written by {@link #write}, leaving out its summary rows. */
    public static MetricsTable read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.getFileName().toString());
        }
    }

    /**
     * Reads a table written by {@link #write}, leaving out its summary rows.
     *
     * @param source a name for messages
     */
    public static MetricsTable read(Reader in, String source) throws IOException {
        BufferedReader reader = new BufferedReader(in);
        String header = reader.readLine();
        if (header == null) {
            throw new EvaluationException(source + " is empty; expected a results table from evaluate");
        }
        if (header.startsWith("\ufeff")) {
            header = header.substring(1);
        }
        List<String> columns = Csv.split(header);
        if (columns.isEmpty() || !columns.get(0).trim().equals("image")) {
            throw new EvaluationException(source + " does not start with an 'image' column; expected a results table"
                    + " from evaluate");
        }
        boolean labelled = columns.size() > 1 && columns.get(1).trim().equals("label");
        int first = labelled ? 2 : 1;
        List<String> valueColumns = new ArrayList<>();
        for (String c : columns.subList(first, columns.size())) {
            valueColumns.add(c.trim());
        }
        if (valueColumns.isEmpty()) {
            throw new EvaluationException(source + " has no metric columns");
        }
        MetricsTable table = new MetricsTable(labelled, valueColumns);
        String line;
        int number = 1;
        while ((line = reader.readLine()) != null) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            List<String> cells = Csv.split(line);
            String where = source + " line " + number;
            if (cells.size() != columns.size()) {
                throw new EvaluationException(where + " has " + cells.size() + " cells but the header has "
                        + columns.size());
            }
            String image = cells.get(0);
            if (SUMMARY_ROWS.contains(image)) {
                continue;
            }
            Integer label = null;
            if (labelled) {
                double l = Csv.parseNumber(cells.get(1), where);
                if (Double.isNaN(l) || l != Math.rint(l)) {
                    throw new EvaluationException(where + ": the label '" + cells.get(1) + "' is not an integer");
                }
                label = (int) l;
            }
            double[] values = new double[valueColumns.size()];
            for (int c = 0; c < values.length; c++) {
                values[c] = Csv.parseNumber(cells.get(first + c), where + " column " + valueColumns.get(c));
            }
            table.add(image, label, values);
        }
        return table;
    }
}
