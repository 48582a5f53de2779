package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.imagejio.ImageFiles;
import io.github.samfiji.imagejio.ImageWrapping;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code propagate --prob}: a 32-bit probability stack (one slice per object and z) in the labels' geometry that
 * round-trips through its file, equals the sigmoid of the logits behind each mask, and agrees with the labels.
 */
class PropagateProbabilityTest {

    private static final String MODEL = Path.of("samples/sam_tiny.pth").toString();

    @TempDir
    Path temp;

    private Path stack(int depth) {
        ImageStack s = new ImageStack(64, 64);
        for (int z = 0; z < depth; z++) {
            byte[] px = new byte[64 * 64];
            for (int i = 0; i < px.length; i++) {
                int x = i % 64;
                int y = i / 64;
                px[i] = (byte) ((x - 32) * (x - 32) + (y - 32) * (y - 32) <= 300 - 20 * z ? 200 : 20 + z);
            }
            s.addSlice(new ByteProcessor(64, 64, px));
        }
        ImagePlus imp = new ImagePlus("stack", s);
        imp.getCalibration().pixelWidth = 0.5;
        imp.getCalibration().pixelHeight = 0.5;
        imp.getCalibration().pixelDepth = 3;
        imp.getCalibration().setUnit("mm");
        Path file = temp.resolve("stack.tif");
        IJ.saveAsTiff(imp, file.toString());
        return file;
    }

    @Test
    void sam1ProbabilitiesAreTheSigmoidOfTheLogitsAndAgreeWithTheLabels() throws Exception {
        Path file = stack(6);
        assertEquals(0, SamFijiCli.run("propagate", "--checkpoint", MODEL, "--image", file.toString(), "--box",
                "10,10,54,54,3", "--object", "2", "--point", "32,32,5", "--iou-threshold", "0", "--prob", "--out",
                temp.resolve("p").toString()));
        ImagePlus prob = ImageFiles.open(temp.resolve("p.prob.tif"));
        ImagePlus labels = ImageFiles.open(temp.resolve("p.labels.tif"));
        assertEquals(32, prob.getBitDepth());
        assertEquals(12, prob.getStackSize(), "one slice per object and z");
        assertEquals(labels.getWidth(), prob.getWidth());
        assertEquals(labels.getHeight(), prob.getHeight());
        assertEquals(labels.getCalibration().pixelDepth, prob.getCalibration().pixelDepth, 1e-12);
        assertEquals(labels.getCalibration().pixelWidth, prob.getCalibration().pixelWidth, 1e-12);
        assertEquals("object 2, z 5", prob.getStack().getSliceLabel(6 + 5));
        int area = 64 * 64;
        long object2 = 0;
        for (int z = 1; z <= 6; z++) {
            float[] p1 = (float[]) prob.getStack().getPixels(z);
            float[] p2 = (float[]) prob.getStack().getPixels(6 + z);
            short[] l = (short[]) labels.getStack().getPixels(z);
            for (int k = 0; k < area; k++) {
                assertTrue(p1[k] >= 0 && p1[k] <= 1 && p2[k] >= 0 && p2[k] <= 1, "a probability");
                // Object 2 is painted last: label 2 is exactly its mask; label 1 lies inside object 1's.
                assertEquals(l[k] == 2, p2[k] > 0.5f, "object 2, z " + z + ", pixel " + k);
                if (l[k] == 1) {
                    assertTrue(p1[k] > 0.5f, "object 1, z " + z + ", pixel " + k);
                }
                object2 += p2[k] > 0.5f ? 1 : 0;
            }
        }
        assertTrue(object2 > 0, "object 2 was found");

        // The prompted slice: the sigmoid of the model's own single-mask logits for that box.
        ImagePlus image = ImageFiles.open(file);
        try (SamModel model = ModelLoader.load(Path.of(MODEL), null)) {
            SamPredictor predictor = new SamPredictor(model);
            try (ImageEmbedding e = predictor.encode(ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, 3)))) {
                Prediction p = predictor.predict(e, new Prompt(null, new Prompt.Box(10, 10, 54, 54), null), false);
                float[] logits = p.logits(0);
                float[] mine = (float[]) prob.getStack().getPixels(3);
                for (int k = 0; k < area; k++) {
                    assertEquals(1 / (1 + Math.exp(-logits[k])), mine[k], 1e-6, "pixel " + k);
                }
            }
        }
    }

    @Test
    @NeedsSharedData
    void sam21ProbabilitiesAreTheSigmoidOfItsLogits() throws Exception {
        Path set = Fixtures.set("sam2_tiny");
        assertEquals(0, SamFijiCli.run("propagate", "--checkpoint", set.resolve("sam2_tiny.pt").toString(), "--config",
                set.resolve("config.json").toString(), "--image", set.resolve("stack.tif").toString(), "--box",
                "25.0,34.76,63.69,100.24,4", "--logits", "--prob", "--out", temp.resolve("s2").toString()));
        ImagePlus logits = ImageFiles.open(temp.resolve("s2.logits.tif"));
        ImagePlus prob = ImageFiles.open(temp.resolve("s2.prob.tif"));
        assertEquals(logits.getStackSize(), prob.getStackSize());
        for (int z = 1; z <= prob.getStackSize(); z++) {
            float[] l = (float[]) logits.getStack().getPixels(z);
            float[] p = (float[]) prob.getStack().getPixels(z);
            for (int k = 0; k < l.length; k++) {
                assertEquals(1 / (1 + Math.exp(-l[k])), p[k], 1e-6, "z " + z + ", pixel " + k);
            }
        }
    }

    @Test
    void probabilitiesFollowANiftiInputAndNeverOverwriteAUsersFile() throws Exception {
        Path tiff = stack(4);
        Path nifti = temp.resolve("stack.nii.gz");
        ImageFiles.save(ImageFiles.open(tiff), nifti, false);
        Path mine = temp.resolve("n.prob.nii.gz");
        Files.writeString(mine, "the user's file");
        assertTrue(SamFijiCli.run("propagate", "--checkpoint", MODEL, "--image", nifti.toString(), "--box",
                "10,10,54,54,2", "--prob", "--out", temp.resolve("n").toString()) != 0);
        assertEquals("the user's file", Files.readString(mine));
        assertEquals(0, SamFijiCli.run("propagate", "--checkpoint", MODEL, "--image", nifti.toString(), "--box",
                "10,10,54,54,2", "--prob", "--overwrite", "--out", temp.resolve("n").toString()));
        ImagePlus prob = ImageFiles.open(mine);
        assertEquals(4, prob.getStackSize());
        assertEquals(32, prob.getBitDepth());
        assertEquals(3.0, prob.getCalibration().pixelDepth, 1e-6);
    }
}
