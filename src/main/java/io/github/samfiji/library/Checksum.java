package io.github.samfiji.library;

import io.github.samfiji.io.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A published checksum of a file: an algorithm ({@code md5}, {@code sha1}, {@code sha256}) and its hex digest,
 * written {@code "sha256:ec2d..."} as in registries.
 */
public record Checksum(String algorithm, String hex) {

    public Checksum {
        algorithm = algorithm.toLowerCase(Locale.ROOT);
        hex = hex.toLowerCase(Locale.ROOT);
        javaName(algorithm); // fails early on an unknown algorithm
        if (!hex.matches("[0-9a-f]+")) {
            throw new IllegalArgumentException("checksum '" + hex + "' is not hexadecimal");
        }
    }

    /** Reads {@code "algorithm:hex"}. */
    public static Checksum parse(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("checksum '" + text + "' must be written algorithm:hex, e.g. sha256:ab12...");
        }
        return new Checksum(text.substring(0, colon).trim(), text.substring(colon + 1).trim());
    }

    private static String javaName(String algorithm) {
        return switch (algorithm) {
            case "md5" -> "MD5";
            case "sha1" -> "SHA-1";
            case "sha256" -> "SHA-256";
            default -> throw new IllegalArgumentException("unsupported checksum algorithm '" + algorithm
                    + "' (md5, sha1 or sha256)");
        };
    }

    /** The digest of a file with this checksum's algorithm, reported as progress; cancellable. */
    public String compute(Path file, Progress progress) throws IOException {
        return digest(algorithm, file, progress);
    }

    public boolean matches(Path file, Progress progress) throws IOException {
        return hex.equals(compute(file, progress));
    }

    static String digest(String algorithm, Path file, Progress progress) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(javaName(algorithm));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long size = Files.size(file);
        long done = 0;
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, n);
                done += n;
                progress.checkCancelled();
                progress.update(size == 0 ? 1 : (double) done / size, "verifying " + file.getFileName());
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
