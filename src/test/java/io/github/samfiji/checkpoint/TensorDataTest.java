package io.github.samfiji.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;

import org.junit.jupiter.api.Test;

class TensorDataTest {

    @Test
    void typesKnowTheirSizesAndNames() {
        String[] names = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"};
        int[] sizes = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1};
        TensorType[] types = TensorType.values();
        assertEquals(names.length, types.length);
        for (int i = 0; i < types.length; i++) {
            assertEquals(names[i], types[i].safetensorsName());
            assertEquals(sizes[i], types[i].byteSize());
            assertEquals(types[i], TensorType.fromSafetensorsName(names[i]));
            assertEquals(types[i], TensorType.fromTorchStorageName(types[i].torchStorageName()));
        }
        assertNull(TensorType.fromSafetensorsName("F8_E5M2"));
        assertEquals(TensorType.INT8, TensorType.fromTorchStorageName("CharStorage"));
    }

    @Test
    void floatsAreCopiedAndReadOnly() {
        float[] values = {1, 2, 3, 4, 5, 6};
        TensorData t = TensorData.ofFloats(new long[] {2, 3}, values);
        values[0] = 99;
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.toFloats());
        assertEquals(6, t.numel());
        assertEquals(24, t.byteSize());
        ByteBuffer data = t.data();
        assertTrue(data.isReadOnly());
        assertEquals(ByteOrder.LITTLE_ENDIAN, data.order());
        assertEquals(24, data.remaining());
        assertEquals(2f, data.getFloat(4));
        assertThrows(ReadOnlyBufferException.class, () -> data.put(0, (byte) 1));
        data.position(8);
        assertEquals(0, t.data().position(), "each view is independent");
        long[] shape = t.shape();
        shape[0] = 7;
        assertArrayEquals(new long[] {2, 3}, t.shape());
    }

    @Test
    void zeroDimAndZeroSize() {
        TensorData scalar = TensorData.ofLongs(new long[] {}, new long[] {100});
        assertEquals(0, scalar.rank());
        assertEquals(1, scalar.numel());
        assertEquals(8, scalar.data().remaining());
        assertArrayEquals(new long[] {100}, scalar.toLongs());
        assertArrayEquals(new float[] {100}, scalar.toFloats());

        TensorData empty = TensorData.ofFloats(new long[] {1, 0, 256}, new float[0]);
        assertEquals(0, empty.numel());
        assertEquals(0, empty.data().remaining());
        assertEquals(0, empty.toFloats().length);
        assertThrows(IllegalArgumentException.class, () -> TensorData.ofFloats(new long[] {2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> TensorData.ofFloats(new long[] {-1}, new float[0]));
    }

    @Test
    void halfAndBfloat16Conversions() {
        // 1, -2, 65504 (max), 2^-14 (min normal), 2^-24 (min subnormal), -0, inf, NaN
        short[] halves = {0x3c00, (short) 0xc000, 0x7bff, 0x0400, 0x0001, (short) 0x8000, 0x7c00, 0x7e00};
        ByteBuffer b = ByteBuffer.allocate(2 * halves.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short h : halves) {
            b.putShort(h);
        }
        float[] f = TensorData.of(TensorType.FLOAT16, new long[] {halves.length}, b.flip()).toFloats();
        assertArrayEquals(new float[] {1, -2, 65504, 0x1p-14f, 0x1p-24f, -0f, Float.POSITIVE_INFINITY, Float.NaN}, f);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(f[5]));

        // every half value round-trips through float exactly (checked against the bit pattern rules)
        for (int bits = 0; bits < 0x10000; bits++) {
            float v = TensorData.halfToFloat((short) bits);
            int exponent = (bits >> 10) & 0x1f;
            if (exponent == 0x1f && (bits & 0x3ff) != 0) {
                assertTrue(Float.isNaN(v));
                continue;
            }
            double mantissa = (bits & 0x3ff) / 1024.0;
            double expected = exponent == 0 ? mantissa * Math.pow(2, -14)
                    : exponent == 0x1f ? Double.POSITIVE_INFINITY : (1 + mantissa) * Math.pow(2, exponent - 15);
            assertEquals((float) ((bits & 0x8000) != 0 ? -expected : expected), v, "half 0x" + Integer.toHexString(bits));
        }

        ByteBuffer bf = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3f80).putShort((short) 0xc049).putShort((short) 0x7f80);
        assertArrayEquals(new float[] {1, Float.intBitsToFloat(0xc0490000), Float.POSITIVE_INFINITY},
                TensorData.of(TensorType.BFLOAT16, new long[] {3}, bf.flip()).toFloats());
    }

    @Test
    void integerConversions() {
        ByteBuffer b = ByteBuffer.wrap(new byte[] {(byte) 0xff, 0x7f, (byte) 0x80});
        assertArrayEquals(new float[] {-1, 127, -128}, TensorData.of(TensorType.INT8, new long[] {3}, b).toFloats());
        assertArrayEquals(new float[] {255, 127, 128}, TensorData.of(TensorType.UINT8, new long[] {3}, b).toFloats());
        assertArrayEquals(new long[] {255, 127, 128}, TensorData.of(TensorType.UINT8, new long[] {3}, b).toLongs());
        ByteBuffer i = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-5).putInt(1 << 20).flip();
        assertArrayEquals(new float[] {-5, 1 << 20}, TensorData.of(TensorType.INT32, new long[] {2}, i).toFloats());
        ByteBuffer d = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).flip();
        assertArrayEquals(new float[] {0.1f}, TensorData.of(TensorType.FLOAT64, new long[] {1}, d).toFloats());
        assertThrows(IllegalStateException.class, () -> TensorData.ofFloats(new long[] {1}, new float[1]).toLongs());
        assertThrows(IllegalArgumentException.class,
                () -> TensorData.of(TensorType.INT32, new long[] {3}, ByteBuffer.allocate(8)));
    }

    @Test
    void equalityIsTypeShapeAndBytes() {
        TensorData a = TensorData.ofFloats(new long[] {2}, new float[] {1, 2});
        assertEquals(a, TensorData.ofFloats(new long[] {2}, new float[] {1, 2}));
        assertEquals(a.hashCode(), TensorData.ofFloats(new long[] {2}, new float[] {1, 2}).hashCode());
        assertNotEquals(a, TensorData.ofFloats(new long[] {1, 2}, new float[] {1, 2}));
        assertNotEquals(a, TensorData.ofFloats(new long[] {2}, new float[] {1, 3}));
        assertNotEquals(a, TensorData.of(TensorType.INT32, new long[] {2}, a.data()));
        assertEquals("float32[2]", a.toString());
    }
}
