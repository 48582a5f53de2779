package io.github.samfiji.testing;

import java.awt.GraphicsEnvironment;
import java.lang.reflect.AnnotatedElement;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Skips what {@link NeedsSharedData} or {@link NeedsDisplay} marks when this machine lacks it. As an execution
 * condition it is decided before {@code @BeforeAll}, so a class-level mark never runs a set-up that would fail.
 */
public final class TestEnvironment implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<AnnotatedElement> element = context.getElement();
        if (element.isEmpty()) {
            return ConditionEvaluationResult.enabled("no element");
        }
        if (AnnotationSupport.isAnnotated(element, NeedsSharedData.class) && Fixtures.sharedFolder().isEmpty()) {
            return ConditionEvaluationResult.disabled(Fixtures.absenceMessage());
        }
        if (AnnotationSupport.isAnnotated(element, NeedsDisplay.class) && GraphicsEnvironment.isHeadless()) {
            return ConditionEvaluationResult.disabled(
                    "needs a display: run the tests under Xvfb (xvfb-run -a mvn -B test; .ci/run starts one); skipping");
        }
        return ConditionEvaluationResult.enabled("environment present");
    }
}
