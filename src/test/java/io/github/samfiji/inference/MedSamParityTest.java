package io.github.samfiji.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.image.MedSamPreprocessing;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.Assertions2;
import io.github.samfiji.testing.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MedSAM's preprocessing profile against MedSAM's own inference steps ({@code MedSAM_Inference.py}) run with the
 * reference segment_anything code on the tiny fixture weights ({@code samples/sam_tiny.pth}, input 256), stored by
 * {@code src/test/resources/medsam/make_medsam_reference.py}: two odd-sized RGB images, one squashed from 301 x 217,
 * one from 150 x 1030 (wider than 1024: the anti-aliasing Gaussian runs with radius 6).
 *
 * <p>The 8-bit resized image is reproduced exactly (no pixel flipped by the truncation to uint8 on these images), so
 * the encoder input matches to float32 rounding; logits and probabilities at 1e-4.
 */
class MedSamParityTest {

    private static final double TOLERANCE = 1e-4;
    private static SamModel model;

    @BeforeAll
    static void load(@TempDir Path dir) throws IOException {
        // The fixture's own sidecar (head counts cannot be inferred from shapes) with MedSAM's profile added.
        com.google.gson.JsonObject config = com.google.gson.JsonParser.parseString(
                Files.readString(Path.of("samples/sam_tiny.json"))).getAsJsonObject();
        config.addProperty("preprocessing", "medsam");
        Path json = dir.resolve("medsam.json");
        Files.writeString(json, config.toString());
        model = ModelLoader.load(Path.of("samples/sam_tiny.pth"), json);
        assertEquals(SamConfig.Preprocessing.MEDSAM, model.config().preprocessing());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    static Npy npy(String name) {
        try {
            return Npy.read(Path.of(MedSamParityTest.class.getResource("/medsam/" + name + ".npy").toURI()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The script's {@code synthetic(h, w)}: a flat body, a flat disk, a noisy block and a gradient band. */
    static Rgb8Image synthetic(int h, int w) {
        byte[] rgb = new byte[h * w * 3];
        long mask = 0xFFFFFFFFL;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    long v = 0;
                    long dx = 2L * x - w;
                    long dy = 2L * y - h;
                    if (100 * (dx * dx * h * h + dy * dy * w * w) < 49L * w * w * h * h) {
                        v = 60 + 30 * c;
                    }
                    long cx = x - w / 3;
                    long cy = y - h / 2;
                    long r = Math.min(w, h) / 5;
                    if (cx * cx + cy * cy < r * r) {
                        v = 220 - 20 * c;
                    }
                    if (w / 2 <= x && x < 3 * w / 4 && h / 4 <= y && y < 3 * h / 4) {
                        long hh = ((x * 73856093L) ^ (y * 19349663L) ^ (c * 83492791L)) & mask;
                        hh = ((hh ^ (hh >>> 13)) * 0x5BD1E995L) & mask;
                        hh ^= hh >>> 15;
                        v = 80 + hh % 100;
                    }
                    if (y < h / 6) {
                        v = (x * 255L) / (w - 1);
                    }
                    rgb[(y * w + x) * 3 + c] = (byte) v;
                }
            }
        }
        return new Rgb8Image(w, h, rgb);
    }

    /** Pixels (of H x W x 3 values) where our 8-bit resize differs from skimage's; each may differ by one level. */
    private static int flippedValues(String image, Rgb8Image resized) {
        byte[] expected = npy(image + "__resized").bytes();
        byte[] actual = resized.toBytes();
        assertEquals(expected.length, actual.length);
        int flipped = 0;
        for (int i = 0; i < expected.length; i++) {
            int d = Math.abs((expected[i] & 0xff) - (actual[i] & 0xff));
            assertTrue(d <= 1, "value " + i + " differs by " + d + " grey levels");
            flipped += d;
        }
        return flipped;
    }

    @Test
    void resizedImageAndEncoderInputMatchMedSam() {
        Rgb8Image tall = synthetic(301, 217);
        Rgb8Image resized = MedSamPreprocessing.resize(tall, 256);
        assertEquals(0, flippedValues("tall", resized), "values flipped by the uint8 truncation (tall)");
        float[] input = MedSamPreprocessing.normalize(resized);
        Assertions2.assertClose("tall encoder input", npy("tall__input").floats(), input, TOLERANCE);
        assertEquals(0, flippedValues("wide", MedSamPreprocessing.resize(synthetic(150, 1030), 256)),
                "values flipped by the uint8 truncation (wide)");
    }

    @Test
    void boxAndPointLogitsAndProbabilitiesMatchMedSam() {
        SamPredictor predictor = new SamPredictor(model);
        try (ImageEmbedding e = predictor.encode(synthetic(301, 217))) {
            assertEquals(256, e.inputWidth());
            assertEquals(256, e.inputHeight());
            double[] b = npy("tall__box__box").doubles();
            Prediction box = predictor.predict(e, new Prompt(null, new Prompt.Box(b[0], b[1], b[2], b[3]), null), false);
            assertEquals(1, box.count());
            Assertions2.assertClose("tall box low-res logits", npy("tall__box__low_res_logits").floats(),
                    box.lowRes()[0], TOLERANCE);
            float[] prob = npy("tall__box__prob").floats();
            float[] logits = box.logits(0);
            assertEquals(prob.length, logits.length);
            float[] ours = sigmoid(logits);
            Assertions2.assertClose("tall box probability", prob, ours, TOLERANCE);
            System.out.printf(java.util.Locale.ROOT, "MedSAM parity (tall box): low-res logits %.2e, probability %.2e%n",
                    Assertions2.maxAbsDiff(npy("tall__box__low_res_logits").floats(), box.lowRes()[0]),
                    Assertions2.maxAbsDiff(prob, ours));
            boolean[] mask = box.mask(0);
            int foreground = 0;
            for (int i = 0; i < prob.length; i++) {
                if (Math.abs(prob[i] - 0.5) > TOLERANCE) {
                    assertEquals(prob[i] > 0.5, mask[i], "mask pixel " + i);
                }
                foreground += mask[i] ? 1 : 0;
            }
            assertTrue(foreground > 0 && foreground < prob.length, "a mask that is neither empty nor full");

            // MedSAM gives its single mask even when several are asked for.
            Prediction asked3 = predictor.predict(e, new Prompt(null, new Prompt.Box(b[0], b[1], b[2], b[3]), null), true);
            assertEquals(1, asked3.count());
            org.junit.jupiter.api.Assertions.assertArrayEquals(box.lowRes()[0], asked3.lowRes()[0]);

            double[] p = npy("tall__point__point").doubles();
            Prediction point = predictor.predict(e, new Prompt(java.util.List.of(new Prompt.Point(p[0], p[1], 1)),
                    null, null), false);
            Assertions2.assertClose("tall point low-res logits", npy("tall__point__low_res_logits").floats(),
                    point.lowRes()[0], TOLERANCE);
        }
        try (ImageEmbedding e = predictor.encode(synthetic(150, 1030))) {
            double[] b = npy("wide__box__box").doubles();
            Prediction box = predictor.predict(e, new Prompt(null, new Prompt.Box(b[0], b[1], b[2], b[3]), null), false);
            Assertions2.assertClose("wide box low-res logits", npy("wide__box__low_res_logits").floats(),
                    box.lowRes()[0], TOLERANCE);
            float[] rows = npy("wide__box__prob_rows").floats();
            float[] all = sigmoid(box.logits(0));
            float[] every10th = new float[rows.length];
            for (int r = 0; r < rows.length / 1030; r++) {
                System.arraycopy(all, r * 10 * 1030, every10th, r * 1030, 1030);
            }
            Assertions2.assertClose("wide box probability (every 10th row)", rows, every10th, TOLERANCE);
        }
    }

    /**
     * Reruns the reference script (when /usr/bin/python3 has torch, skimage and scipy) into a temporary folder and checks
     * that it reproduces every committed file: the references above are what MedSAM's steps give today.
     */
    @Test
    void referenceScriptReproducesTheCommittedFiles(@TempDir Path out) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3");
        Path script = Path.of("src/test/resources/medsam/make_medsam_reference.py");
        Process p = new ProcessBuilder(python.toString(), script.toString(), out.toString()).redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), "the reference script did not finish");
        org.junit.jupiter.api.Assumptions.assumeFalse(text.contains("No module named"),
                "python lacks torch, skimage or scipy: " + text.strip());
        assertEquals(0, p.exitValue(), text);
        Path committed = script.getParent();
        int files = 0;
        try (java.util.stream.Stream<Path> list = Files.list(committed)) {
            for (Path file : (Iterable<Path>) list.filter(f -> f.toString().endsWith(".npy"))::iterator) {
                Path fresh = out.resolve(file.getFileName().toString());
                assertTrue(Files.exists(fresh), "the script no longer writes " + file.getFileName());
                files++;
                if (Files.mismatch(file, fresh) == -1) {
                    continue;
                }
                // Another CPU may round torch's float32 arithmetic differently; 8-bit and float64 files must be equal.
                Npy a = Npy.read(file);
                Npy b = Npy.read(fresh);
                assertEquals("f4", a.dtype, file.getFileName() + " differs");
                org.junit.jupiter.api.Assertions.assertArrayEquals(a.shape, b.shape);
                Assertions2.assertClose(file.getFileName().toString(), a.floats(), b.floats(), 1e-5);
            }
        }
        assertEquals(23, files, "reference files");
        for (String big : new String[] {"big_flat_1300x700_to_1024.txt", "big_ramp_1100x1200_to_1024.txt"}) {
            assertEquals(-1, Files.mismatch(committed.resolve(big), out.resolve(big)), big + " differs");
        }
    }

    private static float[] sigmoid(float[] logits) {
        float[] out = new float[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (1 / (1 + Math.exp(-logits[i])));
        }
        return out;
    }
}
