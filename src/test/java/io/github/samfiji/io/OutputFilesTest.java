package io.github.samfiji.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.StringReader;
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
        // A strict parser accepts it; the finite value is kept, the others are left out (null in the array).
        JsonReader strict = new JsonReader(new StringReader(text));
        strict.setLenient(false);
        JsonObject back = JsonParser.parseReader(strict).getAsJsonObject();
        assertEquals(0.5, back.get("dice").getAsDouble());
        assertFalse(back.has("hd95"));
        assertTrue(back.getAsJsonArray("values").get(1).isJsonNull());
        // Never replaced without being asked.
        assertThrows(FileAlreadyExistsException.class, () -> OutputFiles.writeJson(file, false, o));
    }
}
