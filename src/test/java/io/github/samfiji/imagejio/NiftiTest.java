package io.github.samfiji.imagejio;

import static io.github.samfiji.imagejio.MedicalFixtures.file;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ShortProcessor;
import io.github.samfiji.imagejio.medical.Nifti;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NIfTI reading against files written by nibabel (values from a formula over the file's voxel indices, so every
 * voxel checks orientation), writing checked by nibabel, and hostile headers refused fast.
 */
class NiftiTest {

    @TempDir
    Path dir;

    private static float at(ImagePlus image, int x, int y, int z, int t) {
        return image.getStack().getProcessor(image.getStackIndex(1, z + 1, t + 1)).getf(x, y);
    }

    private static void assertSize(ImagePlus image, int width, int height, int slices, int frames) {
        assertEquals(width, image.getWidth(), "width");
        assertEquals(height, image.getHeight(), "height");
        assertEquals(slices, image.getNSlices(), "slices");
        assertEquals(frames, image.getNFrames(), "frames");
    }

    private static void assertSpacing(ImagePlus image, double x, double y, double z, String unit) {
        Calibration c = image.getCalibration();
        assertEquals(x, c.pixelWidth, 1e-6);
        assertEquals(y, c.pixelHeight, 1e-6);
        assertEquals(z, c.pixelDepth, 1e-6);
        assertEquals(unit, c.getUnit());
    }

    /**
     * int16 with slope 0.5 and intercept -10 and a RAS+ affine: 32-bit float of the scaled values; x and y run
     * against the file's i and j (patient's left and back), z with k; the origin is where world (0, 0, 0) lies.
     */
    @Test
    void scaledInt16IsFloatInDisplayOrientationPlainAndGzipped() throws IOException {
        for (String name : new String[] {"int16_scaled.nii", "int16_scaled.nii.gz"}) {
            ImagePlus image = ImageFiles.open(file(name));
            assertEquals(ImagePlus.GRAY32, image.getType(), name);
            assertSize(image, 6, 5, 4, 1);
            for (int z = 0; z < 4; z++) {
                for (int y = 0; y < 5; y++) {
                    for (int x = 0; x < 6; x++) {
                        int i = 5 - x;
                        int j = 4 - y;
                        float expected = (i + 10 * j + 100 * z - 50) * 0.5f - 10;
                        assertEquals(expected, at(image, x, y, z, 0), 0, name + " at " + x + "," + y + "," + z);
                    }
                }
            }
            assertSpacing(image, 0.5, 0.75, 2.5, "mm");
            // affine: origin (10, -20, 30) at voxel (0, 0, 0) in RAS; ImageJ's x, y, z are LPS.
            Calibration c = image.getCalibration();
            assertEquals(25, c.xOrigin, 1e-6); // x = 25 is i = -20, world x 10 - 10 = 0
            assertEquals(-17 / 0.75, c.yOrigin, 1e-6);
            assertEquals(-12, c.zOrigin, 1e-6);
        }
    }

    /** uint8 labels with an LAS+ affine (FSL's storage): 8-bit, x in file order, only y reversed. */
    @Test
    void uint8LabelsInLasStorageFlipOnlyY() throws IOException {
        ImagePlus image = ImageFiles.open(file("labels_uint8.nii.gz"));
        assertEquals(ImagePlus.GRAY8, image.getType());
        assertSize(image, 6, 5, 4, 1);
        for (int z = 0; z < 4; z++) {
            for (int y = 0; y < 5; y++) {
                for (int x = 0; x < 6; x++) {
                    assertEquals((x + 10 * (4 - y) + 100 * z) % 7, at(image, x, y, z, 0), 0);
                }
            }
        }
        assertSpacing(image, 1, 1, 1.5, "mm");
    }

    /** float32 in 4D: time points become frames with their interval; micrometres stay micrometres. */
    @Test
    void float32FourDimensionsAreFramesInMicrometres() throws IOException {
        ImagePlus image = ImageFiles.open(file("float32_4d.nii"));
        assertEquals(ImagePlus.GRAY32, image.getType());
        assertSize(image, 4, 3, 2, 2);
        for (int t = 0; t < 2; t++) {
            for (int z = 0; z < 2; z++) {
                for (int y = 0; y < 3; y++) {
                    for (int x = 0; x < 4; x++) {
                        assertEquals(((3 - x) + 10 * (2 - y) + 100 * z + 1000 * t) / 4f, at(image, x, y, z, t), 0);
                    }
                }
            }
        }
        assertSpacing(image, 0.2, 0.3, 0.4, "µm");
        assertEquals(2.0, image.getCalibration().frameInterval, 1e-9);
    }

    /** NIfTI-2 (540-byte header, 64-bit fields), uint16: 16-bit. */
    @Test
    void nifti2Uint16() throws IOException {
        ImagePlus image = ImageFiles.open(file("uint16_nifti2.nii"));
        assertEquals(ImagePlus.GRAY16, image.getType());
        assertSize(image, 5, 4, 3, 1);
        for (int z = 0; z < 3; z++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 5; x++) {
                    assertEquals((4 - x) + 10 * (3 - y) + 100 * z, at(image, x, y, z, 0), 0);
                }
            }
        }
        assertSpacing(image, 1, 1, 3, "mm");
    }

    /**
     * A big-endian int16 file whose orientation is given by the quaternion only, with no negative value: kept
     * 16-bit (int16 with negative values would be 32-bit float).
     */
    @Test
    void bigEndianInt16WithQformOnly() throws IOException {
        ImagePlus image = ImageFiles.open(file("int16_bigendian.nii"));
        assertEquals(ImagePlus.GRAY16, image.getType());
        assertSize(image, 5, 4, 3, 1);
        for (int z = 0; z < 3; z++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 5; x++) {
                    assertEquals((4 - x) + 10 * (3 - y) + 100 * z, at(image, x, y, z, 0), 0);
                }
            }
        }
        assertSpacing(image, 0.9, 0.8, 0.7, "mm");
    }

    /**
     * A sagittal acquisition (voxel axes anterior, superior, left; a quaternion with a permutation and a
     * reflection) shown as an axial volume: x is the file's k, y its i reversed, z its j.
     */
    @Test
    void sagittalAcquisitionIsPermutedToAxialDisplay() throws IOException {
        ImagePlus image = ImageFiles.open(file("uint8_sagittal.nii.gz"));
        assertEquals(ImagePlus.GRAY8, image.getType());
        assertSize(image, 5, 4, 3, 1);
        for (int z = 0; z < 3; z++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 5; x++) {
                    int i = 3 - y;
                    int j = z;
                    int k = x;
                    assertEquals((i + 10 * j + 100 * k) & 0xff, at(image, x, y, z, 0), 0); // uint8 wraps
                }
            }
        }
        assertSpacing(image, 2, 0.5, 0.75, "mm");
    }

    /** A single plane stays a plane: x and y flipped for RAS+, as for a volume. */
    @Test
    void singlePlaneStaysAPlane() throws IOException {
        ImagePlus image = ImageFiles.open(file("uint8_2d.nii"));
        assertSize(image, 5, 4, 1, 1);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 5; x++) {
                assertEquals((4 - x) + 10 * (3 - y), at(image, x, y, 0, 0), 0);
            }
        }
        assertEquals(0.3, image.getCalibration().pixelWidth, 1e-6);
        Path written = dir.resolve("plane.nii");
        ImageFiles.save(image, written, false);
        assertSameImage(image, ImageFiles.open(written));
    }

    /** Voxels after a 1000-byte header extension (skipped, not read as voxels). */
    @Test
    void headerExtensionIsSkipped() throws IOException {
        ImagePlus image = ImageFiles.open(file("extension.nii.gz"));
        assertSize(image, 3, 2, 2, 1);
        assertEquals((2 - 0) + 10 * (1 - 0) + 100, at(image, 0, 0, 1, 0), 0);
    }

    /** A .hdr/.img pair ('ni1'); int8 with negative values is 32-bit float (8-bit ImageJ images are unsigned). */
    @Test
    void headerAndImagePairWithNegativeInt8() throws IOException {
        ImagePlus image = ImageFiles.open(file("pair.hdr"));
        assertEquals(ImagePlus.GRAY32, image.getType());
        assertSize(image, 3, 4, 2, 1);
        for (int z = 0; z < 2; z++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 3; x++) {
                    assertEquals((2 - x) + 10 * (3 - y) + 100 * z - 100, at(image, x, y, z, 0), 0);
                }
            }
        }
        assertSpacing(image, 1, 2, 3, "mm");
        Path lonely = Files.copy(file("pair.hdr"), dir.resolve("lonely.hdr"));
        IOException e = assertThrows(IOException.class, () -> ImageFiles.open(lonely));
        assertTrue(e.getMessage().contains("lonely.img") && e.getMessage().contains("missing"), e.getMessage());
    }

    /**
     * An independent check of the orientation: nibabel's closest canonical (RAS+) array, with x and y reversed (RAS
     * to LPS), is what ImageJ holds, for every 3D fixture, whatever its storage order.
     */
    @Test
    void displayOrderIsNibabelsCanonicalTurnedToLps() throws Exception {
        String script = String.join("\n",
                "import sys, numpy as np, nibabel as nib",
                "for name in sys.argv[1:]:",
                "    c = nib.as_closest_canonical(nib.load(name)).get_fdata()",
                "    lps = c[::-1, ::-1, :]",
                "    print(' '.join(str(n) for n in lps.shape), ' '.join('%g' % v for v in lps.transpose(2, 1, 0).ravel()))");
        String[] names = {"int16_scaled.nii.gz", "labels_uint8.nii.gz", "uint16_nifti2.nii", "int16_bigendian.nii",
            "uint8_sagittal.nii.gz", "pair.hdr"};
        String[] paths = java.util.Arrays.stream(names).map(n -> file(n).toString()).toArray(String[]::new);
        String[] lines = MedicalFixtures.python(script, paths).strip().split("\n");
        assertEquals(names.length, lines.length);
        for (int n = 0; n < names.length; n++) {
            String[] shapeAndValues = lines[n].split(" ");
            ImagePlus image = ImageFiles.open(file(names[n]));
            assertSize(image, Integer.parseInt(shapeAndValues[0]), Integer.parseInt(shapeAndValues[1]),
                    Integer.parseInt(shapeAndValues[2]), 1);
            int k = 3;
            for (int z = 0; z < image.getNSlices(); z++) {
                for (int y = 0; y < image.getHeight(); y++) {
                    for (int x = 0; x < image.getWidth(); x++) {
                        assertEquals(Double.parseDouble(shapeAndValues[k++]), at(image, x, y, z, 0), 1e-6,
                                names[n] + " at " + x + "," + y + "," + z);
                    }
                }
            }
        }
    }

    /** Checks, with nibabel, that every voxel of {@code written} sits at the world position of the same value. */
    private static final String SAME_WORLD = String.join("\n",
            "import sys, numpy as np, nibabel as nib",
            "a, b = nib.load(sys.argv[1]), nib.load(sys.argv[2])",
            "da, db = a.get_fdata(), b.get_fdata()",
            "idx = np.indices(db.shape[:3]).reshape(3, -1)",
            "world = b.affine[:3, :3] @ idx + b.affine[:3, 3:4]",
            "va = np.linalg.inv(a.affine) @ np.vstack([world, np.ones(idx.shape[1])])",
            "ia = np.rint(va[:3]).astype(int)",
            "assert abs(va[:3] - ia).max() < 1e-3, 'voxel centres do not coincide'",
            "assert np.array_equal(da[ia[0], ia[1], ia[2]], db.reshape(-1)), 'values differ at the same world position'",
            "print(b.header.get_data_dtype(), ' '.join('%g' % z for z in b.header.get_zooms()), sorted(set(nib.aff2axcodes(b.affine))))");

    /**
     * Read with our reader, written with our writer, read by nibabel: every voxel lies at the same world position
     * as in nibabel's original file with the same value (orientation, spacing and origin survive), in the type of the
     * ImageJ image; and read back by us identically.
     */
    @Test
    void writtenVolumesLieWhereNibabelHadThem() throws Exception {
        String[][] cases = {{"labels_uint8.nii.gz", "uint8", "1 1 1.5"}, {"uint8_sagittal.nii.gz", "uint8", "2 0.5 0.75"},
            {"int16_scaled.nii", "float32", "0.5 0.75 2.5"}, {"uint16_nifti2.nii", "uint16", "1 1 3"}};
        for (String[] c : cases) {
            ImagePlus image = ImageFiles.open(file(c[0]));
            Path written = dir.resolve("w-" + c[0].replace(".nii", "") + (c[0].endsWith(".gz") ? ".nii" : ".nii.gz"));
            ImageFiles.save(image, written, false);
            String out = MedicalFixtures.python(SAME_WORLD, file(c[0]).toString(), written.toString());
            assertTrue(out.startsWith(c[1] + " " + c[2] + " "), c[0] + ": " + out);
            ImagePlus back = ImageFiles.open(written);
            assertSameImage(image, back);
        }
    }

    /**
     * A label image made for an oblique volume (rotated 10 degrees) takes its geometry with
     * {@link Nifti#copyGeometry} and is written with the volume's exact affine: nibabel finds every label at the world
     * position of its voxel. A cropped copy no longer claims that affine.
     */
    @Test
    void labelsOfAnObliqueVolumeKeepItsExactAffine() throws Exception {
        Path source = file("uint8_oblique.nii.gz");
        ImagePlus image = ImageFiles.open(source);
        ImageStack stack = new ImageStack(image.getWidth(), image.getHeight());
        for (int z = 1; z <= image.getStackSize(); z++) {
            stack.addSlice(image.getStack().getProcessor(z).convertToShort(false));
        }
        ImagePlus labels = new ImagePlus("labels", stack);
        Nifti.copyGeometry(image, labels);
        Path written = dir.resolve("oblique-labels.nii.gz");
        ImageFiles.save(labels, written, false);
        String out = MedicalFixtures.python(SAME_WORLD, source.toString(), written.toString());
        assertTrue(out.startsWith("uint16 0.8 0.9 2 "), out);
        ImagePlus smaller = new ImagePlus("smaller", image.getStack().crop(0, 0, 0, 2, 2, 2));
        Nifti.copyGeometry(image, smaller);
        Path fallback = dir.resolve("smaller.nii");
        ImageFiles.save(smaller, fallback, false);
        String axes = MedicalFixtures.python("import sys, nibabel as nib; print(''.join(nib.aff2axcodes("
                + "nib.load(sys.argv[1]).affine)), nib.load(sys.argv[1]).affine[0, 1])", fallback.toString());
        assertEquals("LPS 0.0", axes.strip(), "a crop is written from its calibration, axis-aligned");
    }

    /**
     * A 16-bit stack from ImageJ (no NIfTI origin): written with its calibration, nibabel's array [x, y, z] is
     * ImageJ's pixel (x, y, z), the zooms are the calibration, and reading back gives the same image and origin.
     */
    @Test
    void imageJStackRoundTripsThroughNibabel() throws Exception {
        ImageStack stack = new ImageStack(7, 6);
        for (int z = 0; z < 3; z++) {
            ShortProcessor ip = new ShortProcessor(7, 6);
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 7; x++) {
                    ip.set(x, y, 1000 * z + 10 * y + x);
                }
            }
            stack.addSlice(ip);
        }
        ImagePlus image = new ImagePlus("labels", stack);
        Calibration cal = image.getCalibration();
        cal.pixelWidth = 0.5;
        cal.pixelHeight = 0.6;
        cal.pixelDepth = 2;
        cal.setUnit("mm");
        cal.xOrigin = 3;
        cal.yOrigin = -2;
        cal.zOrigin = 1;
        Path written = dir.resolve("labels.nii.gz");
        ImageFiles.save(image, written, false);
        String out = MedicalFixtures.python(String.join("\n",
                "import sys, numpy as np, nibabel as nib",
                "img = nib.load(sys.argv[1]); d = np.asanyarray(img.dataobj)",
                "x, y, z = np.indices(d.shape)",
                "assert np.array_equal(d, 1000 * z + 10 * y + x)",
                "print(img.header.get_data_dtype(), ' '.join('%g' % v for v in img.header.get_zooms()),",
                "      ''.join(nib.aff2axcodes(img.affine)), ' '.join('%g' % v for v in img.affine[:3, 3]))"),
                written.toString());
        assertEquals("uint16 0.5 0.6 2 LPS 1.5 -1.2 -2", out.strip());
        ImagePlus back = ImageFiles.open(written);
        assertSameImage(image, back);
        assertEquals(3, back.getCalibration().xOrigin, 1e-5);
        assertEquals(-2, back.getCalibration().yOrigin, 1e-5);
        assertEquals(1, back.getCalibration().zOrigin, 1e-5);
        assertThrows(FileAlreadyExistsException.class, () -> ImageFiles.save(image, written, false));
        ImageFiles.save(image, written, true);
    }

    static void assertSameImage(ImagePlus expected, ImagePlus actual) {
        assertEquals(expected.getBitDepth(), actual.getBitDepth(), "bit depth");
        assertEquals(expected.getWidth(), actual.getWidth());
        assertEquals(expected.getHeight(), actual.getHeight());
        assertEquals(expected.getNSlices(), actual.getNSlices());
        assertEquals(expected.getNFrames(), actual.getNFrames());
        for (int s = 1; s <= expected.getStackSize(); s++) {
            Object e = expected.getStack().getPixels(s);
            Object a = actual.getStack().getPixels(s);
            if (e instanceof byte[] b) {
                assertArrayEquals(b, (byte[]) a, "slice " + s);
            } else if (e instanceof short[] sh) {
                assertArrayEquals(sh, (short[]) a, "slice " + s);
            } else {
                assertArrayEquals((float[]) e, (float[]) a, "slice " + s);
            }
        }
        Calibration ce = expected.getCalibration();
        Calibration ca = actual.getCalibration();
        assertEquals(ce.pixelWidth, ca.pixelWidth, 1e-6 * ce.pixelWidth);
        assertEquals(ce.pixelHeight, ca.pixelHeight, 1e-6 * ce.pixelHeight);
        assertEquals(ce.pixelDepth, ca.pixelDepth, 1e-6 * ce.pixelDepth);
        assertEquals(ce.getUnit(), ca.getUnit());
    }

    /** A BraTS FLAIR volume and its labels as .nii.gz by our writer open with the TIFF's pixels and calibration. */
    @Test
    @NeedsSharedData
    void bratsVolumeAsNiftiMatchesItsTiff() throws IOException {
        Path brats = Fixtures.data("brats2013");
        for (String part : new String[] {"images", "masks"}) {
            ImagePlus tiff = ImageFiles.open(brats.resolve(part).resolve("pat0001.tif"));
            Path nifti = dir.resolve(part + "-pat0001.nii.gz");
            ImageFiles.save(tiff, nifti, false);
            ImagePlus back = ImageFiles.open(nifti);
            assertSameImage(tiff, back);
            assertEquals(tiff.getCalibration().xOrigin, back.getCalibration().xOrigin, 1e-6);
            assertEquals(tiff.getCalibration().zOrigin, back.getCalibration().zOrigin, 1e-6);
            LabelImageFiles.Loaded loaded = LabelImageFiles.open(nifti);
            assertArrayEquals(new long[] {240, 240, 155}, loaded.dimensions());
            assertArrayEquals(new double[] {1, 1, 1}, loaded.spacing(), 1e-9);
        }
    }

    // ---- hostile files: refused in one short line, fast, without allocating what the header claims ----

    /** A NIfTI-1 header (352 bytes, little-endian) declaring dims and type; the caller adds voxel bytes. */
    private static ByteBuffer header(short[] dim, short datatype, short bitpix, float voxelOffset) {
        ByteBuffer b = ByteBuffer.allocate(352).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 348);
        for (int i = 0; i < dim.length; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, datatype).putShort(72, bitpix);
        for (int i = 0; i < 4; i++) {
            b.putFloat(76 + 4 * i, 1);
        }
        b.putFloat(108, voxelOffset);
        b.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1');
        return b;
    }

    private IOException refused(Path file) {
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> ImageFiles.open(file));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 3, file.getFileName() + " took " + seconds + " s");
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().length() < 400, e.getMessage());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        return e;
    }

    private Path gzip(String name, byte[] head, long zeros) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(head);
            byte[] block = new byte[1 << 16];
            for (long left = zeros; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(block.length, left));
            }
        }
        return file;
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        byte[] whole = Files.readAllBytes(file("int16_scaled.nii"));
        Path cut = Files.write(dir.resolve("cut.nii"), java.util.Arrays.copyOf(whole, 400));
        assertTrue(refused(cut).getMessage().contains("truncated"));
        Path shortHeader = Files.write(dir.resolve("short.nii"), java.util.Arrays.copyOf(whole, 200));
        assertTrue(refused(shortHeader).getMessage().contains("truncated"));
        byte[] gz = Files.readAllBytes(file("int16_scaled.nii.gz"));
        Path cutGz = Files.write(dir.resolve("cut.nii.gz"), java.util.Arrays.copyOf(gz, gz.length - 60));
        refused(cutGz);
    }

    /** 2048 x 1024 x 1024 = 2^31 voxels declared by a few hundred bytes, plain and gzipped. */
    @Test
    void headerClaimingTwoBillionVoxelsIsRefused() throws IOException {
        byte[] head = header(new short[] {3, 2048, 1024, 1024, 1, 1, 1, 1}, (short) 4, (short) 16, 352).array();
        Path plain = Files.write(dir.resolve("huge.nii"), head);
        assertTrue(refused(plain).getMessage().contains("truncated"));
        Path gz = gzip("huge.nii.gz", head, 1000);
        String message = refused(gz).getMessage();
        assertTrue(message.contains("memory") && message.contains("2048 x 1024 x 1024"), message);
    }

    /** NIfTI-2 sizes are 64-bit: 2^40 x 2^40 x 2^40 voxels overflow any count and are refused by name. */
    @Test
    void nifti2SizesBeyondCountingAreRefused() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(544 + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 540).put(4, (byte) 'n').put(5, (byte) '+').put(6, (byte) '2');
        b.putShort(12, (short) 2).putShort(14, (short) 8);
        long[] dim = {3, 1L << 40, 1L << 40, 1L << 40, 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putLong(16 + 8 * i, dim[i]);
        }
        b.putLong(168, 544);
        Path huge = Files.write(dir.resolve("huge2.nii"), b.array());
        assertTrue(refused(huge).getMessage().contains("more voxels than can be counted"));
        // 2^61 voxels: countable, but products in the memory plan would overflow a long
        b.putLong(16 + 8, 1L << 20).putLong(16 + 16, 1L << 20).putLong(16 + 24, 1L << 21);
        Path countable = gzip("countable2.nii.gz", b.array(), 0);
        String message = refused(countable).getMessage();
        assertTrue(message.contains("memory"), message);
    }

    @Test
    void negativeOrZeroDimensionsAreRefused() throws IOException {
        Path negative = Files.write(dir.resolve("negative.nii"), header(new short[] {3, 4, -5, 2, 1, 1, 1, 1},
                (short) 2, (short) 8, 352).array());
        assertTrue(refused(negative).getMessage().contains("-5"));
        Path axes = Files.write(dir.resolve("axes.nii"), header(new short[] {9, 4, 5, 2, 1, 1, 1, 1}, (short) 2,
                (short) 8, 352).array());
        assertTrue(refused(axes).getMessage().contains("dimensions"));
    }

    @Test
    void voxelOffsetBeyondTheFileIsRefused() throws IOException {
        ByteBuffer b = header(new short[] {3, 4, 4, 4, 1, 1, 1, 1}, (short) 2, (short) 8, 1e6f);
        byte[] file = java.util.Arrays.copyOf(b.array(), 352 + 64);
        Path beyond = Files.write(dir.resolve("beyond.nii"), file);
        assertTrue(refused(beyond).getMessage().contains("beyond the end"), refused(beyond).getMessage());
        Path inside = Files.write(dir.resolve("inside.nii"), java.util.Arrays.copyOf(header(new short[] {3, 4, 4, 4,
            1, 1, 1, 1}, (short) 2, (short) 8, 100).array(), 352 + 64));
        assertTrue(refused(inside).getMessage().contains("inside"));
    }

    /** A gzip of 60 KB that inflates to 64 MB, under a header that declares 1000 voxels. */
    @Test
    void gzipInflatingPastTheDeclaredSizeIsRefused() throws IOException {
        byte[] head = header(new short[] {3, 10, 10, 10, 1, 1, 1, 1}, (short) 2, (short) 8, 352).array();
        Path bomb = gzip("bomb.nii.gz", head, 64L << 20);
        assertTrue(Files.size(bomb) < 200_000);
        long before = usedHeap();
        assertTrue(refused(bomb).getMessage().contains("inflates past"));
        assertTrue(usedHeap() - before < 32L << 20, "memory grew by " + (usedHeap() - before));
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void colourAndComplexVoxelsAreRefusedByName() throws IOException {
        Path rgb = Files.write(dir.resolve("rgb.nii"), java.util.Arrays.copyOf(header(new short[] {2, 2, 2, 1, 1, 1,
            1, 1}, (short) 128, (short) 24, 352).array(), 352 + 12));
        assertTrue(refused(rgb).getMessage().contains("RGB colour"));
        Path complex = Files.write(dir.resolve("complex.nii"), java.util.Arrays.copyOf(header(new short[] {2, 2, 2, 1,
            1, 1, 1, 1}, (short) 32, (short) 64, 352).array(), 352 + 32));
        assertTrue(refused(complex).getMessage().contains("complex"));
        Path notNifti = Files.write(dir.resolve("text.nii"), "hello, not an image at all".getBytes());
        assertTrue(refused(notNifti).getMessage().contains("not a NIfTI file"));
    }

    @Test
    void rgbAndMultiChannelImagesAreNotWritten() {
        ImagePlus rgb = new ImagePlus("rgb", new ij.process.ColorProcessor(4, 4));
        IOException e = assertThrows(IOException.class, () -> ImageFiles.save(rgb, dir.resolve("rgb.nii"), false));
        assertTrue(e.getMessage().contains("RGB"), e.getMessage());
        assertTrue(Nifti.isNiftiName(dir.resolve("a.NII.GZ")));
        IOException other = assertThrows(IOException.class, () -> ImageFiles.save(rgb, dir.resolve("a.png"), false));
        assertTrue(other.getMessage().contains(".nii.gz"), other.getMessage());
    }
}
