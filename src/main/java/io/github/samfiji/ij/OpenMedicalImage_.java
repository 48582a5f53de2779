package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link OpenMedicalImageCommand}. */
public class OpenMedicalImage_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new OpenMedicalImageCommand(), "Open NIfTI or DICOM");
    }
}
