package io.github.samfiji.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Java data becomes a tensor only through {@link Ops#constant}: DJL's {@code NDManager.create(data...)} borrows a
 * Java buffer that autograd may read after it was freed (see BackwardMemoryTest for the failure this prevents).
 */
class TensorOwnershipRuleTest {

    private static final Pattern BORROWING_CREATE = Pattern.compile("\\.create\\((?!\\))");

    @Test
    void noSourceOutsideOpsCreatesBorrowedTensors() throws IOException {
        List<String> offenders = new ArrayList<>();
        Path root = Path.of("src/main/java");
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                if (file.endsWith(Path.of("io/github/samfiji/model/Ops.java"))) {
                    continue;
                }
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).replace("URI.create(", "");
                    if (BORROWING_CREATE.matcher(line).find()) {
                        offenders.add(root.relativize(file) + ":" + (i + 1));
                    }
                }
            }
        }
        assertEquals(List.of(), offenders, "use Ops.constant instead of NDManager.create for Java data");
    }
}
