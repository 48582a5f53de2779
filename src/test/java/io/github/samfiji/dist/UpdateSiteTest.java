package io.github.samfiji.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.IJ;
import ij.ImagePlus;
import ij.gui.Roi;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.cli.SamFijiCli;
import io.github.samfiji.imagejio.MaskRois;
import io.github.samfiji.testing.NeedsDisplay;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The update site built from this build: its db.xml.gz read back and checked against the stored files, then
 * installed into a fresh Fiji-style folder the way the updater does it (only files for this platform, verified
 * after "download"), where ImageJ 1, given nothing but that folder, segments an image with the plugin.
 */
class UpdateSiteTest {

    private static final String PLATFORM = "linux64";

    @TempDir
    static Path temp;

    private static UpdateSiteBuilder.Result result;
    private static List<Path> runtime;

    @BeforeAll
    static void buildSite() throws Exception {
        Path classpath = Path.of("target/runtime-classpath.txt");
        assumeTrue(Files.isRegularFile(classpath), "target/runtime-classpath.txt is made by 'mvn process-classes'");
        assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64"),
                "the build's libtorch is linux-x86_64");
        runtime = UpdateSiteBuilder.librariesFrom(classpath);
        Path plugin = temp.resolve("sam_fiji-test.jar");
        jar(Path.of("target/classes"), plugin);
        // A Maven repository holding one other platform's native jar (a stand-in: the real ones are 40-110 MB).
        Path repo = temp.resolve("m2");
        Path mac = Files.createDirectories(repo.resolve("ai/djl/pytorch/pytorch-native-cpu/2.7.1"))
                .resolve("pytorch-native-cpu-2.7.1-osx-aarch64.jar");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(mac))) {
            zip.putNextEntry(new ZipEntry("native/lib/libtorch.dylib"));
            zip.write(new byte[] {1, 2, 3});
            zip.closeEntry();
        }
        result = new UpdateSiteBuilder().pluginJar(plugin).libraries(runtime)
                .policy(Path.of("update-site/fiji-provided.txt")).mavenRepository(repo)
                .log(new PrintStream(OutputStream.nullOutputStream())).build(temp.resolve("site"));
    }

    private static Map<String, SiteFile> index() throws IOException {
        Map<String, SiteFile> byName = new HashMap<>();
        for (SiteFile f : DbXml.read(temp.resolve("site/db.xml.gz"))) {
            byName.put(f.filename(), f);
        }
        return byName;
    }

    @Test
    void indexMatchesTheStoredFiles() throws Exception {
        Map<String, SiteFile> index = index();
        Set<String> names = index.keySet();
        String[] expected = {
            "plugins/sam_fiji-test.jar",
            "jars/djl-api-[0-9.]+\\.jar",
            "jars/pytorch-engine-[0-9.]+\\.jar",
            "jars/pytorch-jni-[0-9.]+-[0-9.]+\\.jar",
            "jars/pickle-[0-9.]+\\.jar",
            "jars/picocli-[0-9.]+\\.jar",
            "jars/linux64/pytorch-native-cpu-2\\.7\\.1-linux-x86_64\\.jar",
            "jars/macos-arm64/pytorch-native-cpu-2\\.7\\.1-osx-aarch64\\.jar",
        };
        for (String pattern : expected) {
            assertEquals(1, names.stream().filter(n -> n.matches(pattern)).count(), pattern + " in " + names);
        }
        assertEquals(expected.length, names.size(), "nothing else (Fiji's own libraries stay out): " + names);
        assertTrue(result.missingPlatforms().contains("win64 (win-x86_64)"), "missing platforms reported");

        Set<String> stored;
        try (Stream<Path> walk = Files.walk(temp.resolve("site"))) {
            stored = walk.filter(Files::isRegularFile).map(p -> temp.resolve("site").relativize(p).toString())
                    .collect(Collectors.toSet());
        }
        Set<String> expectedStored = new HashSet<>(Set.of("db.xml.gz"));
        for (SiteFile f : index.values()) {
            expectedStored.add(f.siteName());
            Path file = temp.resolve("site").resolve(f.siteName());
            assertTrue(String.valueOf(f.timestamp()).matches("20\\d{12}"), f.filename() + " timestamp " + f.timestamp());
            assertEquals(Files.size(file), f.filesize(), f.filename() + " size");
            assertEquals(UpdaterChecksum.of(f.filename(), file), f.checksum(), f.filename() + " checksum");
            if (f.filename().contains("pytorch-native-cpu")) {
                assertEquals(List.of(f.filename().split("/")[1]), f.platforms(), f.filename() + " platform");
            } else {
                assertEquals(List.of(), f.platforms(), f.filename() + " is for every platform");
            }
        }
        assertEquals(expectedStored, stored, "the site holds exactly the indexed files");

        // The plugin jar's dependencies close over every file for all platforms (the natives are installed per
        // platform, not as dependencies), and every dependency is a file of the site.
        Set<String> reached = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of("plugins/sam_fiji-test.jar"));
        while (!todo.isEmpty()) {
            String name = todo.pop();
            SiteFile f = index.get(name);
            assertTrue(f != null, "dependency " + name + " is a file of the site");
            if (reached.add(name)) {
                todo.addAll(f.dependencies());
            }
        }
        Set<String> forAll = index.values().stream().filter(f -> f.platforms().isEmpty()).map(SiteFile::filename)
                .collect(Collectors.toSet());
        assertEquals(forAll, reached);
        assertEquals(6, forAll.size(), "plugin, DJL api, engine, jni, pickle, picocli: " + forAll);
    }

    @Test
    @NeedsDisplay
    void installedLayoutAloneSegmentsAnImage() throws Exception {
        Path fiji = temp.resolve("Fiji.app");
        // What Fiji itself brings (the libraries the policy calls provided), as Fiji keeps them: in jars/.
        Set<String> provided = new HashSet<>();
        for (String line : Files.readAllLines(Path.of("update-site/fiji-provided.txt"))) {
            String[] parts = line.replaceAll("#.*", "").trim().split("\\s+");
            if (parts.length == 2 && parts[1].equals("provided")) {
                provided.add(parts[0]);
            }
        }
        Files.createDirectories(fiji.resolve("jars"));
        Files.createDirectories(fiji.resolve("plugins"));
        for (Path lib : runtime) {
            if (provided.contains(UpdateSiteBuilder.artifact(lib.getFileName().toString()))) {
                Files.copy(lib, fiji.resolve("jars").resolve(lib.getFileName()));
            }
        }
        // The updater: fetch FILENAME-TIMESTAMP for the files of this platform, check size and checksum, put in place.
        for (SiteFile f : index().values()) {
            Path target = fiji.resolve(f.filename());
            if (!f.isFor(PLATFORM)) {
                continue;
            }
            Path downloaded = temp.resolve("download.tmp");
            Files.copy(temp.resolve("site").resolve(f.siteName()), downloaded,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertEquals(f.filesize(), Files.size(downloaded), f.filename());
            assertEquals(f.checksum(), UpdaterChecksum.of(f.filename(), downloaded), f.filename());
            Files.createDirectories(target.getParent());
            Files.move(downloaded, target);
        }
        assertFalse(Files.exists(fiji.resolve("jars/macos-arm64")), "other platforms' natives are not installed");
        assertTrue(Files.exists(fiji.resolve("jars/linux64/pytorch-native-cpu-2.7.1-linux-x86_64.jar")));

        Path in = Files.createDirectories(temp.resolve("images"));
        Path out = temp.resolve("rois");
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("a.png"));
        Files.writeString(in.resolve("a.csv"), "object,kind,x0,y0,x1,y1,label\n1,box,30,29,77,76,\n");
        // Fiji's launcher puts jars/ and jars/<platform>/ on the class path and runs ImageJ with its folder.
        String cp = fiji.resolve("jars") + File.separator + "*" + File.pathSeparator + fiji.resolve("jars/linux64")
                + File.separator + "*";
        Path log = temp.resolve("imagej.log");
        Process p = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-Dplugins.dir=" + fiji,
                "-cp", cp, "ij.ImageJ", "-batch", Path.of("macros/segment_folder.ijm").toAbsolutePath().toString(),
                "input=" + in + " model=" + Path.of("samples/sam_tiny.pth").toAbsolutePath() + " output=" + out)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(240, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(finished, "ImageJ did not finish: " + text);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("segmented 1 image(s)"), text);

        RoiManager hidden = new RoiManager(true);
        assertTrue(hidden.open(out.resolve("a_sam.zip").toString()), "RoiSet written: " + text);
        Roi[] rois = hidden.getRoisAsArray();
        assertEquals(1, rois.length);

        // The same prompt through the headless core of this build: the installed plugin gives the same mask.
        Path cli = temp.resolve("cli");
        PrintStream saved = System.err;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertEquals(0, SamFijiCli.run("segment", "--checkpoint", "samples/sam_tiny.pth", "--image",
                    "samples/fixture-image.png", "--box", "30,29,77,76", "--multimask", "--logits", "--out", cli.toString()));
        } finally {
            System.setErr(saved);
        }
        JsonObject json = JsonParser.parseString(Files.readString(Path.of(cli + ".json"))).getAsJsonObject();
        int chosen = json.get("chosen").getAsInt();
        ImagePlus masks = IJ.openImage(cli + ".masks.tif");
        ImagePlus logits = IJ.openImage(cli + ".logits.tif");
        byte[] mask = (byte[]) masks.getStack().getProcessor(chosen).getPixels();
        float[] logit = (float[]) logits.getStack().getProcessor(chosen).getPixels();
        boolean[] roiMask = MaskRois.toMask(rois[0], masks.getWidth(), masks.getHeight());
        int inside = 0;
        for (int k = 0; k < mask.length; k++) {
            inside += mask[k] != 0 ? 1 : 0;
            if (Math.abs(logit[k]) > 1e-4) {
                assertEquals(mask[k] != 0, roiMask[k], "pixel " + k);
            }
        }
        assertTrue(inside > 100, "a real object, not an empty mask: " + inside + " pixels");
    }

    /** Packs the compiled plugin (classes, plugins.config, resources) as a jar. */
    private static void jar(Path classes, Path target) throws IOException {
        try (OutputStream os = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(os);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
    }
}
