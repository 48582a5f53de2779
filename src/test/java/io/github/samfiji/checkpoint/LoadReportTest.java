package io.github.samfiji.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LoadReportTest {

    private static StateDict dict(Object... keyAndShape) {
        StateDict d = new StateDict();
        for (int i = 0; i < keyAndShape.length; i += 2) {
            long[] shape = (long[]) keyAndShape[i + 1];
            d.put((String) keyAndShape[i], TensorData.ofFloats(shape,
                    new float[(int) TensorData.elementCount(shape)]));
        }
        return d;
    }

    private static Map<String, long[]> expected(Object... keyAndShape) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (int i = 0; i < keyAndShape.length; i += 2) {
            m.put((String) keyAndShape[i], (long[]) keyAndShape[i + 1]);
        }
        return m;
    }

    @Test
    void exactMatch() {
        LoadReport r = new LoadReport(expected("a", new long[] {2}, "b", new long[] {}),
                dict("b", new long[] {}, "a", new long[] {2}));
        assertTrue(r.isExact());
        assertEquals(List.of(), r.missing());
        assertEquals("checkpoint matches the model exactly (2 tensors)", r.toString());
        assertDoesNotThrow(() -> r.throwIfIncompatible("x"));
    }

    @Test
    void listsMissingUnexpectedAndMismatchedShapes() {
        LoadReport r = new LoadReport(
                expected("image_encoder.pos_embed", new long[] {1, 64, 64, 768}, "a", new long[] {3}, "m1",
                        new long[] {1}, "m2", new long[] {1}),
                dict("x", new long[] {1}, "a", new long[] {3}, "image_encoder.pos_embed", new long[] {1, 16, 16, 64}));
        assertFalse(r.isExact());
        assertEquals(List.of("m1", "m2"), r.missing());
        assertEquals(List.of("x"), r.unexpected());
        assertEquals(1, r.mismatches().size());
        LoadReport.ShapeMismatch m = r.mismatches().get(0);
        assertEquals("image_encoder.pos_embed", m.key());
        assertArrayEquals(new long[] {1, 64, 64, 768}, m.expected());
        assertArrayEquals(new long[] {1, 16, 16, 64}, m.found());
        String text = r.toString();
        assertTrue(text.contains("shape mismatch: image_encoder.pos_embed expected [1, 64, 64, 768] but checkpoint "
                + "has [1, 16, 16, 64]"), text);
        assertTrue(text.contains("missing: m1") && text.contains("missing: m2") && text.contains("unexpected: x"),
                text);
        assertTrue(text.startsWith("checkpoint does not match the model: 2 missing, 1 unexpected, 1 shape mismatch"),
                text);

        CheckpointException e = assertThrows(CheckpointException.class,
                () -> r.throwIfIncompatible("'sam_vit_b.pth' as SAM ViT-H"));
        assertTrue(e.getMessage().startsWith("'sam_vit_b.pth' as SAM ViT-H does not fit the model"), e.getMessage());
        assertTrue(e.getMessage().contains("expected [1, 64, 64, 768] but checkpoint has [1, 16, 16, 64]"));
    }

    @Test
    void longListsAreTruncatedInTheError() {
        Map<String, long[]> exp = new LinkedHashMap<>();
        StateDict found = new StateDict();
        for (int i = 0; i < 25; i++) {
            exp.put("model.w" + i, new long[] {1});
            found.put("other.w" + i, TensorData.ofFloats(new long[] {1}, new float[1]));
        }
        LoadReport r = new LoadReport(exp, found);
        assertEquals(25, r.missing().size());
        assertEquals(25, r.unexpected().size());
        String message = assertThrows(CheckpointException.class, () -> r.throwIfIncompatible("it")).getMessage();
        assertTrue(message.contains("missing: model.w9") && !message.contains("missing: model.w10"), message);
        assertTrue(message.contains("... and 15 more missing keys"), message);
        assertTrue(message.contains("... and 15 more unexpected keys"), message);
        assertTrue(message.contains("None of the model's weights are in the checkpoint"), message);
        assertTrue(r.toString().contains("missing: model.w24"), "toString lists everything");
    }
}
