package io.github.samfiji.ij;

import ij.plugin.PlugIn;

/** ImageJ 1 menu entry (plugins.config) for {@link InteractiveEvaluationCommand}. */
public class InteractiveEvaluation_ implements PlugIn {

    @Override
    public void run(String arg) {
        CommandDialog.run(new InteractiveEvaluationCommand(), "Evaluate Interactive Segmentation");
    }
}
