package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Runs a macro of macros/ with the real ImageJ 1 jar in -batch mode, with sam-fiji installed as a user installs it
 * (the plugin jar in plugins/, its libraries in plugins/jars/), in a fresh ImageJ folder under {@code home}.
 */
final class ImageJBatch {

    /** What the run printed and how it ended. */
    record Result(int exit, String log) {
    }

    private final Path home;
    private Path ijJar;

    ImageJBatch(Path home) {
        this.home = home;
    }

    Result run(String macro, String arguments) throws Exception {
        if (ijJar == null) {
            Path jars = Files.createDirectories(home.resolve("plugins/jars"));
            ijJar = installClasspath(jars);
            jar(Path.of("target/classes"), home.resolve("plugins/sam_fiji-test.jar"));
        }
        Path log = Files.createTempFile(home, "batch", ".txt");
        Process p = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-Dplugins.dir=" + home,
                "-jar", ijJar.toString(), "-batch", Path.of("macros", macro).toAbsolutePath().toString(), arguments)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(300, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(finished, macro + " did not finish; its output: " + text);
        return new Result(p.exitValue(), text);
    }

    private static Path installClasspath(Path jars) throws IOException {
        Path ij = null;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path e = Path.of(entry);
            String name = e.getFileName().toString();
            if (!name.endsWith(".jar") || name.startsWith("junit") || name.startsWith("surefire")) {
                continue;
            }
            if (name.matches("ij-1\\..*\\.jar")) {
                ij = e;
            } else {
                Files.createSymbolicLink(jars.resolve(name), e.toAbsolutePath());
            }
        }
        assertTrue(ij != null, "ImageJ jar on the class path");
        return ij;
    }

    private static void jar(Path classes, Path target) throws IOException {
        try (OutputStream os = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(os);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
    }
}
