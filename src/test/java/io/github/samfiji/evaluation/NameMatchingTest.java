package io.github.samfiji.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class NameMatchingTest {

    @Test
    void stemsDropImageExtensions() {
        assertEquals("case01", NameMatching.stem("case01.tif"));
        assertEquals("case01", NameMatching.stem("case01.OME.TIF"));
        assertEquals("a.b", NameMatching.stem("a.b.png"));
        assertEquals("RoiSet", NameMatching.stem("RoiSet.zip"));
        assertEquals("noext", NameMatching.stem("noext"));
    }

    @Test
    void matchesByStemAndReportsTheRest() {
        NameMatching.Matching m = NameMatching.match("prediction", List.of("b.png", "a.tif", "c.png"), "truth",
                List.of("a.png", "b.png", "d.png"));
        assertEquals(List.of(new NameMatching.Pair("a", "a.tif", "a.png"), new NameMatching.Pair("b", "b.png", "b.png")),
                m.pairs());
        assertEquals(List.of("c.png"), m.unmatchedFirst());
        assertEquals(List.of("d.png"), m.unmatchedSecond());
        assertFalse(m.complete());
    }

    @Test
    void ambiguousStemsAreAnError() {
        EvaluationException e = assertThrows(EvaluationException.class, () -> NameMatching.match("prediction",
                List.of("a.png", "a.tif"), "truth", List.of("a.png")));
        assertEquals("prediction files 'a.png' and 'a.tif' have the same name stem, so it is unclear which to match;"
                + " keep one of them", e.getMessage());
    }
}
