package io.github.samfiji.dist;

import io.github.samfiji.io.OutputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * Builds a Fiji update site from the Maven build: the plugin jar under {@code plugins/}, every runtime library that
 * Fiji does not ship itself under {@code jars/}, the libtorch native jars under {@code jars/<platform>/} (marked for
 * that platform), each stored as {@code NAME-TIMESTAMP} as the updater expects, and the index {@code db.xml.gz}.
 *
 * <p>Which libraries Fiji ships, and which must not be shipped at all, is read from a list
 * ({@code update-site/fiji-provided.txt}). Native jars for other platforms than the build's come from the local
 * Maven repository when present; {@code --fetch-natives} first asks Maven for the missing ones. See
 * {@code update-site/README.md}.
 */
public final class UpdateSiteBuilder {

    /** DJL's classifiers of pytorch-native-cpu, and the updater's platform names for them. */
    public static final Map<String, String> NATIVE_PLATFORMS = new LinkedHashMap<>();

    static {
        NATIVE_PLATFORMS.put("linux-x86_64", "linux64");
        NATIVE_PLATFORMS.put("linux-aarch64", "linux-arm64");
        NATIVE_PLATFORMS.put("osx-aarch64", "macos-arm64");
        NATIVE_PLATFORMS.put("osx-x86_64", "macos64");
        NATIVE_PLATFORMS.put("win-x86_64", "win64");
    }

    private static final Pattern NATIVE = Pattern.compile("pytorch-native-cpu-([0-9.]+)-([a-z0-9_-]+)\\.jar");
    private static final Pattern VERSIONED = Pattern.compile("(.+?)-\\d.*\\.jar");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** What a build produced. */
    public record Result(Path folder, List<SiteFile> files, long bytes, List<String> platforms,
                         List<String> missingPlatforms) {
    }

    private Path pluginJar;
    private final List<Path> libraries = new ArrayList<>();
    private final Map<String, String> policy = new LinkedHashMap<>();
    private Path mavenRepository = Path.of(System.getProperty("user.home"), ".m2", "repository");
    private boolean fetchNatives;
    private PrintStream log = System.out;

    public UpdateSiteBuilder pluginJar(Path jar) {
        this.pluginJar = jar;
        return this;
    }

    public UpdateSiteBuilder libraries(List<Path> jars) {
        libraries.addAll(jars);
        return this;
    }

    /** Reads the list of libraries Fiji provides ("provided") or that must stay out ("excluded"). */
    public UpdateSiteBuilder policy(Path list) throws IOException {
        int number = 0;
        for (String raw : Files.readAllLines(list)) {
            number++;
            String line = raw.replaceAll("#.*", "").trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !(parts[1].equals("provided") || parts[1].equals("excluded"))) {
                throw new IOException(list + " line " + number + ": expected 'ARTIFACT provided|excluded', got '"
                        + raw + "'");
            }
            policy.put(parts[0], parts[1]);
        }
        return this;
    }

    public UpdateSiteBuilder mavenRepository(Path repository) {
        this.mavenRepository = repository;
        return this;
    }

    public UpdateSiteBuilder fetchNatives(boolean fetch) {
        this.fetchNatives = fetch;
        return this;
    }

    public UpdateSiteBuilder log(PrintStream out) {
        this.log = out;
        return this;
    }

    /** The artifact name of a versioned jar file name ("commons-io-2.16.1.jar" gives "commons-io"). */
    static String artifact(String jarName) {
        Matcher m = VERSIONED.matcher(jarName);
        return m.matches() ? m.group(1) : jarName.replaceAll("\\.jar$", "");
    }

    public Result build(Path out) throws IOException {
        if (pluginJar == null || !Files.isRegularFile(pluginJar)) {
            throw new IOException("plugin jar not found: " + pluginJar + " (run 'mvn -DskipTests package' first)");
        }
        prepare(out);
        List<Input> inputs = new ArrayList<>();
        inputs.add(new Input(pluginJar, "plugins/" + pluginJar.getFileName(), List.of(),
                "Segment Anything (SAM, MobileSAM, MedSAM) in Fiji, running natively in Java through DJL's PyTorch "
                        + "engine, with a model manager."));
        String nativeVersion = null;
        List<String> platforms = new ArrayList<>();
        for (Path lib : libraries) {
            String name = lib.getFileName().toString();
            if (!name.endsWith(".jar")) {
                continue;
            }
            Matcher nat = NATIVE.matcher(name);
            if (nat.matches()) {
                nativeVersion = nat.group(1);
                continue; // all platforms are handled together below
            }
            String artifact = artifact(name);
            String rule = policy.get(artifact);
            if (rule != null) {
                log.println((rule.equals("provided") ? "  provided by Fiji: " : "  left out: ") + name);
                continue;
            }
            if (policy.isEmpty()) {
                throw new IOException("no list of libraries that Fiji provides was given (update-site/fiji-provided.txt)");
            }
            inputs.add(new Input(lib, "jars/" + siteJarName(lib), List.of(), "Library used by sam-fiji: " + name));
        }
        if (nativeVersion == null) {
            throw new IOException("no pytorch-native-cpu jar among the libraries: the update site would have no libtorch");
        }
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, String> e : NATIVE_PLATFORMS.entrySet()) {
            Path jar = nativeJar(nativeVersion, e.getKey());
            if (jar == null && fetchNatives) {
                fetch(nativeVersion, e.getKey());
                jar = nativeJar(nativeVersion, e.getKey());
            }
            if (jar == null) {
                missing.add(e.getValue() + " (" + e.getKey() + ")");
                continue;
            }
            platforms.add(e.getValue());
            inputs.add(new Input(jar, "jars/" + e.getValue() + "/" + jar.getFileName(), List.of(e.getValue()),
                    "libtorch " + nativeVersion + " for the CPU on " + e.getValue() + " (DJL's PyTorch native library)"));
        }

        List<SiteFile> files = new ArrayList<>();
        // The plugin jar depends on the libraries for every platform, not on the native jars: the updater installs
        // a file's dependencies whatever their platform, but installs platform-marked files only where they belong.
        List<String> others = new ArrayList<>();
        for (Input in : inputs.subList(1, inputs.size())) {
            if (in.platforms().isEmpty()) {
                others.add(in.filename());
            }
        }
        long bytes = 0;
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            long stamp = Long.parseLong(STAMP.format(Files.getLastModifiedTime(in.source()).toInstant()));
            SiteFile f = new SiteFile(in.filename(), stamp, UpdaterChecksum.of(in.filename(), in.source()),
                    Files.size(in.source()), in.platforms(), i == 0 ? others : List.of(), in.description());
            Path stored = out.resolve(f.siteName());
            Files.createDirectories(stored.getParent());
            try {
                Files.createLink(stored, in.source()); // the native jars are large: no copy when one filesystem
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(in.source(), stored);
            }
            Files.setLastModifiedTime(stored, FileTime.from(Files.getLastModifiedTime(in.source()).toInstant()));
            files.add(f);
            bytes += f.filesize();
            log.printf(Locale.ROOT, "  %-62s %10d bytes%s%n", f.filename(), f.filesize(),
                    f.platforms().isEmpty() ? "" : "  [" + String.join(",", f.platforms()) + "]");
        }
        OutputFiles.write(out.resolve("db.xml.gz"), true, temp -> {
            try (var os = Files.newOutputStream(temp)) {
                DbXml.write(files, os);
            }
        });
        if (!missing.isEmpty()) {
            log.println("  no native jar for: " + String.join(", ", missing)
                    + (fetchNatives ? " (Maven could not fetch them: see above)" : " (not in the local Maven repository; "
                            + "--fetch-natives asks Maven for them)"));
        }
        return new Result(out, files, bytes, platforms, missing);
    }

    /** DJL's api jar is called just "api-VERSION.jar": renamed, so that it cannot be mistaken in Fiji's jars/. */
    private static String siteJarName(Path jar) throws IOException {
        String name = jar.getFileName().toString();
        if (name.startsWith("api-")) {
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                if (zip.getEntry("META-INF/maven/ai.djl/api/pom.properties") != null
                        || zip.getEntry("ai/djl/Model.class") != null) {
                    return "djl-" + name;
                }
            }
        }
        return name;
    }

    private Path nativeJar(String version, String classifier) {
        String name = "pytorch-native-cpu-" + version + "-" + classifier + ".jar";
        for (Path lib : libraries) {
            if (lib.getFileName().toString().equals(name)) {
                return lib;
            }
        }
        Path inRepo = mavenRepository.resolve("ai/djl/pytorch/pytorch-native-cpu").resolve(version).resolve(name);
        return Files.isRegularFile(inRepo) ? inRepo : null;
    }

    private void fetch(String version, String classifier) throws IOException {
        List<String> command = List.of("mvn", "-B", "-q", "dependency:get", "-Dtransitive=false",
                "-Dmaven.repo.local=" + mavenRepository.toAbsolutePath(),
                "-Dartifact=ai.djl.pytorch:pytorch-native-cpu:" + version + ":jar:" + classifier);
        log.println("  fetching " + classifier + ": " + String.join(" ", command));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output;
            try (InputStream in = p.getInputStream()) {
                output = new String(in.readAllBytes());
            }
            if (p.waitFor() != 0) {
                log.println("  Maven could not fetch " + classifier + ": "
                        + output.lines().filter(l -> l.contains("ERROR")).findFirst().orElse(output.strip()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + classifier, e);
        }
    }

    /** Empties an earlier build's output; refuses a non-empty folder that is not one. */
    private static void prepare(Path out) throws IOException {
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent() && !Files.exists(out.resolve("db.xml.gz"))) {
                    throw new DirectoryNotEmptyException(out + " (not an update site built before; choose an "
                            + "empty or new folder)");
                }
            }
            try (Stream<Path> walk = Files.walk(out)) {
                for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                    if (!p.equals(out)) {
                        Files.delete(p);
                    }
                }
            }
        }
        Files.createDirectories(out);
    }

    private record Input(Path source, String filename, List<String> platforms, String description) {
    }

    /**
     * {@code java -cp target/classes:target/lib/* io.github.samfiji.dist.UpdateSiteBuilder --plugin-jar JAR
     * --libraries DIR|FILE --policy update-site/fiji-provided.txt --out target/update-site [--maven-repo DIR]
     * [--fetch-natives]}; --libraries is a folder of jars (target/lib) or a class path file.
     */
    public static void main(String[] args) throws IOException {
        UpdateSiteBuilder b = new UpdateSiteBuilder();
        Path out = Path.of("target", "update-site");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--plugin-jar" -> b.pluginJar(Path.of(args[++i]));
                case "--libraries" -> b.libraries(librariesFrom(Path.of(args[++i])));
                case "--policy" -> b.policy(Path.of(args[++i]));
                case "--maven-repo" -> b.mavenRepository(Path.of(args[++i]));
                case "--out" -> out = Path.of(args[++i]);
                case "--fetch-natives" -> b.fetchNatives(true);
                default -> {
                    System.err.println("unknown option " + a + "; see update-site/README.md");
                    System.exit(2);
                }
            }
        }
        Result r = b.build(out);
        System.out.printf(Locale.ROOT, "update site: %s: %d files, %.1f MB, platforms %s%n", r.folder(),
                r.files().size(), r.bytes() / 1e6, String.join(", ", r.platforms()));
    }

    /** The jars of a folder, or those named in a class path file (entries separated by the path separator). */
    public static List<Path> librariesFrom(Path source) throws IOException {
        if (Files.isDirectory(source)) {
            try (Stream<Path> s = Files.list(source)) {
                return s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
            }
        }
        List<Path> out = new ArrayList<>();
        for (String entry : Files.readString(source).trim().split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                out.add(Path.of(entry.trim()));
            }
        }
        return out;
    }
}
