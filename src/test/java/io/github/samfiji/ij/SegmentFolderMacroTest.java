package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ij.gui.Roi;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.testing.Fixtures;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * macros/segment_folder.ijm run by the real ImageJ 1 jar in -batch mode, with sam-fiji installed the way a user
 * installs it (the plugin jar in plugins/, its libraries in plugins/jars/): every image of a folder is segmented
 * from the prompts beside it, and the saved RoiSets hold the reference masks.
 */
class SegmentFolderMacroTest {

    @TempDir
    Path temp;

    /** What an ImageJ -batch run printed and how it ended. */
    private record Batch(int exit, String log) {
    }

    /** Installs sam-fiji into a fresh ImageJ folder once per test and runs a macro with ImageJ -batch. */
    private Batch batch(String macro, String arguments) throws Exception {
        Path ijHome = temp.resolve("ImageJ");
        Path jars = ijHome.resolve("plugins/jars");
        if (ijJar == null) {
            ijJar = installClasspath(Files.createDirectories(jars));
            jar(Path.of("target/classes"), ijHome.resolve("plugins/sam_fiji-test.jar"));
        }
        Path log = Files.createTempFile(temp, "batch", ".txt");
        Process p = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-Dplugins.dir=" + ijHome,
                "-jar", ijJar.toString(), "-batch", Path.of("macros", macro).toAbsolutePath().toString(), arguments)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(240, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(finished, macro + " did not finish; its output: " + text);
        return new Batch(p.exitValue(), text);
    }

    private Path ijJar;

    @Test
    void segmentsAFolderFromCsvPrompts() throws Exception {
        assumeFalse(GraphicsEnvironment.isHeadless(), "ImageJ -batch needs a display (Xvfb); skipping");
        Path in = Files.createDirectories(temp.resolve("in"));
        Path out = temp.resolve("out");
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("a.png"));
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("b.png"));
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("c.png"));
        Files.writeString(in.resolve("a.csv"), "object,kind,x0,y0,x1,y1,label\n1,box,30,29,77,76,\n");
        Files.writeString(in.resolve("b.csv"), "1,point,53,52,,,1\n1,point,72,120,,,1\n1,point,30,110,,,0\n");

        Batch run = batch("segment_folder.ijm", "input=" + in + " model=" + Path.of("samples/sam_tiny.pth").toAbsolutePath()
                + " output=" + out);
        assertEquals(0, run.exit(), run.log());
        String log = run.log();
        assertTrue(log.contains("segmented 3 image(s)"), log);
        assertTrue(log.contains("no prompts for c.png"), log);

        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals("image,prompts,objects,rois_file,seconds", summary.get(0));
        assertTrue(summary.get(1).startsWith("a.png,a.csv,1,a_sam.zip,"), summary.get(1));
        assertTrue(summary.get(2).startsWith("b.png,b.csv,1,b_sam.zip,"), summary.get(2));
        assertTrue(summary.get(3).startsWith("c.png,none,0,"), summary.get(3));

        // a: the reference box case, best of 3 candidates.
        assertMatches(rois(out.resolve("a_sam.zip")), "box__mmT", true);
        // b: the reference points3 case (2 object points, 1 background point), best of 3 candidates.
        assertMatches(rois(out.resolve("b_sam.zip")), "points3__mmT", true);
    }

    @Test
    void errorsExitNonZeroUnderBatch() throws Exception {
        assumeFalse(GraphicsEnvironment.isHeadless(), "ImageJ -batch needs a display (Xvfb); skipping");
        Path in = Files.createDirectories(temp.resolve("in"));
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("a.png"));
        Files.writeString(in.resolve("a.csv"), "1,point,500,10,,,1\n"); // a point outside the image
        String[][] cases = {
            {"model=/no/such.pth", "model file not found"},
            {"model=" + Path.of("samples/sam_tiny.pth").toAbsolutePath(), "lies outside"},
        };
        for (String[] c : cases) {
            Batch b = batch("segment_folder.ijm", "input=" + in + " " + c[0] + " output=" + temp.resolve("out"));
            assertEquals(1, b.exit(), "exit status for '" + c[1] + "': " + b.log());
            assertTrue(b.log().contains(c[1]), b.log());
        }
    }

    @Test
    void evaluatesAFolderAgainstLabels() throws Exception {
        assumeFalse(GraphicsEnvironment.isHeadless(), "ImageJ -batch needs a display (Xvfb); skipping");
        Path pred = Files.createDirectories(temp.resolve("pred"));
        Path truth = Files.createDirectories(temp.resolve("truth"));
        square(pred.resolve("a.png"), 10, 8);   // against a 10 x 10 square: Dice 160/180
        square(truth.resolve("a.png"), 10, 10);
        square(pred.resolve("b.png"), 10, 10);  // identical: Dice 1
        square(truth.resolve("b.png"), 10, 10);
        square(pred.resolve("lonely.png"), 4, 4);
        Path csv = temp.resolve("out/metrics.csv");
        Batch b = batch("evaluate_folder.ijm", "predictions=" + pred + " truth=" + truth + " output=" + csv);
        assertEquals(0, b.exit(), b.log());
        String log = b.log();
        assertTrue(log.contains("lonely") && log.contains("no truth"), "unmatched name reported: " + log);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("image,label,dice,iou,sensitivity,specificity,precision,f1,auc,hd95,assd", lines.get(0));
        assertTrue(lines.get(1).startsWith("a,255,0.888888"), lines.get(1));
        assertTrue(lines.get(2).startsWith("b,255,1,") || lines.get(2).startsWith("b,255,1.0"), lines.get(2));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("mean,255,0.944444")), String.join("\n", lines));
    }

    private static void square(Path file, int w, int h) {
        ij.process.ByteProcessor ip = new ij.process.ByteProcessor(20, 20);
        ip.setValue(255);
        ip.setRoi(5, 5, w, h);
        ip.fill();
        new ij.io.FileSaver(new ij.ImagePlus(file.getFileName().toString(), ip)).saveAsPng(file.toString());
    }

    private static Roi[] rois(Path zip) {
        RoiManager hidden = new RoiManager(true);
        assertTrue(hidden.open(zip.toString()), "RoiSet " + zip);
        return hidden.getRoisAsArray();
    }

    private static void assertMatches(Roi[] rois, String reference, boolean best) {
        assertEquals(1, rois.length);
        float[] iou = Fixtures.npy("sam_tiny", reference + "__iou_predictions").floats();
        int c = 0;
        for (int i = 1; best && i < iou.length; i++) {
            c = iou[i] > iou[c] ? i : c;
        }
        float[] logits = Fixtures.npy("sam_tiny", reference + "__logits_orig").floats();
        boolean[] mask = MaskRois.toMask(rois[0], 97, 150);
        int area = 97 * 150;
        for (int k = 0; k < area; k++) {
            if (Math.abs(logits[c * area + k]) > 1e-4) {
                assertEquals(logits[c * area + k] > 0, mask[k], reference + " pixel " + k);
            }
        }
    }

    /** Links every library of the test class path into plugins/jars; returns ImageJ's own jar. */
    static Path installClasspath(Path jars) throws IOException {
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

    /** Packs the compiled plugin (classes, plugins.config, resources) as a jar with an underscore in its name. */
    static void jar(Path classes, Path target) throws IOException {
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
