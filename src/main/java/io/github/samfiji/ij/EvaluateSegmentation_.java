package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link EvaluateSegmentationCommand}. */
public class EvaluateSegmentation_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new EvaluateSegmentationCommand(), "Evaluate Segmentation");
    }
}
