package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import io.github.samfiji.imagejio.ImageFiles;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BraTS volume converted to .nii.gz gives the same results as its TIFF through the command line: propagation (the
 * labels come out as NIfTI by default for a NIfTI input), evaluation, and fine-tuning from folders of volumes.
 */
@NeedsSharedData
class NiftiVolumeJobsTest {

    private static final String MODEL = Path.of("samples/sam_tiny.pth").toString();

    private static Object pixels(ImagePlus image, int slice) {
        return image.getStack().getPixels(slice);
    }

    @Test
    void propagateEvaluateAndFineTuneGiveTheTiffsResults(@TempDir Path temp) throws Exception {
        Path brats = Fixtures.data("brats2013");
        Path tiffImage = brats.resolve("images/pat0001.tif");
        Path tiffMask = brats.resolve("masks/pat0001.tif");
        Path niftiImages = Files.createDirectories(temp.resolve("nifti/images"));
        Path niftiMasks = Files.createDirectories(temp.resolve("nifti/masks"));
        Path niftiImage = niftiImages.resolve("pat0001.nii.gz");
        Path niftiMask = niftiMasks.resolve("pat0001.nii.gz");
        ImageFiles.save(ImageFiles.open(tiffImage), niftiImage, false);
        ImageFiles.save(ImageFiles.open(tiffMask), niftiMask, false);

        // Propagation from a box on slice 80, a few slices each way.
        String[] prompt = {"--box", "60,60,180,180,80", "--iou-threshold", "0.9"};
        assertEquals(0, SamFijiCli.run(concat(new String[] {"propagate", "--checkpoint", MODEL, "--image",
                tiffImage.toString(), "--out", temp.resolve("tiff").toString()}, prompt)));
        assertEquals(0, SamFijiCli.run(concat(new String[] {"propagate", "--checkpoint", MODEL, "--image",
                niftiImage.toString(), "--out", temp.resolve("nifti-out").toString()}, prompt)));
        ImagePlus fromTiff = ImageFiles.open(temp.resolve("tiff.labels.tif"));
        ImagePlus fromNifti = ImageFiles.open(temp.resolve("nifti-out.labels.nii.gz"));
        assertEquals(fromTiff.getStackSize(), fromNifti.getStackSize());
        long found = 0;
        for (int z = 1; z <= fromTiff.getStackSize(); z++) {
            short[] a = (short[]) pixels(fromTiff, z);
            assertArrayEquals(a, (short[]) pixels(fromNifti, z), "slice " + z);
            for (short v : a) {
                found += v != 0 ? 1 : 0;
            }
        }
        assertTrue(found > 0, "the box gave an object");
        assertEquals(fromTiff.getCalibration().pixelDepth, fromNifti.getCalibration().pixelDepth, 1e-9);

        // Evaluation of those labels against the expert mask, TIFF pair and NIfTI pair: the same numbers.
        Path tiffCsv = temp.resolve("tiff.csv");
        Path niftiCsv = temp.resolve("nifti.csv");
        assertEquals(0, SamFijiCli.run("evaluate", "--pred", temp.resolve("tiff.labels.tif").toString(), "--truth",
                tiffMask.toString(), "--binary", "--bootstrap", "10", "--no-distances", "--out", tiffCsv.toString()));
        assertEquals(0, SamFijiCli.run("evaluate", "--pred", temp.resolve("nifti-out.labels.nii.gz").toString(),
                "--truth", niftiMask.toString(), "--binary", "--bootstrap", "10", "--no-distances", "--out",
                niftiCsv.toString()));
        List<String> a = Files.readAllLines(tiffCsv);
        List<String> b = Files.readAllLines(niftiCsv);
        assertEquals(a.size(), b.size());
        for (int i = 1; i < a.size(); i++) {
            assertEquals(a.get(i).substring(a.get(i).indexOf(',')), b.get(i).substring(b.get(i).indexOf(',')));
        }

        // Fine-tuning one epoch from folders of volumes: the same samples, so the same training, loss for loss.
        Path tiffImages = Files.createDirectories(temp.resolve("tiff/images"));
        Path tiffMasks = Files.createDirectories(temp.resolve("tiff/masks"));
        Files.copy(tiffImage, tiffImages.resolve("pat0001.tif"));
        Files.copy(tiffMask, tiffMasks.resolve("pat0001.tif"));
        String[] training = {"--from-scratch", "--config", "samples/sam_tiny.json", "--input-size", "64",
            "--label", "all", "--few-shot", "1", "--epochs", "1", "--batch", "8", "--no-augment", "--seed", "3"};
        assertEquals(0, SamFijiCli.run(concat(new String[] {"finetune", "--images", tiffImages.toString(), "--masks",
                tiffMasks.toString(), "--out", temp.resolve("model-tiff.safetensors").toString()}, training)));
        assertEquals(0, SamFijiCli.run(concat(new String[] {"finetune", "--images", niftiImages.toString(), "--masks",
                niftiMasks.toString(), "--out", temp.resolve("model-nifti.safetensors").toString()}, training)));
        String fromTiffs = history(temp.resolve("model-tiff.json"));
        assertTrue(fromTiffs.contains("train_loss"), fromTiffs);
        assertEquals(fromTiffs, history(temp.resolve("model-nifti.json")));
    }

    private static String history(Path modelJson) throws Exception {
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(Files.readString(modelJson))
                .getAsJsonObject();
        com.google.gson.JsonObject f = o.has("finetune") ? o.getAsJsonObject("finetune") : o;
        return f.getAsJsonObject("training").get("history").toString();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
