package io.github.samfiji.cli;

import static io.github.samfiji.cli.EvaluateCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.io.FileSaver;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import io.github.samfiji.cli.EvaluateCommandTest.Run;
import io.github.samfiji.evaluation.MetricsTable;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real expert masks (BUSI, when ../shared/data/busi exists): against themselves and against an erosion. */
@NeedsSharedData
class BusiEvaluationTest {

    @TempDir
    Path dir;

    @Test
    void masksAgainstThemselvesAndTheirErosion() throws IOException {
        Path masks = Fixtures.data("busi").resolve("masks");
        List<Path> files;
        try (var list = Files.list(masks)) {
            files = list.filter(p -> p.toString().endsWith(".png")).sorted().limit(4).toList();
        }
        Path eroded = Files.createDirectories(dir.resolve("eroded"));
        for (Path f : files) {
            ImagePlus image = IJ.openImage(f.toString());
            ImageProcessor ip = image.getProcessor();
            int w = ip.getWidth();
            int h = ip.getHeight();
            // Remove every foreground pixel with a background 4-neighbour (or on the border): the erosion whose
            // removed pixels are exactly the mask's surface.
            ByteProcessor out = new ByteProcessor(w, h);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    boolean keep = ip.get(x, y) != 0 && x > 0 && y > 0 && x < w - 1 && y < h - 1
                            && ip.get(x - 1, y) != 0 && ip.get(x + 1, y) != 0 && ip.get(x, y - 1) != 0
                            && ip.get(x, y + 1) != 0;
                    out.set(x, y, keep ? 255 : 0);
                }
            }
            new FileSaver(new ImagePlus("e", out)).saveAsPng(eroded.resolve(f.getFileName()).toString());
            Files.copy(f, Files.createDirectories(dir.resolve("truth")).resolve(f.getFileName()));
        }
        Path self = dir.resolve("self.csv");
        Run r = run(new EvaluateCommand(), "--pred", dir.resolve("truth").toString(), "--truth",
                dir.resolve("truth").toString(), "--binary", "--out", self.toString());
        assertEquals(0, r.code(), r.err());
        MetricsTable same = MetricsTable.read(self);
        assertEquals(files.size(), same.rows().size());
        for (MetricsTable.Row row : same.rows()) {
            assertEquals(1, row.value(0), 0, row.toString());
            assertEquals(0, row.value(7), 0, row.toString());
            assertEquals(0, row.value(8), 0, row.toString());
        }
        Path worse = dir.resolve("eroded.csv");
        r = run(new EvaluateCommand(), "--pred", eroded.toString(), "--truth", dir.resolve("truth").toString(),
                "--binary", "--out", worse.toString());
        assertEquals(0, r.code(), r.err());
        for (MetricsTable.Row row : MetricsTable.read(worse).rows()) {
            // Precision 1 (the erosion lies inside), Dice a little below 1; every eroded surface pixel is exactly 1
            // from the mask's surface and every mask surface pixel at least 1 from the eroded one.
            assertTrue(row.value(0) > 0.9 && row.value(0) < 1, row.toString());
            assertEquals(1, row.value(4), 0, row.toString());
            assertTrue(row.value(7) >= 1 && row.value(7) <= 3, row.toString());
            assertTrue(row.value(8) >= 1 && row.value(8) <= 2, row.toString());
        }
    }
}
