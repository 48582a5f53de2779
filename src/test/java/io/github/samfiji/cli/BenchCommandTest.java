package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench's figures come out for both model families, and the reference bench's beside them as ratios. */
class BenchCommandTest {

    @TempDir
    Path temp;

    private static String run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertEquals(0, SamFijiCli.run(args), "exit code");
        } finally {
            System.setOut(saved);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static double figure(String text, String prefix) {
        String line = text.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line '" + prefix + "' in:\n" + text));
        return Double.parseDouble(line.substring(prefix.length()).trim().split("[ ,]+")[0]);
    }

    @Test
    void referenceFiguresArePrintedAsRatiosOfOurs() throws Exception {
        // A stand-in for ref_bench.py run by the shell: the reference's JSON line with round numbers.
        Path script = temp.resolve("ref_bench.sh");
        Files.writeString(script, "echo 'loading...'\nsleep 0.5\necho '{\"model\": \"'$1'\", \"torch\": \"1.13\", "
                + "\"encoder_s_median\": 2.0, \"decoder_ms_median\": 100.0, \"peak_rss_mb\": 1000.0}'\n");
        String text = run("bench", "--preset", "vit_t", "--image-size", "64", "--runs", "1", "--warmup", "0",
                "--prompts", "2", "--reference", script.toString(), "--python", "/bin/sh");
        double encoderMs = figure(text, "encoder ms (median of 1)");
        double fullDecoderMs = figure(text, "decoder ms/prompt, all 3 full-size logits");
        assertTrue(text.contains("reference (PyTorch 1.13):"), text);
        assertEquals(encoderMs / 1000 / 2.0, figure(text, "  encoder      ours " + String.format("%.2f s, reference 2.00 s, ratio",
                encoderMs / 1000)), 0.006, text);
        assertEquals(fullDecoderMs / 100.0, figure(text, "  decoder      ours " + String.format("%.1f ms, reference 100.0 ms, ratio",
                fullDecoderMs)), 0.006, text);
        // The reference's memory is its own (a small shell), measured from outside: not the JSON's figure, and not the
        // JVM's peak, which Linux would report as the child's own getrusage peak.
        String rss = text.lines().filter(l -> l.startsWith("  peak RSS")).findFirst().orElseThrow();
        double referenceMb = Double.parseDouble(rss.replaceAll(".*reference ([0-9.]+) MB.*", "$1"));
        assertTrue(referenceMb < 50, rss);
    }

    @Test
    @NeedsSharedData
    void sam2ModelsAreTimedWithTheirMemoryTracking() {
        Path fixture = Fixtures.set("sam2_tiny");
        String text = run("bench", "--checkpoint", fixture.resolve("sam2_tiny.pt").toString(), "--config",
                fixture.resolve("config.json").toString(), "--runs", "1", "--warmup", "0", "--prompts", "2",
                "--propagate-slices", "3", "--amg", "--amg-points", "4");
        assertTrue(text.contains("(sam2.1)"), text);
        assertTrue(figure(text, "encoder ms (median of 1)") > 0, text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("tracking 3 slices (memory): encode")), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("AMG 4x4 points (published filters)")), text);
    }
}
