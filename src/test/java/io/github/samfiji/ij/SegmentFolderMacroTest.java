package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.gui.Roi;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsDisplay;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.github.samfiji.imagejio.RoiSets;
import io.github.samfiji.imagejio.MaskRois;

/**
 * macros/segment_folder.ijm run by the real ImageJ 1 jar in -batch mode, with sam-fiji installed the way a user
 * installs it (the plugin jar in plugins/, its libraries in plugins/jars/): every image of a folder is segmented
 * from the prompts beside it, and the saved RoiSets hold the reference masks.
 */
@NeedsDisplay
class SegmentFolderMacroTest {

    @TempDir
    Path temp;

    private ImageJBatch imageJ;

    /** Runs a macro with ImageJ -batch on sam-fiji installed in a fresh ImageJ folder (one per test). */
    private ImageJBatch.Result batch(String macro, String arguments) throws Exception {
        if (imageJ == null) {
            imageJ = new ImageJBatch(Files.createDirectories(temp.resolve("ImageJ")));
        }
        return imageJ.run(macro, arguments);
    }

    @Test
    @NeedsSharedData
    void segmentsAFolderFromCsvPrompts() throws Exception {
        Path in = Files.createDirectories(temp.resolve("in"));
        Path out = temp.resolve("out");
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("a.png"));
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("b.png"));
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("c.png"));
        Files.writeString(in.resolve("a.csv"), "object,kind,x0,y0,x1,y1,label\n1,box,30,29,77,76,\n");
        Files.writeString(in.resolve("b.csv"), "1,point,53,52,,,1\n1,point,72,120,,,1\n1,point,30,110,,,0\n");

        ImageJBatch.Result run = batch("segment_folder.ijm", "input=" + in + " model=" + Path.of("samples/sam_tiny.pth").toAbsolutePath()
                + " output=" + out);
        assertEquals(0, run.exit(), run.log());
        String log = run.log();
        assertTrue(log.contains("segmented 3 image(s): 2 ok, 0 failed, 1 without prompts"), log);
        assertTrue(log.contains("no prompts for c.png"), log);

        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals("image,prompts,objects,rois_file,seconds,error", summary.get(0));
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
        Path in = Files.createDirectories(temp.resolve("in"));
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("a.png"));
        Files.writeString(in.resolve("a.csv"), "1,point,500,10,,,1\n"); // a point outside the image
        String[][] cases = {
            {"model=/no/such.pth", "model file not found"},
            {"model=" + Path.of("samples/sam_tiny.pth").toAbsolutePath(), "lies outside"},
        };
        for (String[] c : cases) {
            ImageJBatch.Result b = batch("segment_folder.ijm", "input=" + in + " " + c[0] + " output=" + temp.resolve("out"));
            assertEquals(1, b.exit(), "exit status for '" + c[1] + "': " + b.log());
            assertTrue(b.log().contains(c[1]), b.log());
        }
    }

    @Test
    @NeedsSharedData
    void aFailingImageIsReportedAndTheOthersAreSegmented() throws Exception {
        Path in = Files.createDirectories(temp.resolve("in"));
        Path out = temp.resolve("out");
        byte[] png = Files.readAllBytes(Path.of("samples/fixture-image.png"));
        String box = "1,box,30,29,77,76,\n";
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("a.png"));   // good
        Files.writeString(in.resolve("a.csv"), box);
        Files.writeString(in.resolve("b.png"), "this is not an image");       // not an image at all
        Files.writeString(in.resolve("b.csv"), box);
        Files.write(in.resolve("c.png"), java.util.Arrays.copyOf(png, 60));    // a PNG cut short
        Files.writeString(in.resolve("c.csv"), box);
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("d.png"));   // a prompt outside the image
        Files.writeString(in.resolve("d.csv"), "1,point,500,10,,,1\n");
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("e.png"));   // an unreadable ROI set
        Files.writeString(in.resolve("e.zip"), "not a zip");
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("f.png"));   // a malformed prompt line
        Files.writeString(in.resolve("f.csv"), "1,box,30,x,77,76\n");
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("g.png"));   // good, after the failures
        Files.writeString(in.resolve("g.csv"), box);

        ImageJBatch.Result run = batch("segment_folder.ijm", "input=" + in + " model=" + Path.of("samples/sam_tiny.pth").toAbsolutePath()
                + " output=" + out);
        String log = run.log();
        assertEquals(1, run.exit(), "a failed image fails the batch: " + log);
        assertTrue(log.contains("segmented 7 image(s): 2 ok, 5 failed, 0 without prompts"), log);
        assertTrue(log.contains("5 of 7 image(s) failed: b.png c.png d.png e.png f.png"), log);
        String[][] reasons = {
            {"b.png", "cannot read"}, {"c.png", "c.png"}, {"d.png", "lies outside"}, {"e.png", "e.zip"},
            {"f.png", "f.csv line 1"},
        };
        for (String[] r : reasons) {
            String line = log.lines().filter(l -> l.startsWith(r[0] + " failed: ")).findFirst().orElse("");
            assertTrue(line.contains(r[1]), r[0] + " reported with its reason (" + r[1] + "): " + log);
        }

        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals("image,prompts,objects,rois_file,seconds,error", summary.get(0));
        assertEquals(8, summary.size(), String.join("\n", summary));
        assertTrue(summary.get(1).startsWith("a.png,a.csv,1,a_sam.zip,") && summary.get(1).endsWith(","), summary.get(1));
        assertTrue(summary.get(2).startsWith("b.png,b.csv,,,,\"") && summary.get(2).contains("cannot read"),
                summary.get(2));
        assertTrue(summary.get(4).startsWith("d.png,d.csv,,,,\"") && summary.get(4).contains("lies outside"),
                summary.get(4));
        assertTrue(summary.get(7).startsWith("g.png,g.csv,1,g_sam.zip,"), summary.get(7));
        // The good images still hold the reference masks, also the one after the failures.
        assertMatches(rois(out.resolve("a_sam.zip")), "box__mmT", true);
        assertMatches(rois(out.resolve("g_sam.zip")), "box__mmT", true);
        for (String failed : new String[] {"b", "c", "d", "e", "f"}) {
            assertTrue(Files.notExists(out.resolve(failed + "_sam.zip")), failed + ": no ROI file");
        }
    }

    @Test
    void evaluatesAFolderAgainstLabels() throws Exception {
        Path pred = Files.createDirectories(temp.resolve("pred"));
        Path truth = Files.createDirectories(temp.resolve("truth"));
        square(pred.resolve("a.png"), 10, 8);   // against a 10 x 10 square: Dice 160/180
        square(truth.resolve("a.png"), 10, 10);
        square(pred.resolve("b.png"), 10, 10);  // identical: Dice 1
        square(truth.resolve("b.png"), 10, 10);
        square(pred.resolve("lonely.png"), 4, 4);
        Path csv = temp.resolve("out/metrics.csv");
        ImageJBatch.Result b = batch("evaluate_folder.ijm", "predictions=" + pred + " truth=" + truth + " output=" + csv);
        assertEquals(0, b.exit(), b.log());
        String log = b.log();
        assertTrue(log.contains("lonely") && log.contains("no truth"), "unmatched name reported: " + log);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("image,label,dice,iou,sensitivity,specificity,precision,f1,auc,hd95,assd", lines.get(0));
        assertTrue(lines.get(1).startsWith("a,255,0.888888"), lines.get(1));
        assertTrue(lines.get(2).startsWith("b,255,1,") || lines.get(2).startsWith("b,255,1.0"), lines.get(2));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("mean,255,0.944444")), String.join("\n", lines));
    }

    @Test
    void evaluatingAFolderGoesOnAfterABadImage() throws Exception {
        Path pred = Files.createDirectories(temp.resolve("pred"));
        Path truth = Files.createDirectories(temp.resolve("truth"));
        square(pred.resolve("a.png"), 10, 8);   // against a 10 x 10 square: Dice 160/180
        square(truth.resolve("a.png"), 10, 10);
        Files.write(pred.resolve("b.png"), java.util.Arrays.copyOf(Files.readAllBytes(truth.resolve("a.png")), 40));
        square(truth.resolve("b.png"), 10, 10);
        square(pred.resolve("c.png"), 10, 10);  // identical: Dice 1
        square(truth.resolve("c.png"), 10, 10);
        Path csv = temp.resolve("out/metrics.csv");
        ImageJBatch.Result b = batch("evaluate_folder.ijm", "predictions=" + pred + " truth=" + truth + " output=" + csv);
        String log = b.log();
        assertEquals(1, b.exit(), "a failed image fails the batch: " + log);
        assertTrue(log.contains("error: 'b': ") && log.contains("b.png"), "the bad image and why: " + log);
        assertTrue(log.contains("2 image(s) evaluated, 1 failed: b"), log);
        List<String> lines = Files.readAllLines(csv);
        assertTrue(lines.get(1).startsWith("a,255,0.888888"), lines.get(1));
        assertTrue(lines.get(2).startsWith("c,255,1,") || lines.get(2).startsWith("c,255,1.0"), lines.get(2));
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
}
