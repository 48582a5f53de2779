package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.model.SamModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AutomaticMaskGeneratorTest {

    private static SamModel model;

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(Path.of("samples/sam_tiny.pth"), null);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static InstanceMask box(int x0, int y0, int x1, int y1, double iou) {
        int w = x1 - x0 + 1;
        int h = y1 - y0 + 1;
        boolean[] bits = new boolean[w * h];
        java.util.Arrays.fill(bits, true);
        return new InstanceMask(x0, y0, w, h, bits, (long) w * h, iou, 1, x0, y0);
    }

    /** A synthetic grey image: a few bright discs and squares on a dark gradient. */
    static Rgb8Image blobs(int w, int h) {
        byte[] grey = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = 30 + (x + y) / 8;
                if ((x - w / 3) * (x - w / 3) + (y - h / 3) * (y - h / 3) < (w / 8) * (w / 8)) {
                    v = 220;
                }
                if (x > 2 * w / 3 && x < 2 * w / 3 + w / 6 && y > h / 2 && y < h / 2 + h / 5) {
                    v = 160;
                }
                grey[y * w + x] = (byte) Math.min(255, v);
            }
        }
        return Rgb8Image.fromGrey(w, h, grey);
    }

    @Test
    void nonMaximumSuppressionKeepsTheBestOfOverlappingBoxes() {
        InstanceMask a = box(0, 0, 9, 9, 0.9);
        InstanceMask b = box(1, 0, 10, 9, 0.95);   // IoU with a: 90 / 110 = 0.818
        InstanceMask c = box(5, 0, 14, 9, 0.8);    // IoU with b: 60 / 140 = 0.43
        InstanceMask d = box(30, 30, 35, 35, 0.5);
        assertEquals(90.0 / 110, InstanceMask.boxIou(a, b), 1e-12);
        List<InstanceMask> kept = AutomaticMaskGenerator.nonMaximumSuppression(List.of(a, b, c, d),
                new double[] {0.9, 0.95, 0.8, 0.5}, 0.7);
        assertEquals(List.of(b, c, d), kept);
        List<InstanceMask> strict = AutomaticMaskGenerator.nonMaximumSuppression(List.of(a, b, c, d),
                new double[] {0.9, 0.95, 0.8, 0.5}, 0.4);
        assertEquals(List.of(b, d), strict);
        List<InstanceMask> all = AutomaticMaskGenerator.nonMaximumSuppression(List.of(a, b, c, d),
                new double[] {0.9, 0.95, 0.8, 0.5}, 1.0);
        assertEquals(4, all.size());
    }

    @Test
    void stabilityScoreIsTheRatioOfTheTightToTheLooseMask() {
        float[] logits = {-2f, -0.5f, 0.5f, 1.5f, 3f};
        // > 1: {1.5, 3} = 2 pixels; > -1: {-0.5, 0.5, 1.5, 3} = 4 pixels
        assertEquals(0.5, AutomaticMaskGenerator.stabilityScore(logits, 0f, 1.0), 1e-12);
        assertEquals(1.0, AutomaticMaskGenerator.stabilityScore(logits, 0f, 0.0), 1e-12);
        assertEquals(0.0, AutomaticMaskGenerator.stabilityScore(new float[] {-5f, -3f}, 0f, 1.0));
    }

    @Test
    void cropLayersFollowSamsLayout() {
        AmgSettings s = AmgSettings.defaults().cropNLayers(1);
        List<AutomaticMaskGenerator.Crop> crops = AutomaticMaskGenerator.crops(1500, 1000, s);
        assertEquals(5, crops.size());
        assertEquals(new AutomaticMaskGenerator.Crop(0, 0, 1500, 1000, 0), crops.get(0));
        // overlap = int(512/1500 * 1000 * 2/2) = 341; crop = ceil((1500 + 341) / 2) x ceil((1000 + 341) / 2)
        assertEquals(new AutomaticMaskGenerator.Crop(0, 0, 921, 671, 1), crops.get(1));
        assertEquals(new AutomaticMaskGenerator.Crop(0, 330, 921, 1000, 1), crops.get(2));
        assertEquals(new AutomaticMaskGenerator.Crop(580, 0, 1500, 671, 1), crops.get(3));
        assertEquals(new AutomaticMaskGenerator.Crop(580, 330, 1500, 1000, 1), crops.get(4));
    }

    @Test
    void tilesCoverTheImageWithTheRequestedOverlap() {
        assertArrayEquals(new int[] {0}, AutomaticMaskGenerator.tileStarts(900, 1024, 256));
        int[] starts = AutomaticMaskGenerator.tileStarts(4000, 1024, 256);
        assertEquals(0, starts[0]);
        assertEquals(4000 - 1024, starts[starts.length - 1]);
        for (int i = 1; i < starts.length; i++) {
            assertTrue(starts[i - 1] + 1024 - starts[i] >= 256, "overlap between tiles " + i);
        }
        assertEquals(5, starts.length);
        AmgSettings s = AmgSettings.defaults().tileSize(1024).tileOverlap(256);
        assertEquals(1, AutomaticMaskGenerator.crops(1000, 800, s).size());
        assertEquals(25, AutomaticMaskGenerator.crops(4000, 4000, s).size());
        assertThrows(IllegalArgumentException.class,
                () -> AutomaticMaskGenerator.crops(4000, 4000, AmgSettings.defaults().tileSize(256).tileOverlap(256)));
    }

    @Test
    void pointGridSitsAtCellCentres() {
        double[] xy = AutomaticMaskGenerator.pointGrid(new AutomaticMaskGenerator.Crop(0, 0, 100, 50, 0), 2);
        assertArrayEquals(new double[] {25, 12.5, 75, 12.5, 25, 37.5, 75, 37.5}, xy, 1e-9);
    }

    @Test
    void masksCutByACropBorderAreDroppedButNotThoseAtTheImageBorder() {
        AutomaticMaskGenerator.Crop crop = new AutomaticMaskGenerator.Crop(0, 0, 600, 400, 1);
        assertTrue(AutomaticMaskGenerator.cutByCrop(box(500, 100, 595, 200, 1), crop, 1000, 400));
        assertFalse(AutomaticMaskGenerator.cutByCrop(box(500, 300, 560, 399, 1), crop, 1000, 400));
        assertFalse(AutomaticMaskGenerator.cutByCrop(box(0, 0, 50, 50, 1), crop, 1000, 400));
    }

    @Test
    void generatesDeterministicMasksSortedByArea() {
        Rgb8Image image = blobs(200, 150);
        AmgSettings s = AmgSettings.defaults().pointsPerSide(8).pointsPerBatch(20).predIouThresh(0)
                .stabilityScoreThresh(0);
        SamPredictor predictor = new SamPredictor(model);
        AutomaticMaskGenerator.Result a = new AutomaticMaskGenerator(predictor, s).generate(image, Progress.NONE);
        AutomaticMaskGenerator.Result b = new AutomaticMaskGenerator(predictor, s).generate(image, Progress.NONE);
        assertEquals(64, a.pointsDecoded());
        assertFalse(a.masks().isEmpty());
        assertEquals(a.masks().size(), b.masks().size());
        for (int i = 0; i < a.masks().size(); i++) {
            InstanceMask x = a.masks().get(i);
            InstanceMask y = b.masks().get(i);
            assertArrayEquals(x.bits(), y.bits());
            assertEquals(x.x0(), y.x0());
            assertEquals(x.predictedIou(), y.predictedIou());
            if (i > 0) {
                assertTrue(a.masks().get(i - 1).area() >= x.area(), "sorted by decreasing area");
            }
            long area = 0;
            for (boolean bit : x.bits()) {
                area += bit ? 1 : 0;
            }
            assertEquals(area, x.area());
            assertTrue(x.stabilityScore() >= 0 && x.stabilityScore() <= 1);
        }
        // Decoding one point at a time (the CPU default) finds the same objects as batches of 20.
        AutomaticMaskGenerator.Result single = new AutomaticMaskGenerator(predictor, AmgSettings.defaults().pointsPerSide(8)
                .pointsPerBatch(1).predIouThresh(0).stabilityScoreThresh(0)).generate(image, Progress.NONE);
        assertEquals(a.masks().size(), single.masks().size());
        for (int i = 0; i < a.masks().size(); i++) {
            assertArrayEquals(a.masks().get(i).toFull(200, 150), single.masks().get(i).toFull(200, 150), "object " + i);
            assertEquals(a.masks().get(i).predictedIou(), single.masks().get(i).predictedIou(), 1e-5);
        }
        // No two kept masks overlap beyond the NMS threshold.
        for (int i = 0; i < a.masks().size(); i++) {
            for (int j = i + 1; j < a.masks().size(); j++) {
                assertTrue(InstanceMask.boxIou(a.masks().get(i), a.masks().get(j)) <= 0.7);
            }
        }
        // Filters only remove: a stricter stability threshold keeps a subset.
        AutomaticMaskGenerator.Result strict = new AutomaticMaskGenerator(predictor,
                AmgSettings.defaults().pointsPerSide(8).predIouThresh(0).stabilityScoreThresh(0.9)).generate(image,
                Progress.NONE);
        assertTrue(strict.masks().size() <= a.masks().size());
        strict.masks().forEach(m -> assertTrue(m.stabilityScore() >= 0.9));
    }

    @Test
    void aTiledRunOnAnImageThatFitsOneTileEqualsTheUntiledRun() {
        Rgb8Image image = blobs(120, 90);
        SamPredictor predictor = new SamPredictor(model);
        AmgSettings plain = AmgSettings.defaults().pointsPerSide(6).predIouThresh(0).stabilityScoreThresh(0);
        AmgSettings tiled = AmgSettings.defaults().pointsPerSide(6).predIouThresh(0).stabilityScoreThresh(0)
                .tileSize(128).tileOverlap(32);
        List<InstanceMask> a = new AutomaticMaskGenerator(predictor, plain).generate(image, Progress.NONE).masks();
        List<InstanceMask> b = new AutomaticMaskGenerator(predictor, tiled).generate(image, Progress.NONE).masks();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).toFull(120, 90), b.get(i).toFull(120, 90));
        }
        // Tiled for real: 4 tiles of 80 px; every mask lies inside the image and none is cut by a tile border.
        AmgSettings four = AmgSettings.defaults().pointsPerSide(4).predIouThresh(0).stabilityScoreThresh(0)
                .tileSize(80).tileOverlap(40);
        AutomaticMaskGenerator.Result r = new AutomaticMaskGenerator(predictor, four).generate(image, Progress.NONE);
        assertEquals(4, r.crops());
        assertEquals(64, r.pointsDecoded());
        r.masks().forEach(m -> assertTrue(m.x1() < 120 && m.y1() < 90));
    }

    @Test
    void smallRegionRemovalLeavesNoSmallIslands() {
        Rgb8Image image = blobs(160, 120);
        AmgSettings s = AmgSettings.defaults().pointsPerSide(6).predIouThresh(0).stabilityScoreThresh(0)
                .minMaskRegionArea(50);
        List<InstanceMask> masks = new AutomaticMaskGenerator(new SamPredictor(model), s).generate(image, Progress.NONE)
                .masks();
        for (InstanceMask m : masks) {
            boolean[] full = m.toFull(160, 120);
            MaskGeometry.Components c = MaskGeometry.components(full, 160, 120, true);
            if (c.count() > 1) {
                for (int k = 1; k <= c.count(); k++) {
                    assertTrue(c.sizes()[k] >= 50, "island of " + c.sizes()[k] + " pixels left");
                }
            }
        }
    }

    @Test
    void cancellingStopsTheRun() {
        Progress cancelled = new Progress() {
            @Override
            public void update(double fraction, String message) {
            }

            @Override
            public boolean isCancelled() {
                return true;
            }
        };
        assertThrows(CancellationException.class, () -> new AutomaticMaskGenerator(new SamPredictor(model),
                AmgSettings.defaults()).generate(blobs(64, 64), cancelled));
    }

    @Test
    void badSettingsAreRejectedWithTheirName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AmgSettings.defaults().predIouThresh(1.5));
        assertTrue(e.getMessage().contains("predicted IoU threshold"));
        assertThrows(IllegalArgumentException.class, () -> AmgSettings.defaults().pointsPerSide(0));
        assertThrows(IllegalArgumentException.class, () -> AmgSettings.defaults().tileSize(10));
    }
}
