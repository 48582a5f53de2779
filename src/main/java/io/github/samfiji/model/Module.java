package io.github.samfiji.model;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node of the model tree. Parameter names are built from the child names exactly like PyTorch's
 * {@code state_dict} keys (own tensors first, then children in registration order), so published checkpoints
 * load without any key mapping.
 */
public abstract class Module {

    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();

    protected final Param param(String name, long... shape) {
        return register(name, new Param(name, new Shape(shape), DataType.FLOAT32, false));
    }

    protected final Param buffer(String name, DataType type, long... shape) {
        return register(name, new Param(name, new Shape(shape), type, true));
    }

    private Param register(String name, Param p) {
        if (params.put(name, p) != null || children.containsKey(name)) {
            throw new IllegalStateException("duplicate name " + name);
        }
        return p;
    }

    protected final <M extends Module> M child(String name, M module) {
        if (children.put(name, module) != null || params.containsKey(name)) {
            throw new IllegalStateException("duplicate child " + name);
        }
        return module;
    }

    /** Every tensor of this subtree in state_dict order, keyed by its full dotted name. */
    public final Map<String, Param> namedParams() {
        Map<String, Param> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Param> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collect(prefix + n + ".", out));
    }

    /** The direct children by name, read-only. */
    final Map<String, Module> childrenView() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** Number of learnable scalars (buffers excluded), as PyTorch's {@code numel()} over parameters(). */
    public final long parameterCount() {
        return namedParams().values().stream().filter(p -> !p.isBuffer()).mapToLong(p -> p.shape().size()).sum();
    }
}
