package io.github.samfiji.imagejio.medical;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The fields of a NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header that reading needs, checked for consistency
 * before any voxel is read: a header is data from an untrusted file, so its sizes are only believed after they
 * have been compared with the file and with memory.
 */
final class NiftiHeader {

    static final int NIFTI1_SIZE = 348;
    static final int NIFTI2_SIZE = 540;

    /** A NIfTI datatype code, its size, and whether ImageJ can hold it as a grey value. */
    enum DataType {
        UINT8(2, 1, false), INT8(256, 1, false), INT16(4, 2, false), UINT16(512, 2, false), INT32(8, 4, false),
        UINT32(768, 4, false), INT64(1024, 8, false), UINT64(1280, 8, false), FLOAT32(16, 4, true),
        FLOAT64(64, 8, true);

        final int code;
        final int bytes;
        final boolean floating;

        DataType(int code, int bytes, boolean floating) {
            this.code = code;
            this.bytes = bytes;
            this.floating = floating;
        }

        static DataType of(int code, String file) throws IOException {
            for (DataType t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            String what = switch (code) {
                case 1 -> "1-bit (binary)";
                case 32, 1792, 2048 -> "complex";
                case 128 -> "RGB colour";
                case 2304 -> "RGBA colour";
                case 1536 -> "128-bit float";
                default -> "unknown (code " + code + ")";
            };
            throw new IOException(file + " holds " + what + " voxels; sam-fiji reads NIfTI grey values only (8-, 16-, "
                    + "32- or 64-bit integers, 32- or 64-bit floats)");
        }
    }

    final String file;
    final int version;
    final ByteOrder order;
    /** Whether the voxels follow the header in the same file ({@code n+1}, {@code n+2}) or lie in a {@code .img}. */
    final boolean singleFile;
    /** Sizes of x, y, z, t (1 where the file has fewer axes). */
    final long[] size = new long[4];
    final DataType type;
    /** pixdim[0..7]; pixdim[0] is the quaternion's handedness (qfac). */
    final double[] pixdim = new double[8];
    final long voxelOffset;
    final double slope;
    final double intercept;
    final int spaceUnits;
    final int timeUnits;
    final int qformCode;
    final int sformCode;
    final double[] quaternion = new double[3];
    final double[] qoffset = new double[3];
    final double[][] srow = new double[3][4];

    /**
     * Parses and checks a header.
     *
     * @param head the first bytes of the (decompressed) file, at least 348 when there are that many
     * @param file the name used in messages
     */
    NiftiHeader(byte[] head, String file) throws IOException {
        this.file = file;
        if (head.length < 4) {
            throw new IOException(file + " is empty or too short to be a NIfTI file");
        }
        int little = ByteBuffer.wrap(head, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int big = ByteBuffer.wrap(head, 0, 4).order(ByteOrder.BIG_ENDIAN).getInt();
        if (little == NIFTI1_SIZE || little == NIFTI2_SIZE) {
            order = ByteOrder.LITTLE_ENDIAN;
            version = little == NIFTI1_SIZE ? 1 : 2;
        } else if (big == NIFTI1_SIZE || big == NIFTI2_SIZE) {
            order = ByteOrder.BIG_ENDIAN;
            version = big == NIFTI1_SIZE ? 1 : 2;
        } else {
            throw new IOException(file + " is not a NIfTI file (its header size field is neither 348 nor 540)");
        }
        int headerSize = version == 1 ? NIFTI1_SIZE : NIFTI2_SIZE;
        if (head.length < headerSize) {
            throw new IOException(file + " is truncated: its NIfTI-" + version + " header needs " + headerSize
                    + " bytes, the file has " + head.length);
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(order);
        long[] dim = new long[8];
        int code;
        int units;
        if (version == 1) {
            String magic = new String(head, 344, 3, StandardCharsets.ISO_8859_1);
            if (!magic.equals("n+1") && !magic.equals("ni1") || head[347] != 0) {
                throw new IOException(file + " has no NIfTI-1 magic ('n+1' or 'ni1'): an Analyze 7.5 file, or damaged;"
                        + " convert it to NIfTI first");
            }
            singleFile = magic.equals("n+1");
            for (int i = 0; i < 8; i++) {
                dim[i] = b.getShort(40 + 2 * i);
                pixdim[i] = b.getFloat(76 + 4 * i);
            }
            code = b.getShort(70);
            double offset = b.getFloat(108);
            if (!Double.isFinite(offset) || offset != Math.rint(offset) || offset < 0 || offset > Long.MAX_VALUE / 2) {
                throw new IOException(file + " declares an invalid voxel offset (" + offset + ")");
            }
            voxelOffset = (long) offset;
            slope = b.getFloat(112);
            intercept = b.getFloat(116);
            units = head[123] & 0xff;
            qformCode = b.getShort(252);
            sformCode = b.getShort(254);
            for (int i = 0; i < 3; i++) {
                quaternion[i] = b.getFloat(256 + 4 * i);
                qoffset[i] = b.getFloat(268 + 4 * i);
                for (int j = 0; j < 4; j++) {
                    srow[i][j] = b.getFloat(280 + 16 * i + 4 * j);
                }
            }
        } else {
            String magic = new String(head, 4, 3, StandardCharsets.ISO_8859_1);
            if (!magic.equals("n+2") && !magic.equals("ni2")) {
                throw new IOException(file + " has no NIfTI-2 magic ('n+2' or 'ni2'): damaged?");
            }
            singleFile = magic.equals("n+2");
            code = b.getShort(12);
            for (int i = 0; i < 8; i++) {
                dim[i] = b.getLong(16 + 8 * i);
                pixdim[i] = b.getDouble(104 + 8 * i);
            }
            voxelOffset = b.getLong(168);
            slope = b.getDouble(176);
            intercept = b.getDouble(184);
            qformCode = b.getInt(344);
            sformCode = b.getInt(348);
            for (int i = 0; i < 3; i++) {
                quaternion[i] = b.getDouble(352 + 8 * i);
                qoffset[i] = b.getDouble(376 + 8 * i);
                for (int j = 0; j < 4; j++) {
                    srow[i][j] = b.getDouble(400 + 32 * i + 8 * j);
                }
            }
            units = b.getInt(500);
            if (voxelOffset < 0) {
                throw new IOException(file + " declares a negative voxel offset (" + voxelOffset + ")");
            }
        }
        spaceUnits = units & 0x07;
        timeUnits = units & 0x38;
        if (singleFile && voxelOffset < headerSize) {
            throw new IOException(file + " declares its voxels at byte " + voxelOffset + ", inside its " + headerSize
                    + "-byte header");
        }
        long axes = dim[0];
        if (axes < 1 || axes > 7) {
            throw new IOException(file + " declares " + axes + " dimensions (NIfTI allows 1 to 7): damaged?");
        }
        for (int i = 1; i <= axes; i++) {
            if (dim[i] < 1) {
                throw new IOException(String.format(Locale.ROOT, "%s declares a size of %d along axis %d: damaged or "
                        + "not a NIfTI file", file, dim[i], i));
            }
            if (i > 4 && dim[i] > 1) {
                throw new IOException(file + " has " + axes + " dimensions with more than one element along axis " + i
                        + "; sam-fiji reads up to 4 (x, y, z, time)");
            }
        }
        for (int i = 0; i < 4; i++) {
            size[i] = i + 1 <= axes ? dim[i + 1] : 1;
        }
        type = DataType.of(code, file);
    }

    long voxelCount() throws IOException {
        try {
            return Math.multiplyExact(Math.multiplyExact(size[0], size[1]), Math.multiplyExact(size[2], size[3]));
        } catch (ArithmeticException e) {
            throw new IOException(file + " declares more voxels than can be counted: damaged or hostile file");
        }
    }

    long dataBytes() throws IOException {
        try {
            return Math.multiplyExact(voxelCount(), (long) type.bytes);
        } catch (ArithmeticException e) {
            throw new IOException(file + " declares more voxels than can be counted: damaged or hostile file");
        }
    }

    /** Whether values are to be scaled: a slope that is neither 0 (meaning none) nor the identity 1 with 0. */
    boolean scaled() {
        return Double.isFinite(slope) && slope != 0 && !(slope == 1 && (intercept == 0 || !Double.isFinite(intercept)));
    }

    /** Voxel size along x, y, z, t from pixdim; 1 where missing or invalid. */
    double spacing(int axis) {
        double d = Math.abs(pixdim[axis + 1]);
        return Double.isFinite(d) && d > 0 ? d : 1;
    }

    /** How many millimetres (space) the header's unit is, or 0 when the unit is not given. */
    double millimetresPerUnit() {
        return switch (spaceUnits) {
            case 1 -> 1000;
            case 2 -> 1;
            case 3 -> 0.001;
            default -> 0;
        };
    }

    /** The voxel-to-world (RAS+, in the file's space unit) affine as 3 rows of 4, following the NIfTI rules. */
    double[][] affine() {
        if (sformCode > 0 && finite(srow)) {
            return new double[][] {srow[0].clone(), srow[1].clone(), srow[2].clone()};
        }
        if (qformCode > 0) {
            double[][] rotation = Affines.rotation(quaternion[0], quaternion[1], quaternion[2]);
            double qfac = pixdim[0] < 0 ? -1 : 1;
            double[] scale = {spacing(0), spacing(1), qfac * spacing(2)};
            double[][] m = new double[3][4];
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) {
                    m[r][c] = rotation[r][c] * scale[c];
                }
                m[r][3] = Double.isFinite(qoffset[r]) ? qoffset[r] : 0;
            }
            return m;
        }
        // No orientation: as nibabel and the Analyze tradition read it, the first axis runs to the left (LAS+).
        return new double[][] {{-spacing(0), 0, 0, 0}, {0, spacing(1), 0, 0}, {0, 0, spacing(2), 0}};
    }

    private static boolean finite(double[][] m) {
        double sum = 0;
        for (double[] row : m) {
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    return false;
                }
                sum += Math.abs(v);
            }
        }
        return sum > 0;
    }
}
