package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link FineTuneOpenImageCommand}. */
public class FineTuneOpenImage_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new FineTuneOpenImageCommand(), "Fine-tune SAM on Open Image");
    }
}
