package io.github.samfiji.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A bare clone (no {@code ../shared}, no display) must pass the suite: every test source that reads the shared folder
 * or drives ImageJ's menus carries the mark that skips it there before its set-up runs.
 */
class TestEnvironmentRuleTest {

    @Test
    void testsThatNeedSharedDataOrADisplaySaySo() throws IOException {
        List<String> unmarked = new ArrayList<>();
        Path root = Path.of("src/test/java");
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith("Test.java"))::iterator) {
                String text = Files.readString(file);
                boolean shared = text.matches("(?s).*\\b(Fixtures|FixtureModels|FixtureImages)\\.\\w+\\(.*");
                boolean display = text.matches("(?s).*\\b(ImageJMenus\\.registerCommands|new ImageJBatch)\\b.*");
                if (shared && !text.contains("@NeedsSharedData")) {
                    unmarked.add(root.relativize(file) + " reads ../shared without @NeedsSharedData");
                }
                if (display && !text.contains("@NeedsDisplay")) {
                    unmarked.add(root.relativize(file) + " needs a display without @NeedsDisplay");
                }
            }
        }
        assertEquals(List.of(), unmarked);
    }
}
