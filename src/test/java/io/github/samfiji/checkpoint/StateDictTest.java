package io.github.samfiji.checkpoint;

import static io.github.samfiji.checkpoint.TestFiles.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDictTest {

    @TempDir
    Path temp;

    private static TensorData t(float v) {
        return TensorData.ofFloats(new long[] {1}, new float[] {v});
    }

    @Test
    void keepsOrderAndBehavesLikeAMap() {
        StateDict d = new StateDict();
        d.put("z", t(1));
        d.put("a", t(2));
        d.put("m", t(3));
        assertNull(d.put("b", t(4)));
        assertEquals(t(2), d.put("a", t(5)));
        assertEquals(List.of("z", "a", "m", "b"), d.keys());
        assertEquals(4, d.size());
        assertTrue(d.contains("m"));
        assertFalse(d.contains("q"));
        assertNull(d.get("q"));
        assertEquals(t(5), d.get("a"));
        assertEquals(List.of("z", "a", "m", "b"), d.entries().stream().map(Map.Entry::getKey).toList());
        assertThrows(UnsupportedOperationException.class, () -> d.entries().clear());
        assertEquals(4, d.elementCount());
        CheckpointException e = assertThrows(CheckpointException.class, () -> d.require("q"));
        assertTrue(e.getMessage().contains("'q'"));
    }

    @Test
    void prefixes() {
        StateDict d = new StateDict();
        d.put("module.image_encoder.w", t(1));
        d.put("module.mask_decoder.w", t(2));
        StateDict unwrapped = d.unwrap();
        assertEquals(List.of("image_encoder.w", "mask_decoder.w"), unwrapped.keys());
        assertEquals(List.of("w"), unwrapped.subset("image_encoder.").keys());
        assertEquals(List.of("image_encoder.w", "mask_decoder.w"), d.withoutPrefix("module.").keys());

        d.put("extra", t(3)); // not every key has the prefix: unwrap leaves it alone
        assertSame(d, d.unwrap());
        assertEquals(List.of("image_encoder.w", "mask_decoder.w", "extra"), d.withoutPrefix("module.").keys());
        d.put("image_encoder.w", t(4));
        assertThrows(IllegalArgumentException.class, () -> d.withoutPrefix("module."));

        StateDict nested = new StateDict();
        nested.put("module.module.a", t(1));
        assertEquals(List.of("a"), nested.unwrap().keys());
    }

    @Test
    void loadDecidesByContentNotName() throws IOException {
        Path pth = resource("views.pth");
        Path disguised = Files.copy(pth, temp.resolve("weights.safetensors"));
        assertEquals(PyTorchCheckpoint.read(pth).keys(), StateDict.load(disguised).keys());

        StateDict d = new StateDict();
        d.put("module.x", t(1));
        Path st = temp.resolve("x.bin");
        Safetensors.write(st, d, null);
        assertEquals(List.of("x"), StateDict.load(st).keys());
        CheckpointException e = assertThrows(CheckpointException.class, () -> PyTorchCheckpoint.read(st));
        assertTrue(e.getMessage().contains("is a safetensors file"), e.getMessage());
    }

    @Test
    void otherFilesGetAClearError() throws IOException {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0};
        Path image = Files.write(temp.resolve("cells.png"), png);
        Path text = Files.writeString(temp.resolve("notes.pth"), "these are not weights\n");
        Path empty = Files.write(temp.resolve("empty.pth"), new byte[0]);
        for (Path p : List.of(image, text, empty)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> StateDict.load(p));
            assertTrue(e.getMessage().contains("'" + p.getFileName() + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("is not a PyTorch checkpoint (.pth zip) or a safetensors file"),
                    e.getMessage());
            assertEquals(p, e.file());
        }
        assertTrue(assertThrows(CheckpointException.class, () -> StateDict.load(empty)).getMessage()
                .contains("empty"));
        assertTrue(assertThrows(CheckpointException.class, () -> StateDict.load(temp)).getMessage()
                .contains("is a folder"));
        assertTrue(assertThrows(CheckpointException.class, () -> StateDict.load(temp.resolve("nope.pth")))
                .getMessage().contains("does not exist"));
        assertTrue(assertThrows(CheckpointException.class, () -> StateDict.load(resource("legacy.pth")))
                .getMessage().contains("legacy format"));
    }
}
