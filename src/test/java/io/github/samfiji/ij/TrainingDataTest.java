package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Line;
import ij.gui.OvalRoi;
import ij.gui.Roi;
import ij.plugin.filter.ThresholdToSelection;
import ij.plugin.frame.RoiManager;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.cli.FineTuneCommandTestData;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.training.TrainingSample;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.github.samfiji.imagejio.TrainingData;
import io.github.samfiji.imagejio.RoiSets;

/** Training data from RoiSets and from open images with the ROI Manager or a label image. */
class TrainingDataTest {

    @TempDir
    Path temp;

    @Test
    void roiSetsInTheMasksFolderGiveTheSameMasksAsLabelImages() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        Path rois = Files.createDirectories(temp.resolve("rois"));
        FineTuneCommandTestData.writeDiscs(images, masks, 3, 80, 64, 5);
        try (Stream<Path> files = Files.list(masks)) {
            for (Path mask : files.toList()) {
                ImageProcessor ip = IJ.openImage(mask.toString()).getProcessor();
                ip.setThreshold(1, 255, ImageProcessor.NO_LUT_UPDATE);
                Roi outline = ThresholdToSelection.run(new ImagePlus("m", ip));
                String stem = mask.getFileName().toString().replace(".png", "");
                RoiSets.write(rois.resolve(stem + ".zip"), List.of(outline), false);
            }
        }
        List<TrainingSample> fromLabels = TrainingData.fromFolders(images, masks);
        List<TrainingSample> fromRois = TrainingData.fromFolders(images, rois);
        assertEquals(3, fromRois.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(fromLabels.get(i).name(), fromRois.get(i).name());
            assertTrue(fromLabels.get(i).hasForeground());
            assertArrayEquals(fromLabels.get(i).mask(), fromRois.get(i).mask(), fromRois.get(i).name());
        }
    }

    @Test
    void onlySlicesCarryingARoiAreTrainingSlices() {
        ImagePlus stack = discStack(5, new Random(1));
        Roi second = new OvalRoi(10, 12, 20, 16);
        second.setPosition(2);
        Roi fourth = new OvalRoi(30, 20, 14, 14);
        fourth.setPosition(4);
        List<TrainingSample> volume = TrainingData.fromRois(stack, List.of(second, fourth), "vol", false);
        assertEquals(List.of("vol#2", "vol#4"), volume.stream().map(TrainingSample::name).toList());
        assertEquals(List.of("vol", "vol"), volume.stream().map(TrainingSample::group).toList());
        int inside = 0;
        for (byte b : volume.get(0).mask()) {
            inside += b;
        }
        ImageProcessor expected = second.getMask();
        int expectedCount = 0;
        for (int i = 0; i < expected.getPixelCount(); i++) {
            expectedCount += expected.get(i) != 0 ? 1 : 0;
        }
        assertEquals(expectedCount, inside, "the oval's pixels are the mask");
        assertEquals(0, volume.get(0).mask()[0]);

        List<TrainingSample> separate = TrainingData.fromRois(stack, List.of(second, fourth), "vol", true);
        assertEquals(List.of("vol#2", "vol#4"), separate.stream().map(TrainingSample::group).toList());

        Roi everywhere = new OvalRoi(5, 5, 10, 10); // no position: lies on every slice
        assertEquals(5, TrainingData.fromRois(stack, List.of(everywhere), "vol", false).size());
    }

    @Test
    void labelImagesWithSeveralLabelsNeedTheLabelToLearn() {
        ImagePlus image = discStack(1, new Random(4));
        ByteProcessor labels = new ByteProcessor(64, 48);
        labels.setValue(1);
        labels.fillRect(2, 2, 10, 10);
        labels.setValue(2);
        labels.fillRect(30, 20, 8, 6);
        ImagePlus labelImage = new ImagePlus("labels", labels);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingData.fromImages(image, labelImage, "img", false, null));
        assertTrue(e.getMessage().contains("holds 2 labels (1, 2)") && e.getMessage().contains("'all'"), e.getMessage());
        byte[] second = TrainingData.fromImages(image, labelImage, "img", false, TrainingData.parseLabel("2")).get(0).mask();
        byte[] all = TrainingData.fromImages(image, labelImage, "img", false, TrainingData.parseLabel("all")).get(0).mask();
        int count2 = 0;
        int countAll = 0;
        for (int i = 0; i < all.length; i++) {
            count2 += second[i];
            countAll += all[i];
        }
        assertEquals(48, count2, "label 2 only");
        assertEquals(148, countAll, "both labels as one object");
        assertEquals(1, second[20 * 64 + 30]);
        assertEquals(0, second[2 * 64 + 2]);
        assertThrows(IllegalArgumentException.class, () -> TrainingData.parseLabel("-1"));
        assertThrows(IllegalArgumentException.class, () -> TrainingData.parseLabel("cells"));
        // A binary mask (one value above zero, here 255) needs no choice.
        ByteProcessor binary = new ByteProcessor(64, 48);
        binary.setValue(255);
        binary.fillRect(2, 2, 10, 10);
        assertEquals(1, TrainingData.fromImages(image, new ImagePlus("b", binary), "img", false, null).size());
    }

    @Test
    void unusableAnnotationsAreNamed() {
        ImagePlus stack = discStack(2, new Random(2));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> TrainingData.fromRois(stack, List.of(), "vol", false));
        assertTrue(none.getMessage().contains("no ROIs"), none.getMessage());
        RuntimeException line = assertThrows(RuntimeException.class,
                () -> TrainingData.fromRois(stack, List.of(new Line(0, 0, 10, 10)), "vol", false));
        assertTrue(line.getMessage().contains("line or point"), line.getMessage());
        Roi outside = new OvalRoi(1, 1, 5, 5);
        outside.setPosition(3);
        RuntimeException slice = assertThrows(RuntimeException.class,
                () -> TrainingData.fromRois(stack, List.of(outside), "vol", false));
        assertTrue(slice.getMessage().contains("slice 3"), slice.getMessage());
    }

    @Test
    @NeedsDisplay
    void fijiCommandTrainsOnTheOpenStackAndItsRoiManagerOutlines() throws Exception {
        Random random = new Random(3);
        ImagePlus stack = discStack(10, random);
        RoiManager manager = RoiManager.getRoiManager();
        manager.reset();
        try {
            for (int z = 1; z <= 10; z++) {
                manager.addRoi(discRoi(stack, z));
            }
            FineTuneOpenImageCommand c = new FineTuneOpenImageCommand();
            c.image = stack;
            c.labels = FineTuneOpenImageCommand.ROI_MANAGER;
            c.slices = FineTuneOpenImageCommand.SEPARATE_IMAGES;
            c.start = "vit_t (random)";
            c.inputSize = 64;
            c.method = "lora";
            c.epochs = 1;
            c.output = temp.resolve("open.safetensors").toFile();
            c.run();
            assertEquals(7, c.summary.trainImages(), "10 separate images split 7:1:2");
            ij.gui.PlotWindow curves = (ij.gui.PlotWindow) ij.WindowManager.getImage("Fine-tune SAM: training curves")
                    .getWindow();
            assertEquals(1, curves.getPlot().getXValues().length, "the curves window shows the epoch trained");
            curves.close();
            assertEquals(2, c.summary.testImages());
            String json = Files.readString(temp.resolve("open.json"));
            assertTrue(json.contains("discs + ROI Manager (slices as separate images)"), json);
            try (SamModel model = ModelLoader.load(temp.resolve("open.safetensors"), null)) {
                assertEquals(64, model.config().imageSize());
            }

            // One volume: all slices stay together, so all train and nothing is left to test on.
            c.slices = FineTuneOpenImageCommand.ONE_VOLUME;
            c.output = temp.resolve("volume.safetensors").toFile();
            c.run();
            assertEquals(10, c.summary.trainImages());
            assertEquals(0, c.summary.testImages());
        } finally {
            manager.reset();
            manager.close();
        }
    }

    /** Grey slices, each with one bright disc whose centre and radius are kept in the slice label. */
    private static ImagePlus discStack(int n, Random random) {
        int w = 64;
        int h = 48;
        ImageStack stack = new ImageStack(w, h);
        for (int z = 0; z < n; z++) {
            double r = 6 + 6 * random.nextDouble();
            double cx = r + random.nextDouble() * (w - 2 * r);
            double cy = r + random.nextDouble() * (h - 2 * r);
            ByteProcessor ip = new ByteProcessor(w, h);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    boolean inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                    ip.set(x, y, (int) Math.max(0, Math.min(255, (inside ? 170 : 70) + random.nextGaussian() * 20)));
                }
            }
            stack.addSlice(String.format("%.3f,%.3f,%.3f", cx, cy, r), ip);
        }
        return new ImagePlus("discs", stack);
    }

    private static Roi discRoi(ImagePlus stack, int z) {
        String[] c = stack.getStack().getSliceLabel(z).split(",");
        double cx = Double.parseDouble(c[0]);
        double cy = Double.parseDouble(c[1]);
        double r = Double.parseDouble(c[2]);
        Roi roi = new OvalRoi(cx - r, cy - r, 2 * r, 2 * r);
        roi.setPosition(z);
        return roi;
    }
}
