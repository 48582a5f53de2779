package io.github.samfiji.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads NumPy {@code .npy} files (format 1.0/2.0, little-endian, C order), the format of the reference fixtures.
 * Only the dtypes the fixtures use are supported: f4, b1, u1, i4, i8.
 */
public final class Npy {

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    public final String dtype;
    public final long[] shape;
    private final ByteBuffer data;

    private Npy(String dtype, long[] shape, ByteBuffer data) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    public static Npy read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || bytes[0] != (byte) 0x93 || !new String(bytes, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException("not a .npy file: " + file);
        }
        int major = bytes[6];
        int headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(buffer.getShort(8));
            headerStart = 10;
        } else {
            headerLength = buffer.getInt(8);
            headerStart = 12;
        }
        String header = new String(bytes, headerStart, headerLength, StandardCharsets.US_ASCII);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IOException("unreadable .npy header in " + file + ": " + header);
        }
        long[] shape = Arrays.stream(s.group(1).split(","))
                .map(String::trim).filter(t -> !t.isEmpty()).mapToLong(Long::parseLong).toArray();
        String dtype = d.group(1);
        if (dtype.startsWith(">")) {
            throw new IOException("big-endian .npy not supported: " + file);
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, headerStart + headerLength, bytes.length - headerStart - headerLength)
                .slice().order(ByteOrder.LITTLE_ENDIAN);
        if (f.group(1).equals("True")) {
            data = toCOrder(data, shape, Integer.parseInt(dtype.substring(2)));
        }
        return new Npy(dtype.substring(1), shape, data);
    }

    /** The elements of a Fortran-order (column-major) array, rearranged into C (row-major) order. */
    private static ByteBuffer toCOrder(ByteBuffer fortran, long[] shape, int elementSize) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        byte[] out = new byte[Math.toIntExact(count * elementSize)];
        int[] index = new int[shape.length];
        for (int c = 0; c < count; c++) {
            long offset = 0;
            long stride = 1;
            for (int k = 0; k < shape.length; k++) {
                offset += index[k] * stride;
                stride *= shape[k];
            }
            for (int b = 0; b < elementSize; b++) {
                out[c * elementSize + b] = fortran.get((int) (offset * elementSize + b));
            }
            for (int k = shape.length - 1; k >= 0; k--) {
                if (++index[k] < shape[k]) {
                    break;
                }
                index[k] = 0;
            }
        }
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    public long size() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public int[] intShape() {
        return Arrays.stream(shape).mapToInt(Math::toIntExact).toArray();
    }

    /** All values as floats, whatever the stored dtype. */
    public float[] floats() {
        int n = Math.toIntExact(size());
        float[] out = new float[n];
        switch (dtype) {
            case "f4" -> data.asFloatBuffer().get(out);
            case "b1", "u1" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Byte.toUnsignedInt(data.get(i));
                }
            }
            case "i4" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getInt(4 * i);
                }
            }
            case "i8" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getLong(8 * i);
                }
            }
            default -> throw new IllegalStateException("unsupported dtype " + dtype);
        }
        return out;
    }

    /** All values of a float64 ({@code f8}) or float32 array as doubles. */
    public double[] doubles() {
        int n = Math.toIntExact(size());
        double[] out = new double[n];
        switch (dtype) {
            case "f8" -> data.asDoubleBuffer().get(out);
            case "f4" -> {
                float[] f = floats();
                for (int i = 0; i < n; i++) {
                    out[i] = f[i];
                }
            }
            default -> throw new IllegalStateException("not a float array: " + dtype);
        }
        return out;
    }

    /** Raw bytes of u1/b1 arrays. */
    public byte[] bytes() {
        byte[] out = new byte[data.remaining()];
        data.duplicate().get(out);
        return out;
    }

    public long[] longs() {
        int n = Math.toIntExact(size());
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case "i8" -> data.getLong(8 * i);
                case "i4" -> data.getInt(4 * i);
                default -> throw new IllegalStateException("not an integer array: " + dtype);
            };
        }
        return out;
    }
}
