package io.github.samfiji.checkpoint;

/**
 * Element types of checkpoint tensors, with their size in bytes and the names used by safetensors and by
 * PyTorch's storage classes.
 */
public enum TensorType {
    FLOAT32(4, "F32", "FloatStorage", "float32"),
    FLOAT16(2, "F16", "HalfStorage", "float16"),
    BFLOAT16(2, "BF16", "BFloat16Storage", "bfloat16"),
    FLOAT64(8, "F64", "DoubleStorage", "float64"),
    INT64(8, "I64", "LongStorage", "int64"),
    INT32(4, "I32", "IntStorage", "int32"),
    INT16(2, "I16", "ShortStorage", "int16"),
    INT8(1, "I8", "CharStorage", "int8"),
    UINT8(1, "U8", "ByteStorage", "uint8"),
    BOOL(1, "BOOL", "BoolStorage", "bool");

    private final int byteSize;
    private final String safetensorsName;
    private final String torchStorageName;
    private final String displayName;

    TensorType(int byteSize, String safetensorsName, String torchStorageName, String displayName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
        this.torchStorageName = torchStorageName;
        this.displayName = displayName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype name in a safetensors header ({@code F32}, {@code BF16}, ...). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** The PyTorch storage class in the {@code torch} module ({@code FloatStorage}, ...). */
    public String torchStorageName() {
        return torchStorageName;
    }

    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT16 || this == BFLOAT16 || this == FLOAT64;
    }

    /** The safetensors dtype name's type, or {@code null} when the name is not one of ours. */
    public static TensorType fromSafetensorsName(String name) {
        for (TensorType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The type stored by a {@code torch.<name>} storage class, or {@code null} when unknown. */
    public static TensorType fromTorchStorageName(String name) {
        for (TensorType t : values()) {
            if (t.torchStorageName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return displayName;
    }
}
