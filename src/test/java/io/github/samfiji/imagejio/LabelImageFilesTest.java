package io.github.samfiji.imagejio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Line;
import ij.gui.Roi;
import ij.io.RoiEncoder;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import io.github.samfiji.evaluation.EvaluationException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import net.imglib2.RandomAccess;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.RealType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelImageFilesTest {

    @TempDir
    Path dir;

    private Path roiSet(String name, Roi... rois) throws IOException {
        Path zip = dir.resolve(name);
        try (OutputStream file = Files.newOutputStream(zip);
                java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(file)) {
            for (int i = 0; i < rois.length; i++) {
                out.putNextEntry(new java.util.zip.ZipEntry(i + ".roi"));
                out.write(RoiEncoder.saveAsByteArray(rois[i]));
                out.closeEntry();
            }
        }
        return zip;
    }

    private static double at(LabelImageFiles.Loaded image, long... position) {
        RandomAccess<? extends RealType<?>> access = image.pixels().randomAccess();
        access.setPosition(position);
        return access.get().getRealDouble();
    }

    @Test
    void roisAreLabelledByOrderOrByGroupAndDrawnOnTheirSlice() throws IOException {
        Roi a = new Roi(0, 0, 2, 2);
        a.setPosition(2);
        Roi b = new Roi(3, 3, 2, 1); // no position: every slice
        LabelImageFiles.Loaded byOrder = LabelImageFiles.openRois(roiSet("order.zip", a, b), new long[] {6, 5, 3});
        assertEquals(0, at(byOrder, 0, 0, 0));
        assertEquals(1, at(byOrder, 1, 1, 1));
        assertEquals(0, at(byOrder, 1, 1, 2));
        assertEquals(2, at(byOrder, 4, 3, 0));
        assertEquals(2, at(byOrder, 4, 3, 2));
        Roi c = new Roi(0, 0, 1, 1);
        c.setPosition(1);
        c.setGroup(7);
        Roi d = new Roi(0, 0, 1, 1);
        d.setPosition(3);
        d.setGroup(7);
        LabelImageFiles.Loaded byGroup = LabelImageFiles.openRois(roiSet("group.zip", c, d), new long[] {2, 2, 3});
        assertEquals(7, at(byGroup, 0, 0, 0));
        assertEquals(0, at(byGroup, 0, 0, 1));
        assertEquals(7, at(byGroup, 0, 0, 2));
        // ROIs partly outside the canvas are clipped.
        LabelImageFiles.Loaded clipped = LabelImageFiles.openRois(roiSet("clip.zip", new Roi(-2, -2, 3, 3)),
                new long[] {2, 2});
        assertEquals(1, at(clipped, 0, 0));
        assertEquals(0, at(clipped, 1, 1));
    }

    @Test
    void badRoisAreRefused() throws IOException {
        Path line = roiSet("line.zip", new Line(0, 0, 3, 3));
        EvaluationException e = assertThrows(EvaluationException.class, () -> LabelImageFiles.openRois(line,
                new long[] {4, 4}));
        assertTrue(e.getMessage().contains("is a line or point selection"), e.getMessage());
        Roi high = new Roi(0, 0, 1, 1);
        high.setPosition(5);
        Path far = roiSet("far.zip", high);
        assertThrows(EvaluationException.class, () -> LabelImageFiles.openRois(far, new long[] {4, 4, 2}));
    }

    @Test
    void stacksAreWrappedWithoutCopying() {
        ImageStack stack = new ImageStack(3, 2);
        stack.addSlice(new ByteProcessor(3, 2));
        stack.addSlice(new ByteProcessor(3, 2));
        ImagePlus image = new ImagePlus("s", stack);
        image.getCalibration().pixelDepth = 4;
        LabelImageFiles.Loaded loaded = LabelImageFiles.wrap(image, "s.tif");
        assertTrue(loaded.pixels() instanceof PlanarImg);
        assertArrayEquals(new long[] {3, 2, 2}, loaded.dimensions());
        assertArrayEquals(new double[] {1, 1, 4}, loaded.spacing());
        ((byte[]) stack.getPixels(2))[4] = 9;
        assertEquals(9, at(loaded, 1, 1, 1));
    }

    @Test
    void rgbIsAcceptedOnlyWhenGrey() {
        ColorProcessor grey = new ColorProcessor(2, 1, new int[] {0x000000, 0x030303});
        assertEquals(3, at(LabelImageFiles.wrap(new ImagePlus("g", grey), "g.png"), 1, 0));
        ColorProcessor colour = new ColorProcessor(2, 1, new int[] {0x000000, 0x030304});
        EvaluationException e = assertThrows(EvaluationException.class, () -> LabelImageFiles.wrap(
                new ImagePlus("c", colour), "c.png"));
        assertTrue(e.getMessage().startsWith("c.png is a colour (RGB) image"), e.getMessage());
    }

    @Test
    void multiChannelImagesAreRefused() {
        ImageStack stack = new ImageStack(2, 2);
        stack.addSlice(new ByteProcessor(2, 2));
        stack.addSlice(new ByteProcessor(2, 2));
        ImagePlus image = new ImagePlus("m", stack);
        image.setDimensions(2, 1, 1);
        EvaluationException e = assertThrows(EvaluationException.class, () -> LabelImageFiles.wrap(image, "m.tif"));
        assertTrue(e.getMessage().contains("2 channels"), e.getMessage());
    }
}
