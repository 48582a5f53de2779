package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.ImagePlus;
import ij.macro.Interpreter;
import io.github.samfiji.imagejio.ImageFiles;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsDisplay;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BraTS volume converted to .nii.gz fine-tunes, propagates and evaluates from an ImageJ macro (the plugin commands
 * by their menu names, the volume opened and the labels saved with "Open NIfTI or DICOM" and "Save as NIfTI") with the
 * same results as its TIFF: the same training history, the same labels slice by slice, the same metrics.
 */
@NeedsDisplay
class NiftiVolumeMacroTest {

    private static final String MODEL = Path.of("samples/sam_tiny.pth").toAbsolutePath().toString();

    @TempDir
    Path temp;

    @BeforeAll
    static void registerMenuCommands() {
        ImageJMenus.registerCommands();
    }

    @AfterEach
    void closeImages() {
        ImageJMenus.closeEverything();
    }

    private static String run(String macro) {
        CommandDialog.lastError = null;
        String result = new Interpreter().run("setBatchMode(true);\n" + macro, null);
        assertEquals(null, CommandDialog.lastError, "the macro's commands succeeded");
        return result;
    }

    @Test
    @NeedsSharedData
    void fineTunePropagateAndEvaluateGiveTheTiffsResults() throws Exception {
        Path brats = Fixtures.data("brats2013");
        Path tiffImages = Files.createDirectories(temp.resolve("tiff/images"));
        Path tiffMasks = Files.createDirectories(temp.resolve("tiff/masks"));
        Path niftiImages = Files.createDirectories(temp.resolve("nifti/images"));
        Path niftiMasks = Files.createDirectories(temp.resolve("nifti/masks"));
        Files.copy(brats.resolve("images/pat0001.tif"), tiffImages.resolve("pat0001.tif"));
        Files.copy(brats.resolve("masks/pat0001.tif"), tiffMasks.resolve("pat0001.tif"));
        ImageFiles.save(ImageFiles.open(tiffImages.resolve("pat0001.tif")), niftiImages.resolve("pat0001.nii.gz"), false);
        ImageFiles.save(ImageFiles.open(tiffMasks.resolve("pat0001.tif")), niftiMasks.resolve("pat0001.nii.gz"), false);

        // Fine-tuning from folders of volumes: the same slices, so the same training, loss for loss.
        String training = " object=all start=[" + FineTuneJob.FROM_FILE + "] model=[" + MODEL + "] objective=auto "
                + "parts=decoder method=vanilla lora=4 annotation=1 epochs=2 patience=20 learning=0.001 batch=8 "
                + "input=64 augmentation=off seed=3";
        for (String kind : List.of("tiff", "nifti")) {
            Path root = temp.resolve(kind);
            run("run('Fine-tune SAM', 'images=[" + root.resolve("images") + "] masks=[" + root.resolve("masks") + "]"
                    + training + " output=[" + temp.resolve("model-" + kind + ".safetensors") + "]');");
        }
        String fromTiffs = history(temp.resolve("model-tiff.json"));
        assertTrue(fromTiffs.contains("train_loss"), fromTiffs);
        assertEquals(fromTiffs, history(temp.resolve("model-nifti.json")));

        // Propagation from a box on slice 80 through the volume opened each way; the labels saved as TIFF / NIfTI.
        String prompt = "roiManager('reset'); setSlice(80); makeRectangle(60, 60, 120, 120); Roi.setPosition(80); "
                + "roiManager('add');\nrun('Propagate in 3D', 'model=[" + MODEL + "] projection=mask iou=0.9 box=0.05 "
                + "label');\n";
        Path tiffLabels = temp.resolve("labels.tif");
        Path niftiLabels = temp.resolve("labels.nii.gz");
        run("open('" + tiffImages.resolve("pat0001.tif") + "');\n" + prompt + "saveAs('Tiff', '" + tiffLabels + "');");
        ImageJMenus.closeEverything();
        String title = run("run('Open NIfTI or DICOM', 'file=[" + niftiImages.resolve("pat0001.nii.gz") + "]');\n"
                + "t = getTitle();\n" + prompt + "run('Save as NIfTI', 'nifti=[" + niftiLabels + "]');\nreturn t;");
        assertTrue(title.startsWith("pat0001"), title);
        ImagePlus a = ImageFiles.open(tiffLabels);
        ImagePlus b = ImageFiles.open(niftiLabels);
        assertEquals(155, a.getStackSize());
        assertEquals(a.getStackSize(), b.getStackSize());
        long found = 0;
        for (int z = 1; z <= a.getStackSize(); z++) {
            short[] s = (short[]) a.getStack().getPixels(z);
            assertArrayEquals(s, (short[]) b.getStack().getPixels(z), "slice " + z);
            for (short v : s) {
                found += v != 0 ? 1 : 0;
            }
        }
        assertTrue(found > 0, "the box gave an object");
        assertEquals(a.getCalibration().pixelDepth, b.getCalibration().pixelDepth, 1e-6);
        ImageJMenus.closeEverything();

        // Evaluation of those labels against the expert mask, opened each way: the same table.
        Path tiffCsv = temp.resolve("tiff.csv");
        Path niftiCsv = temp.resolve("nifti.csv");
        run("open('" + tiffLabels + "'); p = getTitle(); open('" + tiffMasks.resolve("pat0001.tif") + "'); "
                + "g = getTitle();\nrun('Evaluate Segmentation', 'prediction=[' + p + '] ground=[' + g + '] binary "
                + "bootstrap=10 seed=1 csv=[" + tiffCsv + "]');");
        ImageJMenus.closeEverything();
        run("run('Open NIfTI or DICOM', 'file=[" + niftiLabels + "]'); p = getTitle();\n"
                + "run('Open NIfTI or DICOM', 'file=[" + niftiMasks.resolve("pat0001.nii.gz") + "]'); g = getTitle();\n"
                + "run('Evaluate Segmentation', 'prediction=[' + p + '] ground=[' + g + '] binary bootstrap=10 seed=1 "
                + "csv=[" + niftiCsv + "]');");
        List<String> x = Files.readAllLines(tiffCsv);
        List<String> y = Files.readAllLines(niftiCsv);
        assertEquals(x.size(), y.size());
        assertTrue(x.size() > 1, "a table with rows");
        for (int i = 1; i < x.size(); i++) {
            assertEquals(withoutNames(x.get(i)), withoutNames(y.get(i)), "row " + i);
        }
    }

    @Test
    void openNiftiOrDicomOpensADicomFolderAsTheCommandLineReadsIt() throws Exception {
        Path folder = Path.of(NiftiVolumeMacroTest.class.getResource("/medical/dicom_series").toURI());
        ImagePlus expected = ImageFiles.open(folder);
        Path saved = temp.resolve("series.tif");
        run("run('Open NIfTI or DICOM', 'file=[" + folder + "]');\nsaveAs('Tiff', '" + saved + "');");
        ImagePlus shown = ImageFiles.open(saved);
        assertEquals(expected.getStackSize(), shown.getStackSize());
        assertEquals(expected.getCalibration().pixelDepth, shown.getCalibration().pixelDepth, 1e-9);
        for (int z = 1; z <= expected.getStackSize(); z++) {
            assertArrayEquals((float[]) expected.getStack().getPixels(z), (float[]) shown.getStack().getPixels(z));
        }
        CommandDialog.lastError = null;
        new Interpreter().run("setBatchMode(true); run('Open NIfTI or DICOM', 'file=[" + temp.resolve("none.nii")
                + "]');", null);
        assertTrue(String.valueOf(CommandDialog.lastError).contains("none.nii"), CommandDialog.lastError);
    }

    @Test
    void saveAsNiftiRefusesOtherNamesAndExistingFiles() throws Exception {
        Path existing = temp.resolve("mine.nii.gz");
        Files.writeString(existing, "the user's file");
        CommandDialog.lastError = null;
        new Interpreter().run("setBatchMode(true); newImage('x', '8-bit black', 8, 8, 2);\n"
                + "run('Save as NIfTI', 'nifti=[" + existing + "]');", null);
        assertTrue(String.valueOf(CommandDialog.lastError).contains("exists"), CommandDialog.lastError);
        assertEquals("the user's file", Files.readString(existing));
        CommandDialog.lastError = null;
        new Interpreter().run("setBatchMode(true); newImage('x', '8-bit black', 8, 8, 2);\n"
                + "run('Save as NIfTI', 'nifti=[" + temp.resolve("x.tif") + "]');", null);
        assertTrue(String.valueOf(CommandDialog.lastError).contains("not a NIfTI name"), CommandDialog.lastError);
    }

    /** A CSV row without the columns naming the images (titles differ: pat0001.tif vs pat0001.nii.gz). */
    private static String withoutNames(String row) {
        return row.replaceAll("pat0001(\\.nii\\.gz|\\.tif)?", "pat0001").replaceAll("labels(\\.nii\\.gz|\\.tif)?",
                "labels");
    }

    private static String history(Path modelJson) throws Exception {
        JsonObject o = JsonParser.parseString(Files.readString(modelJson)).getAsJsonObject();
        JsonObject f = o.has("finetune") ? o.getAsJsonObject("finetune") : o;
        return f.getAsJsonObject("training").get("history").toString();
    }
}
