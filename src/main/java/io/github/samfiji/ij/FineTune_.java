package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link FineTuneCommand}. */
public class FineTune_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new FineTuneCommand(), "Fine-tune SAM");
    }
}
