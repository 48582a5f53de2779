package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One named tensor of a module: a learnable weight or a persistent buffer (BatchNorm statistics), exactly as it
 * appears in a PyTorch state_dict. The value lives in the model's manager until the model is closed.
 */
public final class Param {

    private final String name;
    private final Shape shape;
    private final DataType dataType;
    private final boolean buffer;
    private NDArray value;

    Param(String name, Shape shape, DataType dataType, boolean buffer) {
        this.name = name;
        this.shape = shape;
        this.dataType = dataType;
        this.buffer = buffer;
    }

    public String name() {
        return name;
    }

    public Shape shape() {
        return shape;
    }

    public DataType dataType() {
        return dataType;
    }

    /** True for buffers (running statistics), which are loaded and saved but never trained. */
    public boolean isBuffer() {
        return buffer;
    }

    public NDArray value() {
        if (value == null) {
            throw new IllegalStateException("parameter " + name + " has no value yet (model not initialized or loaded)");
        }
        return value;
    }

    public boolean hasValue() {
        return value != null;
    }

    /** Replaces the value; the previous array is closed. The new array is moved into {@code manager}. */
    public void set(NDArray newValue, NDManager manager) {
        if (!newValue.getShape().equals(shape)) {
            throw new IllegalArgumentException("parameter " + name + " expects shape " + shape + " but got " + newValue.getShape());
        }
        newValue.attach(manager);
        if (value != null && value != newValue) {
            value.close();
        }
        value = newValue;
    }
}
