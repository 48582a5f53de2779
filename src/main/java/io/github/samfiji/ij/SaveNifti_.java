package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link SaveNiftiCommand}. */
public class SaveNifti_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new SaveNiftiCommand(), "Save as NIfTI");
    }
}
