package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.model.ConfigJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The study runner on a small synthetic set: every cell of strategies x budgets runs, the per-run means equal the
 * per-image Dice they summarize, the paired tests compare the strategies on the same test images, nested budgets
 * train on more images as the budget grows, and the plot is written.
 */
class StudyCommandTest {

    @TempDir
    Path temp;

    @Test
    void runsTheGridAndWritesConsistentTables() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 20, 80, 64, 3);
        Path config = temp.resolve("tiny.json");
        Files.writeString(config, ConfigJson.toJson(FineTuneCommandTestData.tinyConfig()));
        Path out = temp.resolve("study");
        assertEquals(0, SamFijiCli.run("study", "--images", images.toString(), "--masks", masks.toString(),
                "--from-scratch", "--config", config.toString(), "--strategies", "decoder:vanilla,encoder-decoder:lora",
                "--budgets", "0.5,1", "--seeds", "7", "--epochs", "2", "--batch", "4", "--lr", "3e-3", "--warmup", "2",
                "--out", out.toString()));
        List<String> runs = Files.readAllLines(out.resolve("runs.csv"));
        assertEquals(1 + 4, runs.size(), runs.toString());
        List<String> perImage = Files.readAllLines(out.resolve("per_image.csv"));
        Set<String> cells = new HashSet<>();
        for (String row : runs.subList(1, runs.size())) {
            String[] c = row.split(",");
            cells.add(c[0] + "|" + c[1]);
            int testImages = Integer.parseInt(c[4]);
            double sum = 0;
            int n = 0;
            for (String p : perImage.subList(1, perImage.size())) {
                String[] q = p.split(",");
                if (q[0].equals(c[0]) && q[1].equals(c[1]) && q[2].equals(c[2])) {
                    sum += Double.parseDouble(q[4]);
                    n++;
                }
            }
            assertEquals(testImages, n, "per-image rows of " + row);
            assertEquals(Double.parseDouble(c[5]), sum / n, 1e-5, "mean of " + row);
            assertTrue(Double.parseDouble(c[6]) <= Double.parseDouble(c[5]) && Double.parseDouble(c[5])
                    <= Double.parseDouble(c[7]), "CI around the mean: " + row);
        }
        assertEquals(4, cells.size());
        // Nested budgets: half the training split trains on fewer images than all of it.
        int half = trainImages(runs, "0.5");
        int all = trainImages(runs, "1");
        assertTrue(half < all, half + " vs " + all);
        for (String p : perImage.subList(1, perImage.size())) {
            // IoU follows from Dice on the same pixels: IoU = D / (2 - D).
            String[] q = p.split(",", -1);
            double dice = Double.parseDouble(q[4]);
            assertEquals(dice / (2 - dice), Double.parseDouble(q[5]), 2e-6, p);
        }
        assertTrue(runs.get(0).contains("iou_mean") && runs.get(0).contains("specificity_ci95_low")
                && runs.get(0).contains("auc_mean"), runs.get(0));
        List<String> paired = Files.readAllLines(out.resolve("paired.csv"));
        assertEquals(1 + 2, paired.size(), "one comparison per budget: " + paired);
        List<String> pairedColumns = List.of(paired.get(0).split(","));
        for (String row : paired.subList(1, paired.size())) {
            String[] c = row.split(",");
            int n = Integer.parseInt(c[pairedColumns.indexOf("n")]);
            long onlyA = Long.parseLong(c[pairedColumns.indexOf("mcnemar_only_a_segmented")]);
            long onlyB = Long.parseLong(c[pairedColumns.indexOf("mcnemar_only_b_segmented")]);
            double mcNemar = Double.parseDouble(c[pairedColumns.indexOf("mcnemar_p")]);
            assertTrue(onlyA + onlyB <= n && mcNemar >= 0 && mcNemar <= 1, row);
            double deLong = Double.parseDouble(c[pairedColumns.indexOf("delong_p")]);
            double aucA = Double.parseDouble(c[pairedColumns.indexOf("auc_a")]);
            assertTrue(deLong >= 0 && deLong <= 1 && aucA >= 0 && aucA <= 1, row);
        }
        for (String row : paired.subList(1, paired.size())) {
            String[] c = row.split(",");
            double p = Double.parseDouble(c[8]);
            assertEquals(Math.min(1, 2 * p), Double.parseDouble(c[9]), 1e-6, "Bonferroni over 2 comparisons");
        }
        java.awt.image.BufferedImage chart = ImageIO.read(out.resolve("dice_vs_budget.png").toFile());
        assertTrue(chart.getWidth() >= 600 && chart.getHeight() >= 400, "a readable chart");
        int coloured = 0;
        for (int y = 0; y < chart.getHeight(); y++) {
            for (int x = 0; x < chart.getWidth(); x++) {
                int rgb = chart.getRGB(x, y);
                int r = (rgb >> 16) & 255;
                int b = rgb & 255;
                coloured += Math.abs(r - b) > 80 ? 1 : 0;
            }
        }
        assertTrue(coloured > 50, "the strategies' lines are drawn in colour: " + coloured + " pixels");
        assertTrue(Files.exists(out.resolve("models/encoder-decoder-lora_b1_s7.safetensors".toLowerCase(Locale.ROOT)))
                || Files.list(out.resolve("models")).count() >= 4, "the runs' models are kept");
        // A budget that leaves no image is refused before any run trains, even when it comes last in the grid.
        Path bad = temp.resolve("bad");
        assertEquals(1, SamFijiCli.run("study", "--images", images.toString(), "--masks", masks.toString(),
                "--from-scratch", "--config", config.toString(), "--strategies", "decoder:vanilla", "--budgets",
                "1,0.01", "--epochs", "1", "--out", bad.toString()));
        try (var models = Files.list(bad.resolve("models"))) {
            assertEquals(0, models.count(), "no run trained");
        }
        // A second study into the same folder is refused without --overwrite.
        assertEquals(1, SamFijiCli.run("study", "--images", images.toString(), "--masks", masks.toString(),
                "--from-scratch", "--config", config.toString(), "--out", out.toString()));
    }

    @Test
    void zeroShotRowAndOneRowPerLoraRank() throws Exception {
        Path images = temp.resolve("images");
        Path masks = temp.resolve("masks");
        FineTuneCommandTestData.writeDiscs(images, masks, 12, 80, 64, 5);
        Path otherImages = temp.resolve("other-images");
        Path otherMasks = temp.resolve("other-masks");
        FineTuneCommandTestData.writeDiscs(otherImages, otherMasks, 6, 80, 64, 11);
        Path out = temp.resolve("ranks");
        assertEquals(0, SamFijiCli.run("study", "--images", images.toString(), "--masks", masks.toString(),
                "--external", otherImages.toString(), otherMasks.toString(),
                "--checkpoint", Path.of("samples/sam_tiny.pth").toString(), "--input-size", "64",
                "--strategies", "decoder:lora", "--ranks", "2,3", "--budgets", "1", "--seeds", "7", "--epochs", "1",
                "--batch", "4", "--warmup", "1", "--out", out.toString()));
        List<String> runs = Files.readAllLines(out.resolve("runs.csv"));
        assertEquals(1 + 3, runs.size(), runs.toString());
        List<String> header = List.of(runs.get(0).split(","));
        int share = header.indexOf("trainable_share");
        String[] zero = runs.get(1).split(",");
        String[] r2 = runs.get(2).split(",");
        String[] r3 = runs.get(3).split(",");
        assertEquals("zero-shot", zero[0]);
        assertEquals("decoder/lora-r2", r2[0]);
        assertEquals("decoder/lora-r3", r3[0]);
        assertEquals(0.0, Double.parseDouble(zero[share]));
        assertTrue(0 < Double.parseDouble(r2[share]) && Double.parseDouble(r2[share]) < Double.parseDouble(r3[share]),
                "a larger rank trains more: " + r2[share] + " vs " + r3[share]);
        assertEquals(zero[4], r2[4], "zero-shot is scored on the same test images");
        List<String> paired = Files.readAllLines(out.resolve("paired.csv"));
        assertEquals(1 + 3, paired.size(), "zero-shot, r2 and r3 compared two by two: " + paired);
        // The same rows on the whole external set (6 images), with their own paired tests.
        List<String> external = Files.readAllLines(out.resolve("external_runs.csv"));
        assertEquals(runs.size(), external.size(), external.toString());
        for (String row : external.subList(1, external.size())) {
            assertEquals("6", row.split(",")[4], row);
        }
        assertEquals(1 + 3, Files.readAllLines(out.resolve("external_paired.csv")).size());
    }

    private static int trainImages(List<String> runs, String budget) {
        return runs.subList(1, runs.size()).stream().map(r -> r.split(",")).filter(c -> c[1].equals(budget))
                .mapToInt(c -> Integer.parseInt(c[3])).max().orElseThrow();
    }
}
