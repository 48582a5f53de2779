package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link SegmentWithPromptCommand}. */
public class SegmentWithPrompt_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new SegmentWithPromptCommand(), "Segment with Prompt");
    }
}
