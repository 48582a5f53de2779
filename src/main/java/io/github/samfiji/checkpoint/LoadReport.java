package io.github.samfiji.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** How a checkpoint's tensors compare with what a model expects: missing, unexpected and mis-shaped tensors. */
public record LoadReport(List<String> missing, List<String> unexpected, List<String> shapeMismatches) {

    private static final int SHOWN = 12;

    public static LoadReport compare(Map<String, long[]> expected, StateDict state) {
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            TensorData t = state.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(e.getValue(), t.shape())) {
                mismatched.add(e.getKey() + " expected " + Arrays.toString(e.getValue()) + " but the checkpoint has "
                        + Arrays.toString(t.shape()));
            }
        }
        List<String> unexpected = state.keys().stream().filter(k -> !expected.containsKey(k)).toList();
        return new LoadReport(missing, unexpected, mismatched);
    }

    public boolean isExact() {
        return missing.isEmpty() && unexpected.isEmpty() && shapeMismatches.isEmpty();
    }

    public void throwIfIncompatible(String what) throws CheckpointException {
        if (!isExact()) {
            throw new CheckpointException(what + " does not fit this model architecture (is it another SAM variant? "
                    + "give the right --config):\n" + this);
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        list(b, "missing", missing);
        list(b, "unexpected", unexpected);
        list(b, "shape mismatch", shapeMismatches);
        return b.length() == 0 ? "all tensors match" : b.toString().trim();
    }

    private static void list(StringBuilder b, String label, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        b.append(label).append(" (").append(items.size()).append("):\n");
        items.stream().limit(SHOWN).forEach(i -> b.append("  ").append(i).append('\n'));
        if (items.size() > SHOWN) {
            b.append("  ... and ").append(items.size() - SHOWN).append(" more\n");
        }
    }
}
