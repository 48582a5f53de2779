package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link ModelManagerCommand}. */
public class ModelManager_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new ModelManagerCommand(), "SAM Model Manager");
    }
}
