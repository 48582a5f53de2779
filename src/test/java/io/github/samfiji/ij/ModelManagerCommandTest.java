package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.samfiji.library.ModelRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.scijava.plugin.Parameter;

/** The Fiji command's choice of models (annotation constants) is the registry's list, in its order. */
class ModelManagerCommandTest {

    @Test
    void modelChoicesAreTheRegistry() throws Exception {
        Parameter p = ModelManagerCommand.class.getDeclaredField("known").getAnnotation(Parameter.class);
        assertEquals(ModelRegistry.ids(), List.of(p.choices()));
    }
}
