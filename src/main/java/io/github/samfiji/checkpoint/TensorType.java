package io.github.samfiji.checkpoint;

/** Element types of stored tensors, with their sizes and safetensors names. */
public enum TensorType {
    FLOAT32(4, "F32"), FLOAT16(2, "F16"), BFLOAT16(2, "BF16"), FLOAT64(8, "F64"), INT64(8, "I64"), INT32(4, "I32"),
    INT16(2, "I16"), INT8(1, "I8"), UINT8(1, "U8"), BOOL(1, "BOOL");

    private final int bytes;
    private final String safetensorsName;

    TensorType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    public int bytes() {
        return bytes;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    public static TensorType fromSafetensors(String name) throws CheckpointException {
        for (TensorType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        throw new CheckpointException("unsupported tensor type '" + name + "' in safetensors file");
    }
}
