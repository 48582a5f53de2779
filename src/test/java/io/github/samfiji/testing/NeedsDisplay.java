package io.github.samfiji.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test (or every test of the class) needs a display: ImageJ 1's menus, the ROI Manager, {@code ImageJ -batch}.
 * Without one it is skipped with a message before any set-up of the class runs ({@code .ci/run} starts Xvfb).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(TestEnvironment.class)
public @interface NeedsDisplay {
}
