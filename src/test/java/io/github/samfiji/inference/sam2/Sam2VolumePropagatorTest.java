package io.github.samfiji.inference.sam2;

import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.model.sam2.Sam2Model;
import static io.github.samfiji.model.sam2.Sam2Fixture.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.sam2.Sam2VolumePropagator.SliceResult;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SAM 2.1 tracking through the fixture stack against the reference video predictor's exact call sequences
 * (manifest {@code video.<scenario>.calls}): prompted (conditioning) slices within 1e-4, tracked slices within 1e-2
 * (the reference's bfloat16 memories and mask binarization are discontinuous, see the fixtures' README), masks equal
 * where the logit is not within the tolerance of 0, absent-object slices at -1024; and the memory tokens given to
 * memory attention match the reference's composition.
 */
@NeedsSharedData
class Sam2VolumePropagatorTest {

    static final double PROMPTED_TOL = 1e-4;
    static final double TRACKED_TOL = 1e-2;
    private static Sam2Model model;
    private static JsonObject video;
    /** Largest error per quantity, split by prompted / tracked slices. */
    private static final Map<String, Double> WORST = new TreeMap<>();

    @BeforeAll
    static void load() throws IOException {
        model = Sam2Fixture.loadModel();
        JsonObject manifest = JsonParser.parseString(Files.readString(Fixtures.set(Sam2Fixture.SET)
                .resolve("manifest.json"))).getAsJsonObject();
        video = manifest.getAsJsonObject("video");
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        StringBuilder sb = new StringBuilder("SAM 2.1 3D propagation: max |reference - java|\n");
        WORST.forEach((k, v) -> sb.append(String.format("  %-50s %.3g%n", k, v)));
        System.out.print(sb);
    }

    /** The fixture stack's slices, gray copied into R, G, B. */
    static IntFunction<Rgb8Image> stackSlices() {
        Npy stack = npy("stack");
        int h = (int) stack.shape[1];
        int w = (int) stack.shape[2];
        byte[] all = stack.bytes();
        return z -> Rgb8Image.fromGrey(w, h, Arrays.copyOfRange(all, z * w * h, (z + 1) * w * h));
    }

    static Sam2VolumePropagator propagator(Sam2Model m) {
        Npy stack = npy("stack");
        return new Sam2VolumePropagator(m, stackSlices(), (int) stack.shape[0], (int) stack.shape[2],
                (int) stack.shape[1]);
    }

    @Test
    void oneBoxThenCorrection() {
        try (Sam2VolumePropagator p = propagator(model)) {
            Map<String, float[]> memories = new HashMap<>();
            String[] call = {""};
            p.setProbe((name, a) -> memories.put(call[0] + "_" + name, a.toFloatArray()));
            Set<Integer> prompted = new HashSet<>();
            replay(p, "video_box", prompted, call);
            checkMemoryTokens(memories, "video_box");
            checkFinal(p, "video_box", prompted);
            replay(p, "video_correct", prompted, call);
            checkFinal(p, "video_correct", prompted);
        }
    }

    @Test
    void twoPromptedSlices() {
        try (Sam2VolumePropagator p = propagator(model)) {
            Set<Integer> prompted = new HashSet<>();
            replay(p, "video_two", prompted, new String[1]);
            checkFinal(p, "video_two", prompted);
        }
    }

    @Test
    void noNativeArraysStayBehindAndTheSliceCacheStaysSmall() {
        Prompt box = Prompt.builder().box(25, 34.76, 63.69, 100.24).build();
        try (Sam2VolumePropagator warm = propagator(model)) {
            warm.addPrompt(3, box);
        }
        int before = model.manager().getManagedArrays().size();
        try (Sam2VolumePropagator p = propagator(model)) {
            p.addPrompt(3, box);
            p.propagate(true);
            p.addPrompt(1, Prompt.builder().point(77.6, 117.0, 0).build());
            p.propagate(false);
            // Only the few cached slices' features (3 arrays each) are held while the propagator is open.
            int held = model.manager().getManagedArrays().size() - before;
            assertTrue(held <= 3 * 4, held + " arrays held during propagation");
        }
        assertEquals(before, model.manager().getManagedArrays().size(), "native arrays held by the model");
    }

    /** Runs the scenario's calls and compares every output with the reference's. */
    private void replay(Sam2VolumePropagator p, String scenario, Set<Integer> prompted, String[] callName) {
        for (JsonElement e : video.getAsJsonObject(scenario).getAsJsonArray("calls")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("call").getAsString();
            String prefix = scenario + "__" + name + "__";
            callName[0] = scenario + "__" + name;
            String op = c.get("op").getAsString();
            List<SliceResult> results;
            if (op.equals("add_new_points_or_box")) {
                int z = c.get("frame").getAsInt();
                results = List.of(p.addPrompt(z, prompt(c)));
                if (c.get("is_init_cond_frame").getAsBoolean()) {
                    prompted.add(z);
                }
            } else {
                results = p.propagate(op.contains("reverse=True"));
            }
            int[] expectedOrder = toInts(npy(prefix + "frame_idx").floats());
            assertArrayEquals(expectedOrder, results.stream().mapToInt(SliceResult::z).toArray(), prefix + "order");
            float[] refLow = npy(prefix + "pred_masks").floats();
            float[] refLogits = npy(prefix + "video_res_logits").floats();
            float[] refScore = npy(prefix + "object_score_logits").floats();
            for (int i = 0; i < results.size(); i++) {
                SliceResult r = results.get(i);
                boolean exact = prompted.contains(r.z()) && !r.tracked();
                // Absent objects: -1024 everywhere, which float32 resizing leaves within 1.2e-4 (1 ulp).
                boolean absent = !(refScore[i] > 0);
                double tol = exact && !absent ? PROMPTED_TOL : TRACKED_TOL;
                String kind = absent ? " (no object, -1024)" : exact ? " (prompted)" : " (tracked)";
                String what = prefix + "z" + r.z();
                int la = r.lowRes().length;
                int va = r.logits().length;
                compare("pred_masks" + kind, what + " low-res", Arrays.copyOfRange(refLow, i * la, (i + 1) * la),
                        r.lowRes(), tol);
                float[] ref = Arrays.copyOfRange(refLogits, i * va, (i + 1) * va);
                compare("video_res_logits" + kind, what + " logits", ref, r.logits(), tol);
                compare("object_score" + kind, what + " object score", new float[] {refScore[i]},
                        new float[] {r.objectScore()}, tol);
                assertEquals(refScore[i] > 0, r.objectPresent(), what + " object presence");
                checkMasks(what, ref, r.logits(), tol);
            }
        }
    }

    private static void checkMemoryTokens(Map<String, float[]> seen, String scenario) {
        int checked = 0;
        for (JsonElement e : video.getAsJsonObject(scenario).getAsJsonArray("calls")) {
            String call = scenario + "__" + e.getAsJsonObject().get("call").getAsString();
            if (!Sam2Fixture.has(call + "__tracked_frame_idx")) {
                continue;
            }
            int[] tracked = toInts(npy(call + "__tracked_frame_idx").floats());
            float[] ref = npy(call + "__pix_feat_with_mem").floats();
            int per = ref.length / tracked.length;
            for (int k = 0; k < tracked.length; k++) {
                compare("pix_feat_with_mem (tracked)", call + " z" + tracked[k] + " pix_feat_with_mem",
                        Arrays.copyOfRange(ref, k * per, (k + 1) * per),
                        seen.get(call + "_f" + tracked[k] + "__pix_feat_with_mem"), TRACKED_TOL);
            }
        }
        for (String file : Fixtures.set(Sam2Fixture.SET).toFile().list()) {
            if (!file.startsWith(scenario + "__c") || !file.endsWith("__memory.npy") || !file.contains("_f")) {
                continue;
            }
            String key = file.substring(0, file.length() - ".npy".length());
            String base = key.substring(0, key.length() - "__memory".length());
            float[] mine = seen.get(base + "__memory");
            if (mine == null) {
                continue;
            }
            float[] ref = npy(key).floats();
            assertEquals(ref.length, mine.length, key + ": token count");
            compare("memory_pos", key + "_pos", npy(key + "_pos").floats(), seen.get(base + "__memory_pos"), 1e-5);
            compare("memory (bfloat16 values)", key, ref, mine, TRACKED_TOL);
            checked++;
        }
        assertTrue(checked > 0, "no memory tokens compared");
    }

    private void checkFinal(Sam2VolumePropagator p, String scenario, Set<Integer> prompted) {
        float[][] mine = p.lastLogits();
        float[] ref = npy(scenario + "__final_logits").floats();
        int area = mine[0].length;
        for (int z = 0; z < mine.length; z++) {
            float[] r = Arrays.copyOfRange(ref, z * area, (z + 1) * area);
            boolean absent = r[0] < -1000;
            double tol = prompted.contains(z) && !absent ? PROMPTED_TOL : TRACKED_TOL;
            compare("final_logits" + (absent ? " (no object, -1024)" : prompted.contains(z) ? " (prompted)" : " (tracked)"),
                    scenario + " final z" + z, r, mine[z], tol);
            checkMasks(scenario + " final z" + z, r, mine[z], tol);
        }
    }

    /** Masks equal where the reference logit is not within {@code tol} of 0; -1024 slices stay at -1024. */
    private static void checkMasks(String what, float[] ref, float[] mine, double tol) {
        for (int k = 0; k < ref.length; k++) {
            if (Math.abs(ref[k]) > tol && (ref[k] > 0) != (mine[k] > 0)) {
                fail(what + ": mask differs at pixel " + k + " (reference logit " + ref[k] + ", java " + mine[k] + ")");
            }
            if (ref[k] < -1000 && Math.abs(mine[k] - ref[k]) > 1e-2) {
                fail(what + ": no-object logit " + mine[k] + " at pixel " + k + ", expected " + ref[k]);
            }
        }
    }

    static Prompt prompt(JsonObject call) {
        Prompt.Builder b = Prompt.builder();
        if (call.has("box")) {
            float[] box = toFloats(call.getAsJsonArray("box"));
            b.box(box[0], box[1], box[2], box[3]);
        }
        if (call.has("points")) {
            JsonArray points = call.getAsJsonArray("points");
            JsonArray labels = call.getAsJsonArray("labels");
            for (int i = 0; i < points.size(); i++) {
                float[] xy = toFloats(points.get(i).getAsJsonArray());
                b.point(xy[0], xy[1], labels.get(i).getAsInt());
            }
        }
        return b.build();
    }

    private static void compare(String quantity, String what, float[] expected, float[] actual, double tol) {
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        WORST.merge(quantity, worst, Math::max);
        if (!(worst <= tol)) {
            fail(String.format("%s: max |diff| %.3g at %d (expected %g, got %g) exceeds %.1g", what, worst, at,
                    expected[at], actual[at], tol));
        }
    }

    private static float[] toFloats(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsFloat();
        }
        return out;
    }

    private static int[] toInts(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static int[] toInts(float[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) a[i];
        }
        return out;
    }
}
