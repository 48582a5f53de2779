package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link AutoSegmentCommand}. */
public class AutoSegment_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new AutoSegmentCommand(), "Auto-segment");
    }
}
