package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

    @Test
    void sam2RefusesMaskPrompts() throws Exception {
        Path set = Fixtures.set(SET);
        Path mask = temp.resolve("mask.tif");
        IJ.saveAsTiff(IJ.createImage("mask", "8-bit black", 97, 150, 1), mask.toString());
        assertNotEquals(0, SamFijiCli.run("propagate", "--checkpoint", set.resolve("sam2_tiny.pt").toString(),
                "--config", set.resolve("config.json").toString(), "--image", set.resolve("stack.tif").toString(),
                "--mask", mask + ",2", "--out", temp.resolve("m").toString()));
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
