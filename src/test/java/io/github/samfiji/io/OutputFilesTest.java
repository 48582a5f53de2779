package io.github.samfiji.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFilesTest {

    @TempDir
    Path temp;

    @Test
    void jsonWithNonFiniteNumbersIsStillValidJson() throws Exception {
        JsonObject o = new JsonObject();
        o.addProperty("dice", 0.5);
        o.addProperty("hd95", Double.POSITIVE_INFINITY);
        o.addProperty("score", Double.NaN);
        JsonArray values = new JsonArray();
        values.add(1.0);
        values.add(Double.NaN);
        o.add("values", values);
        Path file = temp.resolve("out.json");
        OutputFiles.writeJson(file, false, o);
        String text = Files.readString(file);
        assertFalse(text.contains("NaN") || text.contains("Infinity"), text);
        // It parses; the finite value is kept, the others are left out (null in the array).
        JsonObject back = JsonParser.parseString(text).getAsJsonObject();
        assertEquals(0.5, back.get("dice").getAsDouble());
        assertFalse(back.has("hd95"));
        assertTrue(back.getAsJsonArray("values").get(1).isJsonNull());
        // Never replaced without being asked.
        assertThrows(FileAlreadyExistsException.class, () -> OutputFiles.writeJson(file, false, o));
    }

    @Test
    void leftoversOfKilledWritesAreRemovedWhenADayOld() throws Exception {
        Path dir = java.nio.file.Files.createDirectories(temp.resolve("out"));
        Path old = Files.writeString(dir.resolve(".cells.tif.18f3a2b4c.partial"), "half");
        Path oldModel = Files.writeString(dir.resolve(".model.safetensors.1a2b.part"), "half");
        Path recent = Files.writeString(dir.resolve(".other.tif.2b3c.partial"), "being written");
        Path download = Files.writeString(dir.resolve(".sam_vit_b_01ec64.pth.part"), "resumable");
        java.nio.file.attribute.FileTime twoDaysAgo = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofDays(2)));
        for (Path p : new Path[] {old, oldModel, download}) {
            Files.setLastModifiedTime(p, twoDaysAgo);
        }
        OutputFiles.writeString(dir.resolve("result.csv"), false, "a,b\n");
        assertFalse(Files.exists(old));
        assertFalse(Files.exists(oldModel));
        assertTrue(Files.exists(recent), "may belong to a write still running");
        assertTrue(Files.exists(download), "a download's part is kept for resuming");
    }
}
