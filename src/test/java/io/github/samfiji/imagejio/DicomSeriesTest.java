package io.github.samfiji.imagejio;

import static io.github.samfiji.imagejio.MedicalFixtures.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.measure.Calibration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 3-slice CT-like series written by pydicom: file names shuffled (b, c, a from the bottom up), instance numbers
 * running against the positions, one file implicit VR and two explicit VR, signed stored values with slope 2 and
 * intercept -1024.
 */
class DicomSeriesTest {

    @TempDir
    Path dir;

    @Test
    void seriesFolderOpensSortedByPositionWithSpacingAndRescale() throws IOException {
        ImagePlus image = ImageFiles.open(file("dicom_series"));
        assertEquals(ImagePlus.GRAY32, image.getType());
        assertEquals(4, image.getWidth());
        assertEquals(3, image.getHeight());
        assertEquals(3, image.getStackSize());
        String[] order = {"b.dcm", "c.dcm", "a.dcm"};
        for (int z = 0; z < 3; z++) {
            assertEquals(order[z], image.getStack().getSliceLabel(z + 1));
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 4; x++) {
                    float stored = x + 10 * y + 100 * z - 5;
                    assertEquals(2 * stored - 1024, image.getStack().getProcessor(z + 1).getf(x, y), 0);
                }
            }
        }
        Calibration c = image.getCalibration();
        assertEquals(0.7, c.pixelWidth, 1e-9); // column spacing
        assertEquals(0.6, c.pixelHeight, 1e-9); // row spacing
        assertEquals(2.5, c.pixelDepth, 1e-9); // between positions 10, 12.5, 15
        assertEquals("mm", c.getUnit());
        assertEquals(20 / 0.7, c.xOrigin, 1e-6); // position -20 mm at x = 0
        assertEquals(-4, c.zOrigin, 1e-6); // position 10 mm at z = 0
    }

    @Test
    void singleFileOpensWithRescaleHeadless() throws IOException {
        ImagePlus image = ImageFiles.open(file("dicom_series/a.dcm"));
        assertEquals(1, image.getStackSize());
        assertEquals(2 * (3 + 20 + 200 - 5) - 1024, image.getProcessor().getf(3, 2), 0);
    }

    @Test
    void seriesAsLabelImageAndWrittenAsNifti() throws IOException {
        LabelImageFiles.Loaded loaded = LabelImageFiles.open(file("dicom_series"));
        assertEquals(3, loaded.dimensions()[2]);
        assertEquals(2.5, loaded.spacing()[2], 1e-9);
        ImagePlus image = ImageFiles.open(file("dicom_series"));
        Path nifti = dir.resolve("ct.nii.gz");
        ImageFiles.save(image, nifti, false);
        ImagePlus back = ImageFiles.open(nifti);
        NiftiTest.assertSameImage(image, back);
        assertEquals(image.getCalibration().xOrigin, back.getCalibration().xOrigin, 1e-4);
        assertEquals(image.getCalibration().zOrigin, back.getCalibration().zOrigin, 1e-4);
    }

    /** Without positions, slices follow InstanceNumber (z.dcm is 1, y.dcm 2); unscaled 8-bit stays 8-bit. */
    @Test
    void seriesWithoutPositionsIsSortedByInstanceNumber() throws IOException {
        ImagePlus image = ImageFiles.open(file("dicom_instances"));
        assertEquals(ImagePlus.GRAY8, image.getType());
        assertEquals(2, image.getStackSize());
        assertEquals("z.dcm", image.getStack().getSliceLabel(1));
        assertEquals("y.dcm", image.getStack().getSliceLabel(2));
        assertEquals(10 + 5, image.getStack().getProcessor(2).get(2, 1));
    }

    /**
     * An element declaring 2 GB in a file of a few hundred bytes, and a header cut short: refused in one line, fast,
     * without allocating what the header declares.
     */
    @Test
    void hostileHeaderLengthsAreRefusedWithoutAllocating() throws IOException {
        byte[] original = Files.readAllBytes(file("dicom_series/b.dcm"));
        // The explicit-VR data set starts after the meta group; its first element (0008,0016) UI has a 2-byte length.
        int at = indexOf(original, new byte[] {0x08, 0x00, 0x16, 0x00, 'U', 'I'});
        byte[] hostile = original.clone();
        hostile[at + 4] = 'U'; // VR UT: a 4-byte length follows two reserved bytes
        hostile[at + 5] = 'T';
        hostile[at + 8] = (byte) 0xf0;
        hostile[at + 9] = (byte) 0xff;
        hostile[at + 10] = (byte) 0xff;
        hostile[at + 11] = 0x7f;
        Path folder = Files.createDirectories(dir.resolve("hostile"));
        Files.write(folder.resolve("x.dcm"), hostile);
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> ImageFiles.open(folder));
        assertTrue((System.nanoTime() - start) / 1e9 < 2);
        assertTrue(e.getMessage().contains("x.dcm is truncated or damaged"), e.getMessage());
        Path cut = Files.createDirectories(dir.resolve("cut"));
        Files.write(cut.resolve("x.dcm"), java.util.Arrays.copyOf(original, at + 3));
        IOException c = assertThrows(IOException.class, () -> ImageFiles.open(cut));
        assertTrue(c.getMessage().contains("truncated"), c.getMessage());
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }

    @Test
    void twoSeriesInOneFolderAreRefused() throws IOException {
        Path mixed = Files.createDirectories(dir.resolve("mixed"));
        Files.copy(file("dicom_series/a.dcm"), mixed.resolve("a.dcm"));
        Files.copy(file("dicom_instances/z.dcm"), mixed.resolve("z.dcm"));
        IOException e = assertThrows(IOException.class, () -> ImageFiles.open(mixed));
        assertTrue(e.getMessage().contains("2 DICOM series"), e.getMessage());
    }

    @Test
    void compressedTransferSyntaxIsRefusedByName() {
        IOException e = assertThrows(IOException.class, () -> ImageFiles.open(file("dicom_compressed")));
        assertTrue(e.getMessage().contains("JPEG baseline") && e.getMessage().contains("uncompressed"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void truncatedSliceAndMixedSizesAreRefused() throws IOException {
        Path series = Files.createDirectories(dir.resolve("series"));
        for (String name : new String[] {"a.dcm", "b.dcm", "c.dcm"}) {
            Files.copy(file("dicom_series/" + name), series.resolve(name));
        }
        byte[] a = Files.readAllBytes(series.resolve("a.dcm"));
        Files.write(series.resolve("a.dcm"), java.util.Arrays.copyOf(a, a.length - 10));
        IOException e = assertThrows(IOException.class, () -> ImageFiles.open(series));
        assertTrue(e.getMessage().contains("a.dcm is truncated"), e.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "no images here");
        IOException none = assertThrows(IOException.class, () -> ImageFiles.open(empty));
        assertTrue(none.getMessage().contains("without DICOM files"), none.getMessage());
    }
}
