package io.github.samfiji.dist;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The checksum the ImageJ updater records for a file in {@code db.xml.gz} and checks after each download.
 *
 * <p>For a jar it is the SHA-1 of its entries in name order, each contributing its name (ASCII) and then its content,
 * so that rebuilding an unchanged jar gives the same checksum: in {@code .properties} files, lines that start with
 * '#' (the date Maven writes into pom.properties) are left out but their line ends kept, and in the manifest the
 * lines naming who or what built it (Archiver-Version, Built-By, Build-Jdk, Class-Path, Created-By,
 * Implementation-Build) are left out. Any other file: the SHA-1 of its path in the ImageJ folder (ASCII) followed by
 * its bytes.
 */
public final class UpdaterChecksum {

    private static final Set<String> MANIFEST_SKIPPED = Set.of("ARCHIVER-VERSION", "BUILT-BY", "BUILD-JDK",
            "CLASS-PATH", "CREATED-BY", "IMPLEMENTATION-BUILD");

    private UpdaterChecksum() {
    }

    /**
     * @param path the file's path relative to the ImageJ folder, with '/' (e.g. {@code jars/foo-1.0.jar}); it
     *             decides how the file is checksummed
     * @param file where the file is now
     */
    public static String of(String path, Path file) throws IOException {
        MessageDigest sha1 = sha1();
        if (path.endsWith(".jar")) {
            try (ZipFile zip = new ZipFile(file.toFile())) {
                List<? extends ZipEntry> entries = new ArrayList<>(Collections.list(zip.entries()));
                entries.sort((a, b) -> a.getName().compareTo(b.getName()));
                for (ZipEntry e : entries) {
                    sha1.update(e.getName().getBytes(StandardCharsets.US_ASCII));
                    try (InputStream in = zip.getInputStream(e)) {
                        if (e.getName().endsWith(".properties")) {
                            sha1.update(withoutHashLines(in.readAllBytes()));
                        } else if (e.getName().equals("META-INF/MANIFEST.MF")) {
                            sha1.update(filteredManifest(in));
                        } else {
                            update(sha1, in);
                        }
                    }
                }
            }
        } else {
            sha1.update(path.getBytes(StandardCharsets.US_ASCII));
            try (InputStream in = Files.newInputStream(file)) {
                update(sha1, in);
            }
        }
        return HexFormat.of().formatHex(sha1.digest());
    }

    private static void update(MessageDigest digest, InputStream in) throws IOException {
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
        }
    }

    /** Comment lines of a .properties file dropped, as the updater's filter reads them (see {@link CommentFilter}). */
    static byte[] withoutHashLines(byte[] content) {
        return new CommentFilter(content).run();
    }

    /**
     * The updater's comment filter is a small state machine, reproduced here because its corner cases decide the
     * checksum: a '#' at the start of a line drops everything up to the line's '\n' (which is kept); a line that
     * consists of '#' alone leaves the filter believing it is in the middle of a line, so a '#' line right after it
     * is kept.
     */
    private static final class CommentFilter {
        private final byte[] in;
        private int pos;
        private boolean atLineStart = true;

        CommentFilter(byte[] in) {
            this.in = in;
        }

        byte[] run() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
            for (int c; (c = next()) >= 0; ) {
                out.write(c);
            }
            return out.toByteArray();
        }

        private int next() {
            int c = pos < in.length ? in[pos++] & 0xff : -1;
            if (atLineStart) {
                if (c == '#') {
                    do {
                        c = next();
                    } while (c != '\n' && c != -1);
                } else {
                    atLineStart = false;
                }
            } else if (c == '\n') {
                atLineStart = true;
            }
            return c;
        }
    }

    /** The manifest's lines, each ended by '\n', without the build-describing attributes. */
    static byte[] filteredManifest(InputStream in) throws IOException {
        StringBuilder kept = new StringBuilder();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line; (line = reader.readLine()) != null; ) {
            int colon = line.indexOf(':');
            if (colon > 0 && MANIFEST_SKIPPED.contains(line.substring(0, colon).toUpperCase(Locale.ROOT))) {
                continue;
            }
            kept.append(line).append('\n');
        }
        return kept.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
