package io.github.samfiji.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import io.github.samfiji.testing.Npy;

/** Access to the Pillow references in {@code src/test/resources/image} (written by {@code make_resize_refs.py}). */
final class ResizeReferences {

    private ResizeReferences() {
    }

    static Path resource(String name) {
        URL url = ResizeReferences.class.getResource("/image/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource image/" + name);
        }
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Npy npy(String name) {
        try {
            return Npy.read(resource(name + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> lines(String name) {
        try {
            return Files.readAllLines(resource(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The synthetic RGB image of {@code make_resize_refs.py}'s {@code synthetic(h, w)}: gradients plus hashed noise,
     * {@code H × W × 3} interleaved.
     */
    static Rgb8Image synthetic(int h, int w) {
        byte[] rgb = new byte[h * w * 3];
        long mask = 0xFFFFFFFFL;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    long hh = ((x * 73856093L) ^ (y * 19349663L) ^ (c * 83492791L)) & mask;
                    hh = ((hh ^ (hh >>> 13)) * 0x5BD1E995L) & mask;
                    hh ^= hh >>> 15;
                    long noise = hh & 63;
                    long base = switch (c) {
                        case 0 -> x * 255L / Math.max(w - 1, 1);
                        case 1 -> y * 255L / Math.max(h - 1, 1);
                        default -> ((x + y) * 2L) % 256;
                    };
                    rgb[(y * w + x) * 3 + c] = (byte) Math.min(base * 3 / 4 + noise, 255);
                }
            }
        }
        return new Rgb8Image(w, h, rgb);
    }
}
