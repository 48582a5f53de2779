package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auto --mode semantic --prob} writes each class's probability map with the labels' geometry, consistent with
 * the labels, and {@code evaluate --prob} then reports AUC for a model fine-tuned here (the bundled BUSI model on a
 * bundled test image it never saw).
 */
class ProbabilityMapTest {

    private static final Path TINY = Path.of("samples/sam_tiny.pth");
    private static final Path IMAGE = Path.of("samples/fixture-image.png");

    @Test
    void probabilityMapsAgreeWithTheLabelsClassByClass(@TempDir Path temp) throws Exception {
        Path negated = temp.resolve("negated.safetensors");
        FineTuneCommandTestData.writeNegatedModel(TINY.toAbsolutePath(), negated);
        Path prefix = temp.resolve("sem");
        assertEquals(0, SamFijiCli.run("auto", "--checkpoint", TINY.toString(), "--image", IMAGE.toString(), "--mode",
                "semantic", "--class-model", negated.toString(), "--prob", "--out", prefix.toString()));
        ImagePlus labels = IJ.openImage(prefix + ".labels.tif");
        ImagePlus one = IJ.openImage(prefix + ".prob.tif");
        ImagePlus two = IJ.openImage(prefix + ".prob2.tif");
        assertEquals(ImagePlus.GRAY32, one.getType());
        assertEquals(labels.getWidth(), one.getWidth());
        assertEquals(labels.getHeight(), one.getHeight());
        assertEquals(labels.getStackSize(), one.getStackSize());
        short[] l = (short[]) labels.getProcessor().getPixels();
        float[] p1 = (float[]) one.getProcessor().getPixels();
        float[] p2 = (float[]) two.getProcessor().getPixels();
        for (int i = 0; i < l.length; i++) {
            // Class 2 is class 1 negated: its probability is the complement, and the larger one labels the pixel.
            assertEquals(1.0, p1[i] + p2[i], 1e-6, "pixel " + i);
            assertEquals(p1[i] > 0.5f ? 1 : 2, l[i], "pixel " + i + ": p1 " + p1[i]);
        }
        // AMG has objects, not a map: asking for one is a clear error before anything runs.
        assertEquals(1, SamFijiCli.run("auto", "--checkpoint", TINY.toString(), "--image", IMAGE.toString(), "--prob",
                "--out", temp.resolve("amg").toString()));
    }

    @Test
    void aFineTunedModelsMapGivesAnAuc(@TempDir Path temp) throws Exception {
        Path image = Path.of("samples/busi-test/images/benign_005.png");
        Path truth = Path.of("samples/busi-test/masks/benign_005.png");
        Path prefix = temp.resolve("busi");
        assertEquals(0, SamFijiCli.run("auto", "--checkpoint", "samples/busi_sam_tiny.safetensors", "--image",
                image.toString(), "--mode", "semantic", "--prob", "--out", prefix.toString()));
        Path table = temp.resolve("metrics.csv");
        assertEquals(0, SamFijiCli.run("evaluate", "--pred", prefix + ".labels.tif", "--prob", prefix + ".prob.tif",
                "--truth", truth.toString(), "--binary", "--bootstrap", "10", "--out", table.toString()));
        List<String> rows = Files.readAllLines(table);
        List<String> columns = List.of(rows.get(0).split(","));
        int auc = columns.indexOf("auc");
        assertTrue(auc > 0, "an AUC column: " + rows.get(0));
        double value = Double.parseDouble(rows.get(1).split(",")[auc]);
        // The model was trained on BUSI lesions; its map must rank lesion pixels above background.
        assertTrue(value > 0.8 && value <= 1, "AUC " + value);
    }

    @Test
    void segmentWritesEachCandidatesProbabilityBesideItsLogits(@TempDir Path temp) throws Exception {
        Path prefix = temp.resolve("seg");
        assertEquals(0, SamFijiCli.run("segment", "--checkpoint", TINY.toString(), "--image", IMAGE.toString(),
                "--point", "60,40", "--multimask", "--logits", "--prob", "--out", prefix.toString()));
        ImagePlus logits = IJ.openImage(prefix + ".logits.tif");
        ImagePlus probabilities = IJ.openImage(prefix + ".prob.tif");
        ImagePlus masks = IJ.openImage(prefix + ".masks.tif");
        assertEquals(3, probabilities.getStackSize());
        for (int c = 1; c <= 3; c++) {
            float[] l = (float[]) logits.getStack().getPixels(c);
            float[] p = (float[]) probabilities.getStack().getPixels(c);
            byte[] m = (byte[]) masks.getStack().getPixels(c);
            for (int i = 0; i < l.length; i++) {
                assertEquals(1 / (1 + Math.exp(-l[i])), p[i], 1e-6, "candidate " + c + ", pixel " + i);
                assertEquals(l[i] > 0, m[i] != 0, "candidate " + c + ", pixel " + i);
            }
        }
    }
}
