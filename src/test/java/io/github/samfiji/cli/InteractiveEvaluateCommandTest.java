package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.process.ByteProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InteractiveEvaluateCommandTest {

    @TempDir
    Path temp;

    private Path truth(int w, int h) {
        ByteProcessor ip = new ByteProcessor(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if ((x - 53) * (x - 53) + (y - 52) * (y - 52) <= 400) {
                    ip.set(x, y, 255);
                } else if ((x - 30) * (x - 30) + (y - 110) * (y - 110) <= 150) {
                    ip.set(x, y, 128);
                }
            }
        }
        Path file = temp.resolve("truth" + w + ".png");
        new ij.io.FileSaver(new ImagePlus("t", ip)).saveAsPng(file.toString());
        return file;
    }

    @Test
    void writesDicePerRoundAndTheMeanCurve() throws Exception {
        Path out = temp.resolve("run");
        int code = SamFijiCli.run("evaluate-interactive", "--checkpoint", "samples/sam_tiny.pth", "--images",
                "samples/fixture-image.png", "--truth", truth(97, 150).toString(), "--rounds", "3", "--out", out.toString());
        assertEquals(0, code);
        List<String> lines = Files.readAllLines(temp.resolve("run.csv"));
        assertEquals("image,label,dice_round0,dice_round1,dice_round2,dice_round3", lines.get(0));
        assertEquals(4, lines.size(), "two objects (labels 128 and 255) and the mean");
        assertTrue(lines.get(1).startsWith("fixture-image.png,128,"));
        assertTrue(lines.get(2).startsWith("fixture-image.png,255,"));
        String[] a = lines.get(1).split(",");
        String[] b = lines.get(2).split(",");
        String[] mean = lines.get(3).split(",");
        for (int c = 2; c < a.length; c++) {
            assertEquals((Double.parseDouble(a[c]) + Double.parseDouble(b[c])) / 2, Double.parseDouble(mean[c]), 1e-6);
        }
        ImagePlus plot = IJ.openImage(temp.resolve("run.png").toString());
        assertTrue(plot != null && plot.getWidth() > 100, "the curve is plotted as PNG");
    }

    @Test
    void sizeMismatchAndBadStartAreErrors() {
        assertNotEquals(0, SamFijiCli.run("evaluate-interactive", "--checkpoint", "samples/sam_tiny.pth", "--images",
                "samples/fixture-image.png", "--truth", truth(50, 50).toString(), "--out", temp.resolve("x").toString()));
        assertNotEquals(0, SamFijiCli.run("evaluate-interactive", "--checkpoint", "samples/sam_tiny.pth", "--images",
                "samples/fixture-image.png", "--truth", truth(97, 150).toString(), "--start", "scribble", "--out",
                temp.resolve("y").toString()));
        assertTrue(Files.notExists(temp.resolve("x.csv")) && Files.notExists(temp.resolve("y.csv")), "no partial output");
    }
}
