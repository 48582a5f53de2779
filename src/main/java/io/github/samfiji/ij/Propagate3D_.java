package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link Propagate3DCommand}. */
public class Propagate3D_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new Propagate3DCommand(), "Propagate in 3D");
    }
}
