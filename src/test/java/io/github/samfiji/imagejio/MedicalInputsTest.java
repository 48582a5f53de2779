package io.github.samfiji.imagejio;

import static io.github.samfiji.imagejio.MedicalFixtures.file;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import io.github.samfiji.training.TrainingSample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NIfTI files and DICOM folders wherever images and label images are read; other formats through Fiji's route. */
class MedicalInputsTest {

    @TempDir
    Path dir;

    @Test
    void labelImagesReadNiftiWithSpacing() throws IOException {
        LabelImageFiles.Loaded labels = LabelImageFiles.open(file("labels_uint8.nii.gz"));
        assertArrayEquals(new long[] {6, 5, 4}, labels.dimensions());
        assertArrayEquals(new double[] {1, 1, 1.5}, labels.spacing(), 1e-9);
        assertEquals("mm", labels.unit());
        assertTrue(labels.calibrated());
        assertEquals(255, labels.maxValue());
        assertEquals("case01", LabelImageFiles.stem(Path.of("case01.nii.gz")));
        assertEquals("case01", LabelImageFiles.stem(Path.of("case01.nii")));
        assertEquals("case01", LabelImageFiles.stem(Path.of("case01.tif")));
    }

    /**
     * Training folders pair {@code case01.nii.gz} with {@code case01.nii.gz} (stem without the whole .nii.gz), and a
     * DICOM series folder {@code case02} with {@code case02.nii}; one sample per slice, grouped by volume.
     */
    @Test
    void trainingFoldersPairNiftiVolumesAndDicomSeriesByStem() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        Path masks = Files.createDirectories(dir.resolve("masks"));
        Files.copy(file("int16_scaled.nii.gz"), images.resolve("case01.nii.gz"));
        Files.copy(file("labels_uint8.nii.gz"), masks.resolve("case01.nii.gz"));
        Path series = Files.createDirectories(images.resolve("case02"));
        for (String name : new String[] {"a.dcm", "b.dcm", "c.dcm"}) {
            Files.copy(file("dicom_series/" + name), series.resolve(name));
        }
        ImageStack mask = new ImageStack(4, 3);
        for (int z = 0; z < 3; z++) {
            ByteProcessor ip = new ByteProcessor(4, 3);
            ip.set(1, 1, 1);
            mask.addSlice(ip);
        }
        ImageFiles.save(new ImagePlus("case02", mask), masks.resolve("case02.nii"), false);
        List<TrainingSample> samples = TrainingData.fromFolders(images, masks, TrainingData.ALL_LABELS);
        assertEquals(4 + 3, samples.size());
        assertEquals(List.of("case01#1", "case01#2", "case01#3", "case01#4", "case02#1", "case02#2", "case02#3"),
                samples.stream().map(TrainingSample::name).toList());
        assertEquals(List.of("case01", "case02"), samples.stream().map(TrainingSample::group).distinct().toList());
    }

    @Test
    void fourDimensionalVolumesAreRefusedForTrainingByName() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        Path masks = Files.createDirectories(dir.resolve("masks"));
        Files.copy(file("float32_4d.nii"), images.resolve("case01.nii"));
        Files.copy(file("float32_4d.nii"), masks.resolve("case01.nii"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingData.fromFolders(images, masks, TrainingData.ALL_LABELS));
        assertTrue(e.getMessage().contains("2 time points"), e.getMessage());
    }

    @Test
    void trainingFoldersRefuseTwoFilesWithOneStem() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        Path masks = Files.createDirectories(dir.resolve("masks"));
        Files.copy(file("int16_scaled.nii.gz"), images.resolve("case01.nii.gz"));
        Files.copy(file("int16_scaled.nii"), images.resolve("case01.nii"));
        Files.copy(file("labels_uint8.nii.gz"), masks.resolve("case01.nii.gz"));
        RuntimeException e = assertThrows(RuntimeException.class, () -> TrainingData.fromFolders(images, masks));
        assertTrue(e.getMessage().contains("same name stem"), e.getMessage());
    }

    /**
     * A type ImageJ does not know goes to HandleExtraFileTypes (Fiji's door to Bio-Formats), here the test's
     * stand-in in the default package, which opens {@code .madeup}; an unknown file nobody opens is still refused
     * in one line.
     */
    @Test
    void unknownTypesGoThroughHandleExtraFileTypes() throws IOException {
        Path madeUp = Files.writeString(dir.resolve("cells.madeup"), "whatever the stand-in ignores");
        ImagePlus image = ImageFiles.open(madeUp);
        assertEquals(7, image.getWidth());
        assertEquals(5, image.getHeight());
        assertEquals(3 + 10 * 4, image.getProcessor().get(3, 4));
        LabelImageFiles.Loaded labels = LabelImageFiles.open(madeUp);
        assertArrayEquals(new long[] {7, 5}, labels.dimensions());
        Path unknown = Files.writeString(dir.resolve("notes.xyz"), "not an image");
        IOException e = assertThrows(IOException.class, () -> ImageFiles.open(unknown));
        assertTrue(e.getMessage().startsWith("cannot read"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
