package io.github.samfiji.training;

import io.github.samfiji.model.Param;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trained tensors of a run by name, in the order the optimizer keeps its state: copies of their values, and the
 * conversions between name-keyed values (as a training state file stores them) and the optimizer's ordered lists.
 * Every trainer (fine-tuning of either family, pre-training) uses these, so a state file means the same to all.
 */
public final class TrainableTensors {

    private TrainableTensors() {
    }

    /** Copies of the tensors' values. */
    public static Map<String, float[]> snapshot(Map<String, Param> trainable) {
        Map<String, float[]> out = new LinkedHashMap<>();
        trainable.forEach((n, p) -> out.put(n, p.value().toFloatArray()));
        return out;
    }

    /** Puts saved values back into the tensors (in place, so gradients stay attached). */
    public static void restore(Map<String, Param> trainable, Map<String, float[]> values) {
        trainable.forEach((n, p) -> {
            float[] v = values.get(n);
            if (v == null || v.length != p.shape().size()) {
                throw new IllegalArgumentException("the saved weights do not fit " + n
                        + (v == null ? " (missing)" : " (" + v.length + " values for shape " + p.shape() + ")"));
            }
            p.value().set(v);
        });
    }

    /** Ordered values (an optimizer's state) keyed by the names of the tensors. */
    public static Map<String, float[]> named(Map<String, Param> trainable, List<float[]> values) {
        Map<String, float[]> out = new LinkedHashMap<>();
        int i = 0;
        for (String name : trainable.keySet()) {
            out.put(name, values.get(i++));
        }
        return out;
    }

    /** Name-keyed values in the tensors' order; every tensor must have one. */
    public static List<float[]> inOrder(Map<String, Param> trainable, Map<String, float[]> values) {
        List<float[]> out = new ArrayList<>();
        for (String name : trainable.keySet()) {
            float[] v = values.get(name);
            if (v == null) {
                throw new IllegalArgumentException("the training state lacks the optimizer state of " + name);
            }
            out.add(v);
        }
        return out;
    }
}
