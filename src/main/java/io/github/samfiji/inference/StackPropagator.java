package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import java.util.List;

/**
 * Carries objects prompted on one or a few slices through a stack, whichever the model family: SAM 1 by projecting
 * each slice's mask into the next slice's prompt ({@link StackPropagation#projecting}), SAM 2.1 with its memory as its
 * video predictor tracks through frames ({@code sam2.Sam2StackPropagation}). Front ends build the prompts, run this
 * and write the result; they do not know which method ran.
 */
public interface StackPropagator {

    /** Each object's masks, in the order of {@code objects}; a failure names its object. Cancellable. */
    List<StackPropagation.ObjectResult> run(List<StackPropagation.ObjectPrompts> objects, Progress progress);

    /** The method, for reports: "projection" or "memory tracking". */
    String method();
}
