package io.github.samfiji.imagejio;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The NIfTI and DICOM files of {@code src/test/resources/medical} (made by its {@code make_fixtures.py}). */
final class MedicalFixtures {

    private MedicalFixtures() {
    }

    static Path file(String name) {
        try {
            return Path.of(MedicalFixtures.class.getResource("/medical/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs a Python script with /usr/bin/python3 and nibabel; the test is skipped when either is missing.
     *
     * @return the script's standard output
     */
    static String python(String script, String... args) throws IOException, InterruptedException {
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), "no /usr/bin/python3; skipping the nibabel cross-check");
        List<String> command = new ArrayList<>(List.of(python.toString(), "-c", script));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        assumeTrue(p.waitFor(120, TimeUnit.SECONDS), "python did not finish");
        String text = new String(output, StandardCharsets.UTF_8);
        assumeTrue(!text.contains("No module named"), "nibabel or numpy is not installed; skipping: " + text.strip());
        if (p.exitValue() != 0) {
            throw new AssertionError("python failed: " + text);
        }
        return text;
    }
}
