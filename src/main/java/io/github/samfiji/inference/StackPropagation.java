package io.github.samfiji.inference;

import io.github.samfiji.io.Progress;
import io.github.samfiji.inference.VolumePropagator.SlicePrompt;
import java.util.ArrayList;
import java.util.List;

/**
 * The propagate job, once for every front end: each object, prompted on one or a few slices, is carried through the
 * stack by {@link VolumePropagator}, one object after the other on the same slice embeddings (so every slice is
 * encoded once for all objects). A failure names its object.
 */
public final class StackPropagation {

    /** An object's number (its label) and its prompts, slices 0-based. */
    public record ObjectPrompts(int object, List<SlicePrompt> prompts) {
    }

    /** An object's number and where it was found. */
    public record ObjectResult(int object, VolumePropagator.Result result) {
    }

    private StackPropagation() {
    }

    /** SAM 1's propagation: each slice's mask projected into the next slice's prompt ({@link VolumePropagator}). */
    public static StackPropagator projecting(VolumePropagator.SliceSegmenter segmenter,
                                             VolumePropagator.Settings settings) {
        return new StackPropagator() {
            @Override
            public List<ObjectResult> run(List<ObjectPrompts> objects, Progress progress) {
                return StackPropagation.run(segmenter, settings, objects, progress);
            }

            @Override
            public String method() {
                return "projection (" + settings.projection().id() + ")";
            }
        };
    }

    public static List<ObjectResult> run(VolumePropagator.SliceSegmenter segmenter, VolumePropagator.Settings settings,
                                         List<ObjectPrompts> objects, Progress progress) {
        if (objects.isEmpty()) {
            throw new IllegalArgumentException("no object to propagate: give at least one prompt");
        }
        List<ObjectResult> out = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            ObjectPrompts o = objects.get(i);
            Progress part = Progress.scaled(progress, i / (double) objects.size(), 1.0 / objects.size());
            try {
                out.add(new ObjectResult(o.object(), new VolumePropagator(settings).propagate(segmenter, o.prompts(),
                        part)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("object " + o.object() + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }
}
