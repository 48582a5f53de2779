package io.github.samfiji.imagejio.medical;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The top-level elements of a DICOM file that reading a grey series needs, parsed up to the pixel data without
 * reading any value it does not keep: every length is checked against the file before it is skipped, values kept
 * are short by nature (at most {@value #MAX_VALUE} bytes), and nested sequences are skipped to a bounded depth. So
 * a damaged or hostile file costs a read of its header, never an allocation its header asks for. (ImageJ's own
 * DICOM decoder reads each value whole into memory, whatever length it declares.)
 */
final class DicomHeader {

    static final int MAX_VALUE = 1024;
    private static final int MAX_DEPTH = 16;
    private static final int UNDEFINED = -1;

    /** Elements kept, as (group << 16 | element). */
    private static final Set<Integer> KEPT = Set.of(0x00020010, 0x00080060, 0x00180050, 0x0020000E, 0x00200013,
            0x00200032, 0x00200037, 0x00280002, 0x00280004, 0x00280008, 0x00280010, 0x00280011, 0x00280030,
            0x00280100, 0x00280103, 0x00281052, 0x00281053);
    /** Kept elements whose value is an unsigned 16-bit binary number (VR US). */
    private static final Set<Integer> UNSIGNED_SHORT = Set.of(0x00280002, 0x00280010, 0x00280011, 0x00280100,
            0x00280103);
    /** Explicit VRs with a 2-byte reserved field and a 4-byte length. */
    private static final Set<String> LONG_VR = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN",
            "UR", "UT", "UV");

    private final String name;
    private final long fileSize;
    private final Map<Integer, String> values = new HashMap<>();
    private long pixelOffset = -1;
    private long pixelLength = -1;

    /** Parses the header of {@code file} up to its pixel data. */
    DicomHeader(Path file) throws IOException {
        this.name = file.getFileName().toString();
        this.fileSize = Files.size(file);
        try (Cursor in = new Cursor(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            boolean explicit = false;
            byte[] preamble = in.peek(132);
            if (preamble.length == 132 && preamble[128] == 'D' && preamble[129] == 'I' && preamble[130] == 'C'
                    && preamble[131] == 'M') {
                in.skip(132);
                // The file meta group is always explicit VR little endian.
                while (in.peekTagGroup() == 0x0002) {
                    element(in, true, 0);
                }
                String syntax = values.getOrDefault(0x00020010, DicomSeries.IMPLICIT_LITTLE);
                explicit = !syntax.equals(DicomSeries.IMPLICIT_LITTLE);
                if (!syntax.equals(DicomSeries.IMPLICIT_LITTLE) && !syntax.equals(DicomSeries.EXPLICIT_LITTLE)) {
                    return; // the caller refuses it by name; its data set may not be parseable as little endian
                }
            }
            while (pixelOffset < 0 && !in.atEnd()) {
                element(in, explicit, 0);
            }
        }
    }

    String get(int tag) {
        return values.get(tag);
    }

    long pixelOffset() {
        return pixelOffset;
    }

    /** The declared length of the pixel data, or -1 when undefined (encapsulated, i.e. compressed, pixels). */
    long pixelLength() {
        return pixelLength;
    }

    /** Reads one element (and, for a sequence, everything in it); keeps its value when wanted at the top level. */
    private void element(Cursor in, boolean explicit, int depth) throws IOException {
        int group = in.u16();
        int number = in.u16();
        int tag = group << 16 | number;
        String vr = null;
        long length;
        if (group == 0xFFFE) { // item and delimiters have no VR in either encoding
            length = in.u32();
        } else if (explicit) {
            vr = new String(in.bytes(2), StandardCharsets.US_ASCII);
            if (LONG_VR.contains(vr)) {
                in.skip(2);
                length = in.u32();
            } else {
                length = in.u16();
            }
        } else {
            length = in.u32();
        }
        boolean undefined = length == 0xFFFFFFFFL;
        if (tag == 0x7FE00010 && depth == 0) {
            pixelOffset = in.position();
            pixelLength = undefined ? UNDEFINED : length;
            return;
        }
        if (undefined) {
            if (group == 0xFFFE) {
                return; // an item of undefined length: its elements follow, read by the caller's loop
            }
            // An undefined-length UN holds implicit VR items (DICOM part 5, 6.2.2).
            sequence(in, explicit && !"UN".equals(vr), depth + 1);
            return;
        }
        if (in.position() + length > fileSize) {
            throw new IOException(name + " is truncated or damaged: element (" + hex(group) + "," + hex(number)
                    + ") declares " + length + " bytes at byte " + in.position() + ", the file has " + fileSize);
        }
        if (depth == 0 && KEPT.contains(tag) && length <= MAX_VALUE) {
            byte[] value = in.bytes((int) length);
            if (UNSIGNED_SHORT.contains(tag) && length == 2) {
                values.put(tag, Integer.toString((value[0] & 0xff) | (value[1] & 0xff) << 8));
            } else {
                values.put(tag, new String(value, StandardCharsets.ISO_8859_1).replace("\0", "").trim());
            }
        } else {
            in.skip(length);
        }
    }

    /** Skips a sequence of undefined length: items until the sequence delimiter (FFFE,E0DD). */
    private void sequence(Cursor in, boolean explicit, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException(name + " nests sequences more than " + MAX_DEPTH + " deep: damaged or hostile file");
        }
        while (true) {
            if (in.atEnd()) {
                throw new IOException(name + " is truncated: a sequence has no end");
            }
            int group = in.u16();
            int number = in.u16();
            long length = in.u32();
            if (group == 0xFFFE && number == 0xE0DD) {
                return;
            }
            if (group != 0xFFFE || number != 0xE000) {
                throw new IOException(name + " is damaged: a sequence holds (" + hex(group) + "," + hex(number)
                        + ") where an item was expected");
            }
            if (length != 0xFFFFFFFFL) {
                if (in.position() + length > fileSize) {
                    throw new IOException(name + " is truncated: a sequence item runs past the end of the file");
                }
                in.skip(length);
                continue;
            }
            // An item of undefined length: elements until the item delimiter (FFFE,E00D).
            while (true) {
                if (in.atEnd()) {
                    throw new IOException(name + " is truncated: a sequence item has no end");
                }
                if (in.peekTagGroup() == 0xFFFE && in.peekTagElement() == 0xE00D) {
                    in.skip(8);
                    break;
                }
                element(in, explicit, depth);
            }
        }
    }

    private static String hex(int v) {
        return String.format("%04X", v);
    }

    /** A little-endian reader that knows its position and reports the end of the file as truncation. */
    private final class Cursor implements AutoCloseable {

        private final InputStream in;
        private long position;

        Cursor(InputStream in) {
            this.in = in;
        }

        long position() {
            return position;
        }

        boolean atEnd() throws IOException {
            in.mark(1);
            int b = in.read();
            in.reset();
            return b < 0;
        }

        byte[] peek(int n) throws IOException {
            in.mark(n);
            byte[] b = in.readNBytes(n);
            in.reset();
            return b;
        }

        int peekTagGroup() throws IOException {
            byte[] b = peek(2);
            return b.length < 2 ? -1 : (b[0] & 0xff) | (b[1] & 0xff) << 8;
        }

        int peekTagElement() throws IOException {
            byte[] b = peek(4);
            return b.length < 4 ? -1 : (b[2] & 0xff) | (b[3] & 0xff) << 8;
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            position += b.length;
            if (b.length < n) {
                throw new IOException(name + " is truncated: its DICOM header ends at byte " + position);
            }
            return b;
        }

        int u16() throws IOException {
            byte[] b = bytes(2);
            return (b[0] & 0xff) | (b[1] & 0xff) << 8;
        }

        long u32() throws IOException {
            byte[] b = bytes(4);
            return (b[0] & 0xffL) | (b[1] & 0xffL) << 8 | (b[2] & 0xffL) << 16 | (b[3] & 0xffL) << 24;
        }

        void skip(long n) throws IOException {
            if (position + n > fileSize) {
                throw new IOException(name + " is truncated: its DICOM header ends at byte " + fileSize);
            }
            in.skipNBytes(n);
            position += n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
