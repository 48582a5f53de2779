package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.VolumePropagator.Projection;
import io.github.samfiji.inference.VolumePropagator.Settings;
import io.github.samfiji.inference.VolumePropagator.SliceMask;
import io.github.samfiji.inference.VolumePropagator.SlicePrompt;
import io.github.samfiji.model.SamModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumePropagatorTest {

    private static final int W = 48;
    private static final int H = 40;

    /**
     * An ideal segmenter over a known volume: it returns the true object's 4-connected piece under the prompt's
     * seed (box centre, else first object point), or nothing when the seed misses the object. It isolates the
     * propagation logic (directions, stops, meeting) from the model.
     */
    static final class Oracle implements VolumePropagator.SliceSegmenter {
        final boolean[][] truth;
        final List<Integer> calls = new ArrayList<>();

        Oracle(boolean[][] truth) {
            this.truth = truth;
        }

        @Override
        public int depth() {
            return truth.length;
        }

        @Override
        public int width() {
            return W;
        }

        @Override
        public int height() {
            return H;
        }

        @Override
        public SliceMask segment(int z, Prompt prompt, boolean multimask, Progress progress) {
            calls.add(z);
            int x;
            int y;
            if (prompt.box() != null) {
                x = (int) Math.round((prompt.box().x0() + prompt.box().x1()) / 2);
                y = (int) Math.round((prompt.box().y0() + prompt.box().y1()) / 2);
            } else {
                Prompt.Point p = prompt.points().stream().filter(q -> q.label() == 1).findFirst().orElseThrow();
                x = (int) p.x();
                y = (int) p.y();
            }
            boolean[] mask = new boolean[W * H];
            if (truth[z][y * W + x]) {
                MaskGeometry.Components c = MaskGeometry.components(truth[z], W, H, false);
                int label = c.labels()[y * W + x];
                for (int i = 0; i < mask.length; i++) {
                    mask[i] = c.labels()[i] == label;
                }
            }
            return new SliceMask(mask, 1f, new float[256 * 256]);
        }
    }

    /** Ellipsoid centred at (cx, cy, cz) with semi-axes rx, ry, rz (in pixels / slices). */
    static boolean[][] ellipsoid(int depth, double cx, double cy, double cz, double rx, double ry, double rz) {
        boolean[][] v = new boolean[depth][W * H];
        for (int z = 0; z < depth; z++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    double d = sq((x - cx) / rx) + sq((y - cy) / ry) + sq((z - cz) / rz);
                    v[z][y * W + x] = d <= 1;
                }
            }
        }
        return v;
    }

    private static double sq(double v) {
        return v * v;
    }

    private static List<Integer> nonEmpty(boolean[][] v) {
        List<Integer> out = new ArrayList<>();
        for (int z = 0; z < v.length; z++) {
            if (MaskGeometry.area(v[z]) > 0) {
                out.add(z);
            }
        }
        return out;
    }

    private static Prompt boxOn(boolean[] mask) {
        int[] b = MaskGeometry.bounds(mask, W);
        return new Prompt(List.of(), new Prompt.Box(b[0], b[1], b[2], b[3]), null);
    }

    /** The slices a perfect segmenter reaches from {@code start}: non-empty, consecutive IoU at least {@code t}. */
    private static List<Integer> reachable(boolean[][] truth, int start, double t) {
        int lo = start;
        while (lo > 0 && MaskGeometry.area(truth[lo - 1]) > 0 && MaskGeometry.iou(truth[lo], truth[lo - 1]) >= t) {
            lo--;
        }
        int hi = start;
        while (hi < truth.length - 1 && MaskGeometry.area(truth[hi + 1]) > 0
                && MaskGeometry.iou(truth[hi], truth[hi + 1]) >= t) {
            hi++;
        }
        List<Integer> out = new ArrayList<>();
        for (int z = lo; z <= hi; z++) {
            out.add(z);
        }
        return out;
    }

    @Test
    void withTheThresholdAtZeroPropagationStopsExactlyAtTheEllipsoidsEnds() {
        boolean[][] truth = ellipsoid(40, 24, 20, 20, 12, 10, 8.5);
        List<Integer> expected = nonEmpty(truth);
        assertEquals(12, (int) expected.get(0));
        assertEquals(28, (int) expected.get(expected.size() - 1));
        for (Projection projection : Projection.values()) {
            Oracle oracle = new Oracle(truth);
            VolumePropagator.Result r = new VolumePropagator(new Settings(projection, 0.0, 0.05))
                    .propagate(oracle, List.of(new SlicePrompt(20, boxOn(truth[20]))), Progress.NONE);
            assertEquals(expected, new ArrayList<>(r.slices().keySet()), projection.id());
            for (Map.Entry<Integer, SliceMask> e : r.slices().entrySet()) {
                assertArrayEquals(truth[e.getKey()], e.getValue().mask(), "slice " + e.getKey());
            }
            assertEquals("empty mask at slice 12", r.stopBelow(), projection.id());
            assertEquals("empty mask at slice 30", r.stopAbove(), projection.id());
            // Each slice segmented once, plus the two empty slices that stopped it.
            assertEquals(expected.size() + 2, oracle.calls.size());
        }
    }

    @Test
    void atTheInteractiveThresholdTheFastChangingTipsAreLeftOut() {
        boolean[][] truth = ellipsoid(40, 24, 20, 20, 12, 10, 8.5);
        List<Integer> expected = reachable(truth, 20, 0.5);
        assertTrue(expected.get(0) > 12 && expected.get(expected.size() - 1) < 28, "tips excluded: " + expected);
        assertTrue(expected.size() >= 13, "most of the object kept: " + expected);
        VolumePropagator.Result r = new VolumePropagator(Settings.DEFAULTS)
                .propagate(new Oracle(truth), List.of(new SlicePrompt(20, boxOn(truth[20]))), Progress.NONE);
        assertEquals(expected, new ArrayList<>(r.slices().keySet()));
        assertTrue(r.stopBelow().startsWith("IoU "), r.stopBelow());
    }

    @Test
    void anOffCentrePromptPropagatesBothWaysToTheStackEnds() {
        boolean[][] truth = ellipsoid(10, 24, 20, 5, 12, 10, 30);
        Oracle oracle = new Oracle(truth);
        VolumePropagator.Result r = new VolumePropagator(Settings.DEFAULTS)
                .propagate(oracle, List.of(new SlicePrompt(2, boxOn(truth[2]))), Progress.NONE);
        assertEquals(0, r.first());
        assertEquals(9, r.last());
        assertEquals("end of stack", r.stopBelow());
        assertEquals("end of stack", r.stopAbove());
    }

    @Test
    void twoPromptsCarryFromBothEndsAndMeetInTheMiddle() {
        boolean[][] truth = ellipsoid(40, 24, 20, 20, 12, 10, 8.5);
        Oracle oracle = new Oracle(truth);
        VolumePropagator.Result r = new VolumePropagator(new Settings(Projection.MASK, 0, 0.05)).propagate(oracle,
                List.of(new SlicePrompt(26, boxOn(truth[26])), new SlicePrompt(14, boxOn(truth[14]))), Progress.NONE);
        assertEquals(nonEmpty(truth), new ArrayList<>(r.slices().keySet()));
        // Every slice between the prompts was segmented exactly once (from one side or the other).
        for (int z = 15; z <= 25; z++) {
            final int slice = z;
            assertEquals(1, oracle.calls.stream().filter(c -> c == slice).count(), "slice " + z);
        }
        assertEquals(expectedOrder(), oracle.calls.subList(0, 2));
    }

    private static List<Integer> expectedOrder() {
        return List.of(14, 26);
    }

    @Test
    void theIouThresholdStopsWhereTheObjectChangesAbruptly() {
        // A thick cylinder on slices 0-9 continues as a thin one on slices 10-19.
        boolean[][] truth = new boolean[20][W * H];
        for (int z = 0; z < 20; z++) {
            double r = z < 10 ? 12 : 4;
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    truth[z][y * W + x] = sq(x - 24) + sq(y - 20) <= r * r;
                }
            }
        }
        double jump = MaskGeometry.iou(truth[9], truth[10]);
        assertTrue(jump < 0.15, "IoU at the step " + jump);
        VolumePropagator.Result stopped = new VolumePropagator(new Settings(Projection.MASK, 0.5, 0.05))
                .propagate(new Oracle(truth), List.of(new SlicePrompt(3, boxOn(truth[3]))), Progress.NONE);
        assertEquals(0, stopped.first());
        assertEquals(9, stopped.last());
        assertTrue(stopped.stopAbove().startsWith("IoU 0.1"), stopped.stopAbove());
        VolumePropagator.Result through = new VolumePropagator(new Settings(Projection.MASK, 0.1, 0.05))
                .propagate(new Oracle(truth), List.of(new SlicePrompt(3, boxOn(truth[3]))), Progress.NONE);
        assertEquals(19, through.last());
        assertEquals(10 * MaskGeometry.area(truth[0]) + 10 * MaskGeometry.area(truth[19]), through.voxelCount());
    }

    @Test
    void aGivenMaskIsKeptAsItIsAndCarriedBothWays() {
        boolean[][] truth = ellipsoid(40, 24, 20, 20, 12, 10, 8.5);
        for (Projection projection : Projection.values()) {
            Oracle oracle = new Oracle(truth);
            VolumePropagator.Result r = new VolumePropagator(new Settings(projection, 0, 0.05)).propagate(oracle,
                    List.of(SlicePrompt.ofMask(20, truth[20])), Progress.NONE);
            assertEquals(nonEmpty(truth), new ArrayList<>(r.slices().keySet()), projection.id());
            assertTrue(!oracle.calls.contains(20), "the given slice is not segmented again");
            assertTrue(r.slices().get(20).mask() == truth[20]);
        }
        // A corrected slice between a prompt and the stack end: the object is carried from both.
        boolean[] corrected = truth[26].clone();
        corrected[20 * W + 24] = true;
        Oracle oracle = new Oracle(truth);
        VolumePropagator.Result r = new VolumePropagator(new Settings(Projection.BOX, 0, 0.05)).propagate(oracle,
                List.of(new SlicePrompt(14, boxOn(truth[14])), SlicePrompt.ofMask(26, corrected)), Progress.NONE);
        assertArrayEquals(corrected, r.slices().get(26).mask());
        assertEquals(nonEmpty(truth), new ArrayList<>(r.slices().keySet()));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> new VolumePropagator(
                Settings.DEFAULTS).propagate(new Oracle(truth), List.of(SlicePrompt.ofMask(3, new boolean[W * H])),
                Progress.NONE));
        assertTrue(empty.getMessage().contains("mask given on slice 4 is empty"), empty.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> new VolumePropagator(
                Settings.DEFAULTS).propagate(new Oracle(truth), List.of(SlicePrompt.ofMask(3, new boolean[5])),
                Progress.NONE));
        assertTrue(size.getMessage().contains("5 pixels"), size.getMessage());
    }

    @Test
    void projectionsDeriveTheExpectedPrompts() {
        boolean[] disc = ellipsoid(1, 24, 20, 0, 10, 10, 1)[0];
        SliceMask previous = new SliceMask(disc, 1f, new float[256 * 256]);
        Prompt box = new VolumePropagator(new Settings(Projection.BOX, 0.5, 0.1)).project(previous, W, H);
        // Bounds 14..34 x 10..30, each side moved out by 10% of 20 pixels.
        assertEquals(new Prompt.Box(12, 8, 36, 32), box.box());
        Prompt mask = new VolumePropagator(new Settings(Projection.MASK, 0.5, 0)).project(previous, W, H);
        assertEquals(new Prompt.Box(14, 10, 34, 30), mask.box());
        assertTrue(mask.maskInput() == previous.lowRes());
        Prompt single = new VolumePropagator(new Settings(Projection.SINGLE_POINT, 0.5, 0)).project(previous, W, H);
        assertEquals(List.of(new Prompt.Point(24, 20, 1)), single.points());
        Prompt points = new VolumePropagator(new Settings(Projection.POINTS, 0.5, 0.05)).project(previous, W, H);
        assertEquals(new Prompt.Point(24, 20, 1), points.points().get(0));
        assertEquals(5, points.points().size(), "one object point and one background point per quadrant");
        boolean[] quadrants = new boolean[4];
        for (Prompt.Point p : points.points().subList(1, 5)) {
            assertEquals(0, p.label());
            quadrants[(p.x() > 24 ? 1 : 0) + (p.y() > 20 ? 2 : 0)] = true;
            assertTrue(!disc[(int) p.y() * W + (int) p.x()], "background point outside the object");
        }
        assertArrayEquals(new boolean[] {true, true, true, true}, quadrants, "one background point in each quadrant");
        assertTrue(points.maskInput() == null);
        assertTrue(new VolumePropagator(new Settings(Projection.POINTS_AND_MASK, 0.5, 0.05)).project(previous, W, H)
                .maskInput() != null);
    }

    @Test
    void badInputGivesClearErrors() {
        boolean[][] truth = ellipsoid(10, 24, 20, 5, 12, 10, 3);
        VolumePropagator p = new VolumePropagator(Settings.DEFAULTS);
        IllegalArgumentException flat = assertThrows(IllegalArgumentException.class, () -> p.propagate(
                new Oracle(new boolean[][] {truth[5]}), List.of(new SlicePrompt(0, boxOn(truth[5]))), Progress.NONE));
        assertTrue(flat.getMessage().contains("single slice"), flat.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> p.propagate(
                new Oracle(truth), List.of(new SlicePrompt(12, boxOn(truth[5]))), Progress.NONE));
        assertTrue(missing.getMessage().contains("slice 13, which does not exist"), missing.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> p.propagate(
                new Oracle(truth), List.of(new SlicePrompt(0, boxOn(truth[5]))), Progress.NONE));
        assertTrue(empty.getMessage().contains("slice 1 gives an empty mask"), empty.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> p.propagate(
                new Oracle(truth), List.of(new SlicePrompt(5, boxOn(truth[5])), new SlicePrompt(5, boxOn(truth[5]))),
                Progress.NONE));
        assertTrue(twice.getMessage().contains("same object on slice 6"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.propagate(new Oracle(truth), List.of(), Progress.NONE));
        assertThrows(IllegalArgumentException.class, () -> new Settings(Projection.MASK, 1.5, 0.05));
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class, () -> Projection.parse("lasso"));
        assertTrue(mode.getMessage().contains("points_and_mask"));
        assertEquals(Projection.POINTS_AND_MASK, Projection.parse("points-and-mask"));
    }

    /** A stack of a bright disc whose radius changes with the slice, on a dark background. */
    static Rgb8Image discSlice(int z) {
        byte[] grey = new byte[64 * 64];
        double r = 18 - Math.abs(z - 3) * 3;
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                grey[y * 64 + x] = (byte) (sq(x - 32) + sq(y - 32) <= r * r ? 200 : 20 + z);
            }
        }
        return Rgb8Image.fromGrey(64, 64, grey);
    }

    @Test
    void withTheModelEachSliceIsEncodedOnceAndTheDiskCacheServesTheNextSession(@TempDir Path cache) throws Exception {
        try (SamModel model = ModelLoader.load(Path.of("samples/sam_tiny.pth"), null)) {
            SamPredictor predictor = new SamPredictor(model);
            Settings settings = new Settings(Projection.MASK, 0.0, 0.05);
            List<SlicePrompt> prompts = List.of(new SlicePrompt(3, new Prompt(List.of(), new Prompt.Box(10, 10, 54, 54), null)));
            VolumePropagator.Result first;
            VolumePropagator.Result again;
            int[] encoded = new int[2];
            try (StackEmbeddings stack = new StackEmbeddings(predictor, VolumePropagatorTest::discSlice, 7, cache, "tiny")) {
                VolumePropagator.SliceSegmenter segmenter = VolumePropagator.withModel(predictor, stack, 64, 64);
                first = new VolumePropagator(settings).propagate(segmenter, prompts, Progress.NONE);
                encoded[0] = stack.encodedCount();
                again = new VolumePropagator(settings).propagate(segmenter, prompts, Progress.NONE);
                encoded[1] = stack.encodedCount();
            }
            assertTrue(encoded[0] >= first.slices().size() && encoded[0] <= 7, "encoded " + encoded[0]);
            assertEquals(encoded[0], encoded[1], "a re-run encodes nothing");
            assertSameMasks(first, again);
            try (Stream<Path> files = Files.list(cache)) {
                assertEquals(encoded[0], files.count());
            }
            try (StackEmbeddings next = new StackEmbeddings(predictor, VolumePropagatorTest::discSlice, 7, cache, "tiny")) {
                VolumePropagator.Result fromDisk = new VolumePropagator(settings)
                        .propagate(VolumePropagator.withModel(predictor, next, 64, 64), prompts, Progress.NONE);
                assertEquals(0, next.encodedCount());
                assertEquals(encoded[0], next.diskHits());
                assertSameMasks(first, fromDisk);
            }
            try (StackEmbeddings otherModel = new StackEmbeddings(predictor, VolumePropagatorTest::discSlice, 7, cache,
                    "another model")) {
                otherModel.get(3, Progress.NONE);
                assertEquals(1, otherModel.encodedCount(), "the cache key includes the model");
            }
        }
    }

    private static void assertSameMasks(VolumePropagator.Result a, VolumePropagator.Result b) {
        assertEquals(a.slices().keySet(), b.slices().keySet());
        for (int z : a.slices().keySet()) {
            assertArrayEquals(a.slices().get(z).mask(), b.slices().get(z).mask(), "slice " + z);
        }
    }
}
