package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.OvalRoi;
import ij.gui.Roi;
import ij.io.FileSaver;
import ij.io.RoiEncoder;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import io.github.samfiji.evaluation.LabelMetrics;
import io.github.samfiji.evaluation.MetricsTable;
import io.github.samfiji.evaluation.SegmentationMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import net.imglib2.img.array.ArrayImgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The evaluate command end to end, on small PNG and TIFF files written with ImageJ. */
class EvaluateCommandTest {

    static final String HEADER = "image,label,dice,iou,sensitivity,specificity,precision,f1,auc,hd95,assd";

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** An 8-bit mask with a filled rectangle of the value. */
    static byte[] rectangle(int width, int height, int x0, int y0, int w, int h, int value) {
        byte[] pixels = new byte[width * height];
        for (int y = y0; y < y0 + h; y++) {
            for (int x = x0; x < x0 + w; x++) {
                pixels[y * width + x] = (byte) value;
            }
        }
        return pixels;
    }

    static Path savePng(Path file, int width, int height, byte[] pixels) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(new FileSaver(new ImagePlus("x", new ByteProcessor(width, height, pixels))).saveAsPng(
                file.toString()));
        return file;
    }

    static Path saveStack(Path file, int width, int height, List<byte[]> slices, double[] spacing) throws IOException {
        Files.createDirectories(file.getParent());
        ImageStack stack = new ImageStack(width, height);
        for (byte[] s : slices) {
            stack.addSlice(new ByteProcessor(width, height, s));
        }
        ImagePlus image = new ImagePlus("x", stack);
        if (spacing != null) {
            image.getCalibration().pixelWidth = spacing[0];
            image.getCalibration().pixelHeight = spacing[1];
            image.getCalibration().pixelDepth = spacing[2];
            image.getCalibration().setUnit("mm");
        }
        assertTrue(new FileSaver(image).saveAsTiffStack(file.toString()));
        return file;
    }

    static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file);
    }

    @Test
    void singlePairOfPngMasks() throws IOException {
        Path p = savePng(dir.resolve("p/case.png"), 10, 8, rectangle(10, 8, 1, 1, 4, 4, 255));
        Path t = savePng(dir.resolve("t/case.png"), 10, 8, rectangle(10, 8, 2, 1, 4, 4, 255));
        Path out = dir.resolve("results.csv");
        Run r = run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = lines(out);
        assertEquals(HEADER, lines.get(0));
        // 4x4 squares shifted by one: TP 12, FP 4, FN 4, TN 60; surfaces 12 pixels each, distances 0 or 1.
        String[] row = lines.get(1).split(",", -1);
        assertEquals("case", row[0]);
        assertEquals("255", row[1]);
        assertEquals(0.75, Double.parseDouble(row[2]), 1e-12);
        assertEquals(0.6, Double.parseDouble(row[3]), 1e-12);
        assertEquals(60.0 / 64, Double.parseDouble(row[5]), 1e-12);
        assertEquals("", row[8]); // no probability map, no AUC
        assertEquals(1, Double.parseDouble(row[9]), 1e-12);
        assertEquals(List.of("mean", "sd", "median", "ci95_low", "ci95_high"),
                lines.subList(2, 7).stream().map(l -> l.split(",")[0]).toList());
        assertEquals(7, lines.size());
        assertTrue(r.out().contains("evaluated 1 image, 1 rows"), r.out());
        assertTrue(r.out().contains("hd95 and assd are in pixel"), r.out());
    }

    @Test
    void foldersReportUnmatchedNamesAndKeepTheRest() throws IOException {
        for (String name : new String[] {"a", "b", "c"}) {
            savePng(dir.resolve("pred/" + name + ".png"), 6, 6, rectangle(6, 6, 1, 1, 3, 3, 1));
        }
        for (String name : new String[] {"a", "b", "d"}) {
            savePng(dir.resolve("truth/" + name + ".png"), 6, 6, rectangle(6, 6, 1, 1, 3, 2, 1));
        }
        Path out = dir.resolve("r.csv");
        Run r = run(new EvaluateCommand(), "--pred", dir.resolve("pred").toString(), "--truth",
                dir.resolve("truth").toString(), "--out", out.toString(), "--bootstrap", "100");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: prediction 'c.png' has no truth file with the same name; skipped"),
                r.err());
        assertTrue(r.err().contains("warning: truth 'd.png' has no prediction file with the same name; skipped"),
                r.err());
        List<String> lines = lines(out);
        assertTrue(lines.get(1).startsWith("a,1,0.8,"), lines.get(1));
        assertTrue(lines.get(2).startsWith("b,1,0.8,"), lines.get(2));
        assertTrue(lines.get(3).startsWith("mean,1,0.8,"), lines.get(3));
        assertTrue(lines.get(4).startsWith("sd,1,0,"), lines.get(4));
    }

    @Test
    void keepGoingReportsABadImageAndEvaluatesTheOthers() throws IOException {
        for (String name : new String[] {"a", "b", "c", "d"}) {
            savePng(dir.resolve("truth/" + name + ".png"), 6, 6, rectangle(6, 6, 1, 1, 3, 2, 1));
        }
        savePng(dir.resolve("pred/a.png"), 6, 6, rectangle(6, 6, 1, 1, 3, 3, 1));
        Files.writeString(dir.resolve("pred/b.png"), "not an image");                 // unreadable
        savePng(dir.resolve("pred/c.png"), 5, 6, new byte[30]);                      // wrong size
        savePng(dir.resolve("pred/d.png"), 6, 6, rectangle(6, 6, 1, 1, 3, 2, 1));
        Path out = dir.resolve("r.csv");
        String[] args = {"--pred", dir.resolve("pred").toString(), "--truth", dir.resolve("truth").toString(),
            "--out", out.toString(), "--bootstrap", "100"};

        // Without --keep-going the first bad image ends the run, and nothing is written.
        Run strict = run(new EvaluateCommand(), args);
        assertEquals(1, strict.code());
        assertFalse(Files.exists(out));

        String[] keepGoing = java.util.Arrays.copyOf(args, args.length + 1);
        keepGoing[args.length] = "--keep-going";
        Run r = run(new EvaluateCommand(), keepGoing);
        assertEquals(1, r.code(), "a failed image gives exit status 1: " + r.err());
        assertTrue(r.err().contains("error: 'b': ") && r.err().contains("cannot read"), r.err());
        assertTrue(r.err().contains("error: 'c': ") && r.err().contains("same size"), r.err());
        assertTrue(r.err().contains("evaluate: 2 image(s) evaluated, 2 failed: b, c"), r.err());
        List<String> lines = lines(out);
        assertEquals(HEADER, lines.get(0));
        assertTrue(lines.get(1).startsWith("a,1,0.8,"), lines.get(1));   // 2 * 6 / (9 + 6)
        assertTrue(lines.get(2).startsWith("d,1,1,"), lines.get(2));
        assertTrue(lines.get(3).startsWith("mean,1,0.9,"), lines.get(3));
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("b,") || l.startsWith("c,")), String.join("\n", lines));

        // Nothing evaluable at all is an error without a results file.
        Files.delete(dir.resolve("pred/a.png"));
        Files.delete(dir.resolve("pred/d.png"));
        Files.delete(out);
        Run none = run(new EvaluateCommand(), keepGoing);
        assertEquals(1, none.code());
        assertTrue(none.err().contains("none of the 2 images could be evaluated"), none.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void sizeMismatchIsAOneLineError() throws IOException {
        savePng(dir.resolve("pred/a.png"), 8, 8, new byte[64]);
        savePng(dir.resolve("truth/a.png"), 8, 6, new byte[48]);
        Run r = run(new EvaluateCommand(), "--pred", dir.resolve("pred").toString(), "--truth",
                dir.resolve("truth").toString(), "--out", dir.resolve("r.csv").toString());
        assertEquals(1, r.code());
        assertEquals("evaluate: error: 'a': prediction is 8x8 pixels but truth is 8x6 pixels: the images must have"
                + " the same size\n", r.err().replace("\r\n", "\n"));
        assertFalse(Files.exists(dir.resolve("r.csv")));
    }

    @Test
    void calibratedStacksGiveDistancesInMillimetres() throws IOException {
        int w = 7;
        int h = 6;
        List<byte[]> truth = List.of(rectangle(w, h, 1, 1, 3, 3, 1), rectangle(w, h, 1, 1, 4, 3, 1),
                rectangle(w, h, 4, 3, 2, 2, 2));
        List<byte[]> prediction = List.of(rectangle(w, h, 1, 1, 3, 2, 1), rectangle(w, h, 2, 1, 4, 3, 1),
                rectangle(w, h, 3, 3, 3, 2, 2));
        double[] spacing = {0.5, 0.7, 2.5};
        Path t = saveStack(dir.resolve("t/vol.tif"), w, h, truth, spacing);
        Path p = saveStack(dir.resolve("p/vol.tif"), w, h, prediction, null);
        Path out = dir.resolve("r.csv");
        Run r = run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("hd95 and assd are in mm"), r.out());
        List<LabelMetrics> expected = new SegmentationMetrics().withSpacing(spacing).evaluate(
                ArrayImgs.unsignedBytes(concat(prediction), w, h, 3), ArrayImgs.unsignedBytes(concat(truth), w, h, 3));
        MetricsTable table = MetricsTable.read(out);
        assertEquals(2, table.rows().size());
        for (int i = 0; i < 2; i++) {
            double[] got = table.rows().get(i).values();
            double[] want = expected.get(i).values();
            for (int c = 0; c < want.length; c++) {
                // TIFF stores the calibration as a fraction (0.7 reads back as 0.70000021).
                assertEquals(want[c], got[c], Double.isNaN(want[c]) ? 0 : 1e-6 * Math.max(1, Math.abs(want[c])),
                        "label " + (i + 1) + " column " + c);
            }
        }
        // --spacing overrides the calibration.
        Path out2 = dir.resolve("r2.csv");
        assertEquals(0, run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out",
                out2.toString(), "--spacing", "1,1,1", "--labels", "2").code());
        MetricsTable unit = MetricsTable.read(out2);
        assertEquals(1, unit.rows().size());
        LabelMetrics two = new SegmentationMetrics().withLabels(2).evaluate(
                ArrayImgs.unsignedBytes(concat(prediction), w, h, 3), ArrayImgs.unsignedBytes(concat(truth), w, h, 3))
                .get(0);
        assertEquals(two.hd95(), unit.rows().get(0).value(7), 1e-15);
        // Per slice: one row per slice and label present.
        Path out3 = dir.resolve("r3.csv");
        assertEquals(0, run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out",
                out3.toString(), "--per-slice").code());
        List<String> rows = lines(out3);
        assertTrue(rows.get(1).startsWith("vol:1,1,"), rows.get(1));
        assertTrue(rows.get(3).startsWith("vol:3,2,"), rows.get(3));
    }

    @Test
    void differentSliceCountsAreAnError() throws IOException {
        byte[] s = new byte[16];
        Path t = saveStack(dir.resolve("t/v.tif"), 4, 4, List.of(s, s, s), null);
        Path p = saveStack(dir.resolve("p/v.tif"), 4, 4, List.of(s, s), null);
        Run r = run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out",
                dir.resolve("r.csv").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("evaluate: error: 'v': prediction has 2 slices but truth has 3"), r.err());
    }

    @Test
    void nonIntegerLabelsAreAnError() throws IOException {
        Files.createDirectories(dir.resolve("p"));
        float[] values = new float[16];
        values[5] = 0.5f;
        IJ.saveAsTiff(new ImagePlus("p", new FloatProcessor(4, 4, values)), dir.resolve("p/x.tif").toString());
        savePng(dir.resolve("t/x.png"), 4, 4, new byte[16]);
        Run r = run(new EvaluateCommand(), "--pred", dir.resolve("p/x.tif").toString(), "--truth",
                dir.resolve("t/x.png").toString(), "--out", dir.resolve("r.csv").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("evaluate: error: 'x': prediction holds the value 0.5 at (x=1, y=1), but labels"
                + " must be non-negative integers"), r.err());
    }

    @Test
    void probabilityMapGivesAucAndCanStandInForThePrediction() throws IOException {
        int w = 6;
        int h = 5;
        byte[] truth = rectangle(w, h, 1, 1, 3, 3, 255);
        float[] prob = new float[w * h];
        for (int i = 0; i < prob.length; i++) {
            prob[i] = truth[i] != 0 ? 0.4f + 0.05f * (i % 7) : 0.1f + 0.07f * (i % 9);
        }
        Path t = savePng(dir.resolve("t/img.png"), w, h, truth);
        Path s = dir.resolve("s/img.tif");
        Files.createDirectories(s.getParent());
        IJ.saveAsTiff(new ImagePlus("s", new FloatProcessor(w, h, prob)), s.toString());
        Path p = savePng(dir.resolve("p/img.png"), w, h, rectangle(w, h, 1, 1, 3, 2, 255));
        Path out = dir.resolve("r.csv");
        Run r = run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--prob", s.toString(),
                "--out", out.toString(), "--binary");
        assertEquals(0, r.code(), r.err());
        double[] positives = new double[9];
        double[] negatives = new double[w * h - 9];
        int np = 0;
        int nn = 0;
        for (int i = 0; i < prob.length; i++) {
            if (truth[i] != 0) {
                positives[np++] = prob[i];
            } else {
                negatives[nn++] = prob[i];
            }
        }
        double auc = io.github.samfiji.evaluation.Roc.auc(positives, negatives);
        MetricsTable table = MetricsTable.read(out);
        assertEquals(auc, table.rows().get(0).value(6), 1e-15);
        // Without --pred the map is thresholded at 0.5.
        Path out2 = dir.resolve("r2.csv");
        Run only = run(new EvaluateCommand(), "--truth", t.toString(), "--prob", s.toString(), "--out",
                out2.toString());
        assertEquals(0, only.code(), only.err());
        MetricsTable thresholded = MetricsTable.read(out2);
        assertEquals(1, thresholded.rows().get(0).label());
        assertEquals(auc, thresholded.rows().get(0).value(6), 1e-15);
    }

    @Test
    void roiSetAsTruth() throws IOException {
        int w = 12;
        int h = 10;
        Roi square = new Roi(1, 1, 4, 4);
        Roi oval = new OvalRoi(6, 2, 5, 6);
        Path zip = dir.resolve("t/img.zip");
        Files.createDirectories(zip.getParent());
        try (OutputStream file = Files.newOutputStream(zip); ZipOutputStream out = new ZipOutputStream(file)) {
            int i = 0;
            for (Roi roi : new Roi[] {square, oval}) {
                out.putNextEntry(new ZipEntry("roi" + (i++) + ".roi"));
                out.write(RoiEncoder.saveAsByteArray(roi));
                out.closeEntry();
            }
        }
        // The prediction paints the same ROIs with labels 1 and 2: a perfect match.
        ByteProcessor labels = new ByteProcessor(w, h);
        labels.setColor(1);
        labels.fill(square);
        labels.setColor(2);
        labels.fill(oval);
        Path p = savePng(dir.resolve("p/img.png"), w, h, (byte[]) labels.getPixels());
        Path out = dir.resolve("r.csv");
        Run r = run(new EvaluateCommand(), "--pred", dir.resolve("p").toString(), "--truth",
                dir.resolve("t").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        MetricsTable table = MetricsTable.read(out);
        assertEquals(2, table.rows().size());
        for (MetricsTable.Row row : table.rows()) {
            assertEquals(1, row.value(0), 1e-15, row.toString());
            assertEquals(0, row.value(7), 1e-15, row.toString());
        }
        assertTrue(Files.exists(p));
        // Both sides ROI sets: the canvas must be given.
        Run noSize = run(new EvaluateCommand(), "--pred", zip.toString(), "--truth", zip.toString(), "--out",
                dir.resolve("r2.csv").toString());
        assertEquals(1, noSize.code());
        assertTrue(noSize.err().contains("--size"), noSize.err());
        assertEquals(0, run(new EvaluateCommand(), "--pred", zip.toString(), "--truth", zip.toString(), "--out",
                dir.resolve("r2.csv").toString(), "--size", "12x10").code());
    }

    @Test
    void instanceMode() throws IOException {
        byte[] truth = new byte[10];
        byte[] prediction = new byte[10];
        int[] t = {1, 1, 1, 1, 0, 2, 2, 2, 2, 2};
        int[] p = {1, 1, 1, 0, 3, 2, 2, 0, 0, 0};
        for (int i = 0; i < 10; i++) {
            truth[i] = (byte) t[i];
            prediction[i] = (byte) p[i];
        }
        Path tp = savePng(dir.resolve("t/cells.png"), 10, 1, truth);
        Path pp = savePng(dir.resolve("p/cells.png"), 10, 1, prediction);
        Path out = dir.resolve("r.csv");
        Run r = run(new EvaluateCommand(), "--pred", pp.toString(), "--truth", tp.toString(), "--out", out.toString(),
                "--instances");
        assertEquals(0, r.code(), r.err());
        List<String> lines = lines(out);
        assertEquals("image,n_truth,n_pred,tp,fp,fn,precision,recall,f1,sa50,sa75,msa,mean_matched_iou",
                lines.get(0));
        assertEquals("cells,2,3,1,2,1,0.3333333333333333,0.5,0.4,0.25,0.25,0.15,0.75", lines.get(1));
        Run bad = run(new EvaluateCommand(), "--pred", pp.toString(), "--truth", tp.toString(), "--out",
                dir.resolve("x.csv").toString(), "--instances", "--labels", "1");
        assertEquals(1, bad.code());
    }

    @Test
    void userMistakesAreClearErrors() throws IOException {
        Path t = savePng(dir.resolve("t/a.png"), 4, 4, new byte[16]);
        Path p = savePng(dir.resolve("p/b.png"), 4, 4, new byte[16]);
        Run nothing = run(new EvaluateCommand(), "--pred", dir.resolve("p").toString(), "--truth",
                dir.resolve("t").toString(), "--out", dir.resolve("r.csv").toString());
        assertEquals(1, nothing.code());
        assertTrue(nothing.err().contains("evaluate: error: no file names in common between"), nothing.err());
        Run mixed = run(new EvaluateCommand(), "--pred", dir.resolve("p").toString(), "--truth", t.toString(),
                "--out", dir.resolve("r.csv").toString());
        assertEquals(1, mixed.code());
        assertTrue(mixed.err().contains("give files or folders on both sides"), mixed.err());
        Run missing = run(new EvaluateCommand(), "--pred", dir.resolve("nope.png").toString(), "--truth",
                t.toString(), "--out", dir.resolve("r.csv").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("prediction not found"), missing.err());
        Run labels = run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out",
                dir.resolve("r.csv").toString(), "--labels", "1,x");
        assertEquals(1, labels.code());
        assertTrue(labels.err().contains("--labels expects 'all' or a comma-separated list"), labels.err());
        Files.writeString(dir.resolve("exists.csv"), "x");
        Run exists = run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out",
                dir.resolve("exists.csv").toString());
        assertEquals(1, exists.code());
        assertTrue(exists.err().contains("exists already") && exists.err().contains("--overwrite"), exists.err());
        assertEquals(0, run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out",
                dir.resolve("exists.csv").toString(), "--overwrite").code());
        Run usage = run(new EvaluateCommand(), "--pred", p.toString());
        assertEquals(2, usage.code());
    }

    @Test
    void differentSingleLabelsSuggestBinary() throws IOException {
        Path p = savePng(dir.resolve("p/a.png"), 6, 6, rectangle(6, 6, 1, 1, 3, 3, 255));
        Path t = savePng(dir.resolve("t/a.png"), 6, 6, rectangle(6, 6, 1, 1, 3, 3, 1));
        Run r = run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out",
                dir.resolve("r.csv").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("use --binary"), r.err());
        assertTrue(r.out().contains("note: label 1 is empty in the prediction only"), r.out());
        Run b = run(new EvaluateCommand(), "--pred", p.toString(), "--truth", t.toString(), "--out",
                dir.resolve("b.csv").toString(), "--binary");
        assertEquals(0, b.code(), b.err());
        assertTrue(lines(dir.resolve("b.csv")).get(1).startsWith("a,1,1,1,"));
    }

    private static byte[] concat(List<byte[]> slices) {
        int n = slices.get(0).length;
        byte[] all = new byte[n * slices.size()];
        for (int i = 0; i < slices.size(); i++) {
            System.arraycopy(slices.get(i), 0, all, i * n, n);
        }
        return all;
    }
}
