package io.github.samfiji.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a checkpoint's tensors compare with the parameters a model expects, like the result of PyTorch's
 * {@code load_state_dict(strict=True)}: missing keys, unexpected keys and shape mismatches.
 */
public final class LoadReport {

    /** Entries listed per category in {@link #throwIfIncompatible}'s message before "... and N more". */
    static final int MAX_LISTED = 10;

    /** A key present in both with different shapes. */
    public record ShapeMismatch(String key, long[] expected, long[] found) {
        public ShapeMismatch {
            Objects.requireNonNull(key);
            expected = expected.clone();
            found = found.clone();
        }

        @Override
        public long[] expected() {
            return expected.clone();
        }

        @Override
        public long[] found() {
            return found.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ShapeMismatch m && key.equals(m.key) && Arrays.equals(expected, m.expected)
                    && Arrays.equals(found, m.found);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * key.hashCode() + Arrays.hashCode(expected)) + Arrays.hashCode(found);
        }

        @Override
        public String toString() {
            return key + " expected " + Arrays.toString(expected) + " but checkpoint has " + Arrays.toString(found);
        }
    }

    private final int expectedCount;
    private final List<String> missing;
    private final List<String> unexpected;
    private final List<ShapeMismatch> mismatches;

    /**
     * Compares {@code expected} (parameter name → shape, in the model's order) with the tensors of
     * {@code checkpoint}. Missing keys and mismatches come in the model's order, unexpected keys in the checkpoint's.
     */
    public LoadReport(Map<String, long[]> expected, StateDict checkpoint) {
        this(expected, checkpoint.shapes());
    }

    /** As {@link #LoadReport(Map, StateDict)}, given the checkpoint's name → shape. */
    public LoadReport(Map<String, long[]> expected, Map<String, long[]> found) {
        List<String> miss = new ArrayList<>();
        List<ShapeMismatch> wrong = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            long[] f = found.get(e.getKey());
            if (f == null) {
                miss.add(e.getKey());
            } else if (!Arrays.equals(e.getValue(), f)) {
                wrong.add(new ShapeMismatch(e.getKey(), e.getValue(), f));
            }
        }
        List<String> extra = new ArrayList<>();
        for (String key : found.keySet()) {
            if (!expected.containsKey(key)) {
                extra.add(key);
            }
        }
        this.expectedCount = expected.size();
        this.missing = List.copyOf(miss);
        this.unexpected = List.copyOf(extra);
        this.mismatches = List.copyOf(wrong);
    }

    /** Keys the model expects and the checkpoint lacks. */
    public List<String> missing() {
        return missing;
    }

    /** Keys in the checkpoint that the model does not have. */
    public List<String> unexpected() {
        return unexpected;
    }

    public List<ShapeMismatch> mismatches() {
        return mismatches;
    }

    /** True when every expected key is present with its shape and there is nothing else. */
    public boolean isExact() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatches.isEmpty();
    }

    /**
     * Raises an error listing the problems unless the checkpoint {@link #isExact() fits exactly}.
     *
     * @param what what was being loaded, e.g. {@code "'sam_vit_b_01ec64.pth' as SAM ViT-B"}
     */
    public void throwIfIncompatible(String what) throws CheckpointException {
        if (isExact()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(what).append(" does not fit the model: ").append(summary()).append('.');
        if (missing.size() == expectedCount && expectedCount > 0) {
            sb.append(" None of the model's weights are in the checkpoint.");
        }
        list(sb, MAX_LISTED);
        sb.append("\nCheck that the checkpoint was made for the chosen model type "
                + "(e.g. a ViT-B checkpoint for SAM ViT-B, vit_t for MobileSAM).");
        throw new CheckpointException(sb.toString());
    }

    private String summary() {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add(missing.size() + " missing");
        }
        if (!unexpected.isEmpty()) {
            parts.add(unexpected.size() + " unexpected");
        }
        if (!mismatches.isEmpty()) {
            parts.add(mismatches.size() + (mismatches.size() == 1 ? " shape mismatch" : " shape mismatches"));
        }
        return String.join(", ", parts);
    }

    private void list(StringBuilder sb, int max) {
        appendAll(sb, "missing: ", missing, max, "missing keys");
        appendAll(sb, "unexpected: ", unexpected, max, "unexpected keys");
        appendAll(sb, "shape mismatch: ", mismatches, max, "shape mismatches");
    }

    private static void appendAll(StringBuilder sb, String label, List<?> items, int max, String plural) {
        int shown = Math.min(items.size(), max);
        for (int i = 0; i < shown; i++) {
            sb.append("\n  ").append(label).append(items.get(i));
        }
        if (items.size() > shown) {
            sb.append("\n  ... and ").append(items.size() - shown).append(" more ").append(plural);
        }
    }

    /** A summary followed by every problem, one per line. */
    @Override
    public String toString() {
        if (isExact()) {
            return "checkpoint matches the model exactly (" + expectedCount + " tensors)";
        }
        StringBuilder sb = new StringBuilder("checkpoint does not match the model: ").append(summary());
        list(sb, Integer.MAX_VALUE);
        return sb.toString();
    }
}
