package io.github.samfiji.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** The words the CLI and the Fiji commands share for a failure: one line, short, no Java class names. */
class ErrorMessagesTest {

    @Test
    void failuresBecomeOneShortLineWithoutClassNames() {
        assertEquals("file not found: /x/y.png", ErrorMessages.describe(new NoSuchFileException("/x/y.png")));
        assertTrue(ErrorMessages.describe(new OutOfMemoryError("Java heap space")).startsWith("out of memory"));
        assertTrue(ErrorMessages.describe(new StackOverflowError()).contains("nested too deeply"));
        String internal = ErrorMessages.describe(new ArithmeticException("/ by zero"));
        assertTrue(internal.startsWith("unexpected internal problem (/ by zero)"), internal);
        String none = ErrorMessages.describe(new NullPointerException());
        assertFalse(none.contains("NullPointerException"), none);
        String longText = ErrorMessages.describe(new IllegalArgumentException("x".repeat(5000) + "\nsecond line"));
        assertTrue(longText.length() <= ErrorMessages.LIMIT + 3 && !longText.contains("\n"), longText);
    }
}
