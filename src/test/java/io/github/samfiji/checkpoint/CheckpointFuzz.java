package io.github.samfiji.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Seeded mutations of the sample checkpoints, the ways the fuzzing report broke them: byte flips, truncations,
 * pickle opcode edits, zip surgery (duplicated and missing entries), safetensors header-length and header edits.
 * Case {@code n} depends only on {@code n}, so a case can be rebuilt anywhere (the PyTorch oracle table was made
 * from the files {@link #main} writes).
 */
final class CheckpointFuzz {

    static final Path PTH = Path.of("samples/sam_tiny.pth");
    static final Path SAFETENSORS = Path.of("samples/busi_sam_tiny.safetensors");
    static final long SEED = 20261207L;

    /** One mutated file: its bytes, the file name suffix, and what was done. */
    record Case(int number, byte[] bytes, String suffix, String description) {
    }

    private final byte[] pth;
    private final byte[] safetensors;
    private final Map<String, byte[]> pthEntries;

    CheckpointFuzz() {
        try {
            pth = Files.readAllBytes(PTH);
            safetensors = Files.readAllBytes(SAFETENSORS);
            pthEntries = entries(PTH);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Cases of even number mutate the .pth, odd ones the .safetensors. */
    Case make(int n) {
        Random r = new Random(SEED * 1_000_003L + n);
        if (n % 2 == 0) {
            return switch (r.nextInt(5)) {
                case 0 -> new Case(n, flip(pth, r), ".pth", "pth: bytes flipped");
                case 1 -> truncated(n, pth, ".pth", r);
                case 2 -> pickleEdit(n, r);
                case 3 -> duplicated(n, r);
                default -> dropped(n, r);
            };
        }
        return switch (r.nextInt(4)) {
            case 0 -> new Case(n, flip(safetensors, r), ".safetensors", "safetensors: bytes flipped");
            case 1 -> truncated(n, safetensors, ".safetensors", r);
            case 2 -> headerLength(n, r);
            default -> headerDigits(n, r);
        };
    }

    private static byte[] flip(byte[] source, Random r) {
        byte[] out = source.clone();
        int count = 1 + r.nextInt(8);
        for (int i = 0; i < count; i++) {
            out[r.nextInt(out.length)] = (byte) r.nextInt(256);
        }
        return out;
    }

    private static Case truncated(int n, byte[] source, String suffix, Random r) {
        int length = r.nextInt(source.length);
        return new Case(n, java.util.Arrays.copyOf(source, length), suffix, suffix.substring(1) + ": cut to " + length
                + " bytes");
    }

    /** data.pkl with 1 to 3 bytes replaced, some by pickle opcodes, the zip rebuilt around it. */
    private Case pickleEdit(int n, Random r) {
        String pickleName = pthEntries.keySet().stream().filter(k -> k.endsWith("/data.pkl")).findFirst().orElseThrow();
        byte[] pickle = pthEntries.get(pickleName).clone();
        byte[] opcodes = "()0NR]asuqhXJKMQ}.\u0080\u008a\u008b\u0089ctlbeL".getBytes(StandardCharsets.ISO_8859_1);
        int count = 1 + r.nextInt(3);
        for (int i = 0; i < count; i++) {
            pickle[r.nextInt(pickle.length)] = r.nextBoolean() ? opcodes[r.nextInt(opcodes.length)] : (byte) r.nextInt(256);
        }
        Map<String, byte[]> edited = new LinkedHashMap<>(pthEntries);
        edited.put(pickleName, pickle);
        return new Case(n, zip(edited), ".pth", "pth: " + count + " byte(s) of data.pkl replaced");
    }

    /** One storage entry renamed to the name of another (two entries of one name; Java and Python differ). */
    private Case duplicated(int n, Random r) {
        List<String> storages = storageNames();
        String a = storages.get(r.nextInt(storages.size()));
        String b = storages.get(r.nextInt(storages.size()));
        // Equal lengths are needed to rename in place; "data/1" and "data/2" have them.
        List<String> same = storages.stream().filter(s -> s.length() == a.length() && !s.equals(a)).toList();
        String target = same.isEmpty() ? b : same.get(r.nextInt(same.size()));
        byte[] out = pth.clone();
        byte[] from = a.getBytes(StandardCharsets.UTF_8);
        byte[] to = target.getBytes(StandardCharsets.UTF_8);
        if (from.length == to.length) {
            for (int i = 0; i + from.length <= out.length; i++) {
                if (java.util.Arrays.equals(out, i, i + from.length, from, 0, from.length)) {
                    System.arraycopy(to, 0, out, i, to.length);
                }
            }
        }
        return new Case(n, out, ".pth", "pth: entry " + a + " renamed to " + target);
    }

    private Case dropped(int n, Random r) {
        List<String> storages = storageNames();
        String gone = storages.get(r.nextInt(storages.size()));
        Map<String, byte[]> edited = new LinkedHashMap<>(pthEntries);
        edited.remove(gone);
        return new Case(n, zip(edited), ".pth", "pth: entry " + gone + " removed");
    }

    private Case headerLength(int n, Random r) {
        byte[] out = safetensors.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        int delta = (1 + r.nextInt(16)) * (r.nextBoolean() ? 1 : -1);
        b.putLong(0, b.getLong(0) + delta);
        return new Case(n, out, ".safetensors", "safetensors: header length " + (delta > 0 ? "+" : "") + delta);
    }

    /** A digit of the JSON header (a shape, an offset) changed to another digit. */
    private Case headerDigits(int n, Random r) {
        byte[] out = safetensors.clone();
        int headerLength = (int) ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        List<Integer> digits = new ArrayList<>();
        for (int i = 8; i < 8 + headerLength; i++) {
            if (out[i] >= '0' && out[i] <= '9') {
                digits.add(i);
            }
        }
        int at = digits.get(r.nextInt(digits.size()));
        out[at] = (byte) ('0' + r.nextInt(10));
        return new Case(n, out, ".safetensors", "safetensors: header digit at byte " + at + " changed");
    }

    private List<String> storageNames() {
        return pthEntries.keySet().stream().filter(k -> k.contains("/data/")).toList();
    }

    private static Map<String, byte[]> entries(Path zipFile) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(zipFile.toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                try (java.io.InputStream in = zip.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    /** A stored (uncompressed) zip of the entries, as torch.save writes. */
    private static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Writes cases 0..count-1 as case-N.pth / case-N.safetensors into a folder, for the oracle script. */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int count = Integer.parseInt(args[1]);
        CheckpointFuzz fuzz = new CheckpointFuzz();
        for (int n = 0; n < count; n++) {
            Case c = fuzz.make(n);
            Files.write(dir.resolve("case-" + n + c.suffix()), c.bytes());
        }
    }
}
