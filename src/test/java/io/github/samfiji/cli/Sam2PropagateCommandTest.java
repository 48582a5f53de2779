package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ij.IJ;
import ij.ImagePlus;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code propagate} with the SAM 2.1 fixture checkpoint and stack, with the arguments the fixtures give for
 * {@code video_box} and {@code video_two}: the logits of every slice equal the reference's final logits (prompted
 * slices 1e-4, tracked 1e-2, absent-object slices -1024), and the labels are the object where logits > 0.
 */
@NeedsSharedData
class Sam2PropagateCommandTest {

    private static final String SET = "sam2_tiny";
    private static final double PROMPTED_TOL = 1e-4;
    private static final double TRACKED_TOL = 1e-2;
    private static final Map<String, Double> WORST = new TreeMap<>();

    @TempDir
    Path temp;

    @AfterAll
    static void report() {
        StringBuilder sb = new StringBuilder("SAM 2.1 propagate CLI: max |reference final_logits - java|\n");
        WORST.forEach((k, v) -> sb.append(String.format("  %-40s %.3g%n", k, v)));
        System.out.print(sb);
    }

    @Test
    void oneBox() throws Exception {
        runScenario("video_box");
    }

    @Test
    void aBoxAndAClickOnTwoSlices() throws Exception {
        runScenario("video_two");
    }

    /** Objects are tracked independently: a second object leaves the first one's logits as they are alone. */
    @Test
    void twoObjectsEachKeepTheirOwnTrack() throws Exception {
        Path set = Fixtures.set(SET);
        String[] a = {"propagate", "--checkpoint", set.resolve("sam2_tiny.pt").toString(), "--config",
            set.resolve("config.json").toString(), "--image", set.resolve("stack.tif").toString(),
            "--box", "25.0,34.76,63.69,100.24,4", "--object", "2", "--point", "51.27,82.5,6,1", "--logits",
            "--out", temp.resolve("two").toString()};
        assertEquals(0, SamFijiCli.run(a));
        ImagePlus logits = IJ.openImage(temp.resolve("two.logits.tif").toString());
        assertEquals(16, logits.getStackSize(), "one slice per z and object");
        float[] ref = Fixtures.npy(SET, "video_box__final_logits").floats();
        int area = logits.getWidth() * logits.getHeight();
        for (int z = 0; z < 8; z++) {
            float[] mine = (float[]) logits.getStack().getProcessor(z + 1).getPixels();
            for (int k = 0; k < area; k++) {
                assertEquals(ref[z * area + k], mine[k], TRACKED_TOL, "object 1, z" + (z + 1));
            }
        }
        JsonObject json = JsonParser.parseString(Files.readString(temp.resolve("two.json"))).getAsJsonObject();
        assertEquals(2, json.getAsJsonArray("objects").size());
        ImagePlus labels = IJ.openImage(temp.resolve("two.labels.tif").toString());
        Set<Integer> seen = new HashSet<>();
        for (int z = 1; z <= labels.getStackSize(); z++) {
            ij.process.ImageProcessor ip = labels.getStack().getProcessor(z);
            for (int k = 0; k < area; k++) {
                seen.add((int) ip.getf(k));
            }
        }
        assertEquals(Set.of(0, 1, 2), seen);
    }

    /**
     * A drawn mask with SAM 2.1 (the reference's add_new_mask): that slice's result is the mask itself (through the
     * +-10 logits at low resolution, so equal up to the outline), with object score +10, and it conditions the memory
     * from which the other slices are tracked; an empty mask says the object is absent there (score -10).
     */
    @Test
    void sam2TakesAMaskAsThatSlicesResultAndTracksFromIt() throws Exception {
        Path set = Fixtures.set(SET);
        float[] ref = Fixtures.npy(SET, "video_box__final_logits").floats();
        int w = 97;
        int h = 150;
        int area = w * h;
        ImagePlus drawn = IJ.createImage("mask", "8-bit black", w, h, 1);
        boolean[] given = new boolean[area];
        for (int k = 0; k < area; k++) {
            given[k] = ref[3 * area + k] > 0;
            drawn.getProcessor().set(k, given[k] ? 255 : 0);
        }
        Path mask = temp.resolve("mask.tif");
        IJ.saveAsTiff(drawn, mask.toString());
        assertEquals(0, SamFijiCli.run("propagate", "--checkpoint", set.resolve("sam2_tiny.pt").toString(),
                "--config", set.resolve("config.json").toString(), "--image", set.resolve("stack.tif").toString(),
                "--mask", mask + ",4", "--logits", "--out", temp.resolve("m").toString()));
        ImagePlus logits = IJ.openImage(temp.resolve("m.logits.tif").toString());
        float[] onMask = (float[]) logits.getStack().getProcessor(4).getPixels();
        // The reference's operations on this mask (src/test/resources/sam2/add_new_mask_reference.py).
        float[] expected = io.github.samfiji.testing.Npy.read(Path.of("src/test/resources/sam2/add_new_mask_z4_logits.npy"))
                .floats();
        long both = 0;
        long either = 0;
        for (int k = 0; k < area; k++) {
            assertEquals(expected[k], onMask[k], 1e-4, "slice 4 logits at " + k);
            both += given[k] && onMask[k] > 0 ? 1 : 0;
            either += given[k] || onMask[k] > 0 ? 1 : 0;
        }
        assertTrue(both >= 0.9 * either, "slice 4 is the given mask up to the outline: IoU " + both / (double) either);
        JsonObject json = JsonParser.parseString(Files.readString(temp.resolve("m.json"))).getAsJsonObject();
        JsonObject object = json.getAsJsonArray("objects").get(0).getAsJsonObject();
        assertEquals(4, object.getAsJsonArray("prompted_slices").get(0).getAsInt());
        assertEquals(10f, object.getAsJsonArray("object_score_logits").get(3).getAsFloat(), 0);
        int trackedDifferently = 0;
        for (int z = 1; z <= 8; z++) {
            if (z != 4 && !Arrays.equals(onMask, (float[]) logits.getStack().getProcessor(z).getPixels())) {
                trackedDifferently++;
            }
        }
        assertEquals(7, trackedDifferently, "every other slice is decoded from memory");

        ImagePlus none = IJ.createImage("empty", "8-bit black", w, h, 1);
        IJ.saveAsTiff(none, temp.resolve("empty.tif").toString());
        assertEquals(0, SamFijiCli.run("propagate", "--checkpoint", set.resolve("sam2_tiny.pt").toString(),
                "--config", set.resolve("config.json").toString(), "--image", set.resolve("stack.tif").toString(),
                "--box", "25.0,34.76,63.69,100.24,4", "--mask", temp.resolve("empty.tif") + ",6", "--logits",
                "--out", temp.resolve("e").toString()));
        JsonObject e = JsonParser.parseString(Files.readString(temp.resolve("e.json"))).getAsJsonObject()
                .getAsJsonArray("objects").get(0).getAsJsonObject();
        assertEquals(-10f, e.getAsJsonArray("object_score_logits").get(5).getAsFloat(), 0, "absent where the mask is empty");
    }

    private void runScenario(String scenario) throws Exception {
        Path set = Fixtures.set(SET);
        JsonObject manifest = JsonParser.parseString(Files.readString(set.resolve("manifest.json"))).getAsJsonObject();
        List<String> cliArgs = new ArrayList<>();
        manifest.getAsJsonObject("video").getAsJsonObject(scenario).getAsJsonArray("cli_args")
                .forEach(e -> cliArgs.add(e.getAsString()));
        Set<Integer> prompted = new HashSet<>();
        for (int i = 0; i < cliArgs.size() - 1; i++) {
            if (cliArgs.get(i).equals("--box") || cliArgs.get(i).equals("--point")) {
                String[] v = cliArgs.get(i + 1).split(",");
                prompted.add(Integer.parseInt(v[cliArgs.get(i).equals("--box") ? 4 : 2]) - 1);
            }
        }
        List<String> a = new ArrayList<>(List.of("propagate", "--checkpoint", set.resolve("sam2_tiny.pt").toString(),
                "--config", set.resolve("config.json").toString(), "--image", set.resolve("stack.tif").toString(),
                "--out", temp.resolve(scenario).toString()));
        a.addAll(cliArgs);
        assertEquals(0, SamFijiCli.run(a.toArray(String[]::new)), "propagate " + a);
        ImagePlus logits = IJ.openImage(temp.resolve(scenario + ".logits.tif").toString());
        ImagePlus labels = IJ.openImage(temp.resolve(scenario + ".labels.tif").toString());
        float[] ref = Fixtures.npy(SET, scenario + "__final_logits").floats();
        int depth = 8;
        assertEquals(depth, logits.getStackSize());
        assertEquals(depth, labels.getStackSize());
        int area = logits.getWidth() * logits.getHeight();
        for (int z = 0; z < depth; z++) {
            float[] r = Arrays.copyOfRange(ref, z * area, (z + 1) * area);
            float[] mine = (float[]) logits.getStack().getProcessor(z + 1).getPixels();
            boolean absent = r[0] < -1000;
            double tol = prompted.contains(z) && !absent ? PROMPTED_TOL : TRACKED_TOL;
            String kind = absent ? "no object (-1024)" : prompted.contains(z) ? "prompted" : "tracked";
            double worst = 0;
            for (int k = 0; k < area; k++) {
                worst = Math.max(worst, Math.abs(r[k] - mine[k]));
            }
            WORST.merge(scenario + " " + kind, worst, Math::max);
            if (worst > tol) {
                fail(scenario + " z" + (z + 1) + " (" + kind + "): max |diff| " + worst + " exceeds " + tol);
            }
            ij.process.ImageProcessor lab = labels.getStack().getProcessor(z + 1);
            for (int k = 0; k < area; k++) {
                if (Math.abs(r[k]) > tol) {
                    assertEquals(r[k] > 0 ? 1 : 0, (int) lab.getf(k), scenario + " z" + (z + 1) + " label at " + k);
                }
            }
        }
    }
}
