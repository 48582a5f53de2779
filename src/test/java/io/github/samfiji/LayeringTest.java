package io.github.samfiji;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages as layers (docs/ARCHITECTURE.md): the core never touches ImageJ, AWT, Swing or SciJava; the headless
 * ImageJ I/O ({@code imagejio}) never touches the Fiji GUI ({@code ij}) or the command line; the command line never
 * touches the Fiji GUI; and no two packages depend on each other. Checked on the sources, imports and fully
 * qualified names alike (comments left out).
 */
class LayeringTest {

    private static final Path ROOT = Path.of("src/main/java/io/github/samfiji");
    private static final Set<String> CORE = Set.of("checkpoint", "model", "inference", "training", "evaluation",
            "image", "io", "library");
    private static final Pattern OWN = Pattern.compile("\\bio\\.github\\.samfiji\\.([a-z]+)\\.");
    private static final Pattern UI = Pattern.compile("(?<![\\w.])(ij\\.[a-z]+|java\\.awt|javax\\.swing|org\\.scijava)\\.");

    @Test
    void packagesDependOnlyDownwards() throws IOException {
        List<String> violations = new ArrayList<>();
        Map<String, Set<String>> uses = new HashMap<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                String pkg = ROOT.relativize(file).getName(0).toString();
                if (pkg.endsWith(".java")) {
                    continue;
                }
                String code = withoutComments(Files.readString(file));
                String name = ROOT.relativize(file).toString();
                Matcher own = OWN.matcher(code);
                while (own.find()) {
                    String used = own.group(1);
                    if (!used.equals(pkg)) {
                        uses.computeIfAbsent(pkg, k -> new HashSet<>()).add(used);
                    }
                    boolean allowed = switch (pkg) {
                        case "cli" -> !used.equals("ij");
                        case "imagejio" -> !used.equals("ij") && !used.equals("cli");
                        case "ij", "dist" -> true;
                        default -> CORE.contains(used);
                    };
                    if (!allowed) {
                        violations.add(name + " uses io.github.samfiji." + used);
                    }
                }
                Matcher ui = UI.matcher(code);
                while (ui.find()) {
                    String what = ui.group(1);
                    boolean allowed = switch (pkg) {
                        case "ij", "dist" -> true;
                        case "cli", "imagejio" -> what.startsWith("ij.") || what.equals("java.awt");
                        default -> false;
                    };
                    if (!allowed) {
                        violations.add(name + " uses " + what);
                    }
                }
            }
        }
        for (Map.Entry<String, Set<String>> e : uses.entrySet()) {
            for (String other : e.getValue()) {
                if (e.getKey().compareTo(other) < 0 && uses.getOrDefault(other, Set.of()).contains(e.getKey())) {
                    violations.add("packages " + e.getKey() + " and " + other + " use each other");
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    private static String withoutComments(String code) {
        return code.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
    }
}
