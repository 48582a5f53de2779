package io.github.samfiji.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable, C-contiguous tensor read from (or to be written to) a checkpoint: shape, element type and
 * little-endian bytes. A 0-d tensor has shape {@code []} and one element; a shape with a zero dimension has no
 * elements and no bytes.
 */
public final class TensorData {

    private final long[] shape;
    private final TensorType type;
    private final long numel;
    /** Read-only, little-endian, position 0, exactly numel * type.byteSize() bytes. */
    private final ByteBuffer data;

    private TensorData(TensorType type, long[] shape, long numel, ByteBuffer data) {
        this.type = type;
        this.shape = shape;
        this.numel = numel;
        this.data = data;
    }

    /**
     * A tensor over {@code data}'s remaining bytes, which are copied. The byte order of the buffer is ignored: the
     * bytes must be little-endian.
     */
    public static TensorData of(TensorType type, long[] shape, ByteBuffer data) {
        Objects.requireNonNull(data, "data");
        ByteBuffer copy = ByteBuffer.allocate(data.remaining());
        copy.put(data.duplicate());
        copy.flip();
        return wrap(type, shape, copy);
    }

    /** A float32 tensor holding a copy of {@code values}; the array length must equal the shape's element count. */
    public static TensorData ofFloats(long[] shape, float[] values) {
        long n = checkCount(shape, values.length);
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(n * 4)).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return wrap(TensorType.FLOAT32, shape, buffer);
    }

    /** An int64 tensor holding a copy of {@code values}; the array length must equal the shape's element count. */
    public static TensorData ofLongs(long[] shape, long[] values) {
        long n = checkCount(shape, values.length);
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(n * 8)).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asLongBuffer().put(values);
        return wrap(TensorType.INT64, shape, buffer);
    }

    private static long checkCount(long[] shape, int length) {
        long n = elementCount(shape);
        if (n != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but " + length + " values were given");
        }
        return n;
    }

    /**
     * Takes ownership of {@code data} without copying: the caller must not modify it afterwards. Package-private:
     * the readers use it to hand out views of storages and mapped files.
     */
    static TensorData wrap(TensorType type, long[] shape, ByteBuffer data) {
        Objects.requireNonNull(type, "type");
        long[] s = shape.clone();
        long n = elementCount(s);
        long bytes = byteCount(n, type);
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException(type + " tensor of shape " + Arrays.toString(s) + " needs " + bytes
                    + " bytes but " + data.remaining() + " were given");
        }
        ByteBuffer view = data.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return new TensorData(type, s, n, view);
    }

    /**
     * Number of elements of a shape (1 for {@code []}).
     *
     * @throws IllegalArgumentException for a negative dimension or an element count beyond {@code long}
     */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements");
            }
        }
        return n;
    }

    /** Bytes of {@code numel} elements, which must fit a Java buffer (under 2 GiB). */
    static long byteCount(long numel, TensorType type) {
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, (long) type.byteSize());
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE;
        }
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a single tensor of " + numel + " " + type
                    + " elements is larger than 2 GB, which is not supported");
        }
        return bytes;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public TensorType type() {
        return type;
    }

    public long numel() {
        return numel;
    }

    /** Size of {@link #data()} in bytes. */
    public long byteSize() {
        return numel * type.byteSize();
    }

    /** A fresh read-only little-endian view of exactly {@code numel * type.byteSize()} bytes, C order. */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** All elements converted to float (float64 and large integers lose precision, booleans become 0 or 1). */
    public float[] toFloats() {
        int n = Math.toIntExact(numel);
        float[] out = new float[n];
        ByteBuffer b = data();
        switch (type) {
            case FLOAT32 -> b.asFloatBuffer().get(out);
            case FLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = halfToFloat(b.getShort(2 * i));
                }
            }
            case BFLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
                }
            }
            case FLOAT64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(8 * i);
                }
            }
            case INT64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getLong(8 * i);
                }
            }
            case INT32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(4 * i);
                }
            }
            case INT16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getShort(2 * i);
                }
            }
            case INT8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
            }
            case UINT8, BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Byte.toUnsignedInt(b.get(i));
                }
            }
            default -> throw new IllegalStateException("unhandled type " + type);
        }
        return out;
    }

    /**
     * All elements of an integer or bool tensor as longs.
     *
     * @throws IllegalStateException for a floating-point tensor
     */
    public long[] toLongs() {
        int n = Math.toIntExact(numel);
        long[] out = new long[n];
        ByteBuffer b = data();
        for (int i = 0; i < n; i++) {
            out[i] = switch (type) {
                case INT64 -> b.getLong(8 * i);
                case INT32 -> b.getInt(4 * i);
                case INT16 -> b.getShort(2 * i);
                case INT8 -> b.get(i);
                case UINT8, BOOL -> Byte.toUnsignedInt(b.get(i));
                default -> throw new IllegalStateException(type + " tensor cannot be read as integers");
            };
        }
        return out;
    }

    /** IEEE 754 binary16 to float, exactly (every half value is representable as a float). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** Equal type, shape and bytes. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TensorData other)) {
            return false;
        }
        return type == other.type && Arrays.equals(shape, other.shape) && data.equals(other.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * type.hashCode() + Arrays.hashCode(shape)) + data.hashCode();
    }

    @Override
    public String toString() {
        return type + Arrays.toString(shape);
    }
}
