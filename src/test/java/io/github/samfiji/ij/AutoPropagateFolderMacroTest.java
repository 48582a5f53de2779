package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Roi;
import ij.process.ByteProcessor;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.github.samfiji.imagejio.RoiSets;

/**
 * macros/auto_folder.ijm and macros/propagate_folder.ijm run headless by the real ImageJ 1 jar with -batch on an
 * installed plugin: every image (stack) of a folder processed, outputs readable and consistent with each other.
 */
@NeedsDisplay
class AutoPropagateFolderMacroTest {

    private static final String MODEL = Path.of("samples/sam_tiny.pth").toAbsolutePath().toString();

    @TempDir
    Path temp;

    @Test
    void autoSegmentsEveryImageOfAFolder() throws Exception {
        Path in = Files.createDirectories(temp.resolve("in"));
        Path out = temp.resolve("out");
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("a.png"));
        Files.copy(Path.of("samples/fixture-image.png"), in.resolve("b.png"));
        Files.write(in.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        ImageJBatch.Result run = new ImageJBatch(Files.createDirectories(temp.resolve("ImageJ"))).run("auto_folder.ijm",
                "input=" + in + " model=" + MODEL + " output=" + out + " points=8 iou=0 stability=0");
        assertEquals(1, run.exit(), "a broken image makes the batch fail at the end: " + run.log());
        assertTrue(run.log().contains("auto-segmented 2 image(s), 1 failed"), run.log());
        assertTrue(run.log().contains("broken.png failed: "), run.log());
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals(4, summary.size(), summary.toString());
        assertTrue(summary.get(3).startsWith("broken.png,,,"), summary.toString());
        for (String stem : new String[] {"a", "b"}) {
            ImagePlus labels = IJ.openImage(out.resolve(stem + "_labels.tif").toString());
            assertEquals(16, labels.getBitDepth());
            int objects = Integer.parseInt(summary.get(stem.equals("a") ? 1 : 2).split(",")[1]);
            assertTrue(objects > 0);
            List<Roi> rois = RoiSets.read(out.resolve(stem + "_objects.zip"));
            assertEquals(objects, rois.size());
            assertEquals(objects, (int) labels.getProcessor().getStatistics().max, "labels 1..n");
        }
        ImageJBatch.Result bad = new ImageJBatch(Files.createDirectories(temp.resolve("ImageJ2"))).run("auto_folder.ijm",
                "input=" + in + " model=" + MODEL + " output=" + out + " mode=panoptic");
        assertEquals(1, bad.exit(), bad.log());
        assertTrue(bad.log().contains("mode must be amg or semantic"), bad.log());
    }

    @Test
    void propagatesThroughEveryStackWithPrompts() throws Exception {
        Path in = Files.createDirectories(temp.resolve("in"));
        Path out = temp.resolve("out");
        ImageStack stack = new ImageStack(64, 64);
        for (int z = 0; z < 5; z++) {
            byte[] px = new byte[64 * 64];
            for (int i = 0; i < px.length; i++) {
                int x = i % 64;
                int y = i / 64;
                px[i] = (byte) ((x - 32) * (x - 32) + (y - 32) * (y - 32) <= 250 ? 200 : 20 + z);
            }
            stack.addSlice(new ByteProcessor(64, 64, px));
        }
        ImagePlus imp = new ImagePlus("vol", stack);
        imp.getCalibration().pixelDepth = 2.5;
        imp.getCalibration().setUnit("mm");
        IJ.saveAsTiff(imp, in.resolve("vol.tif").toString());
        IJ.saveAsTiff(imp, in.resolve("unprompted.tif").toString());
        IJ.saveAsTiff(new ImagePlus("one", stack.getProcessor(1)), in.resolve("flat.tif").toString());
        RoiSets.write(in.resolve("flat.zip"), List.of(new Roi(5, 5, 10, 10)), false);
        Roi box = new Roi(12, 12, 40, 40);
        box.setPosition(3);
        RoiSets.write(in.resolve("vol.zip"), List.of(box), false);
        ImageJBatch.Result run = new ImageJBatch(Files.createDirectories(temp.resolve("ImageJ"))).run(
                "propagate_folder.ijm", "input=" + in + " model=" + MODEL + " output=" + out + " iou=0");
        assertEquals(1, run.exit(), "the 2D image fails the batch at the end: " + run.log());
        assertTrue(run.log().contains("propagated through 1 stack(s), 1 failed"), run.log());
        assertTrue(run.log().contains("flat.tif failed: ") && run.log().contains("2D image"), run.log());
        assertTrue(run.log().contains("no prompts for unprompted.tif"), run.log());
        ImagePlus labels = IJ.openImage(out.resolve("vol_labels.tif").toString());
        assertEquals(5, labels.getStackSize());
        assertEquals(2.5, labels.getCalibration().pixelDepth, 0);
        List<String> volumes = Files.readAllLines(out.resolve("volumes.csv"));
        assertEquals(2, volumes.size(), volumes.toString());
        String[] row = volumes.get(1).split(",");
        long voxels = Long.parseLong(row[5]);
        long labelled = 0;
        for (int s = 1; s <= 5; s++) {
            for (short v : (short[]) labels.getStack().getPixels(s)) {
                labelled += v == 1 ? 1 : 0;
            }
        }
        assertEquals(labelled, voxels, "the table's voxels are the label image's");
        assertEquals(voxels * 2.5, Double.parseDouble(row[6]), 1e-6);
        List<Roi> rois = RoiSets.read(out.resolve("vol_objects.zip"));
        assertEquals(Integer.parseInt(row[4]), rois.size(), "one ROI per slice reached");
        assertArrayEquals(new int[] {1}, rois.stream().mapToInt(Roi::getGroup).distinct().toArray());
    }
}
