package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link PretrainCommand}. */
public class Pretrain_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new PretrainCommand(), "Pre-train SAM Encoder (MAE)");
    }
}
