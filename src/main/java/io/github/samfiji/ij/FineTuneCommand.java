package io.github.samfiji.ij;

import io.github.samfiji.training.TrainingSample;
import java.io.File;
import java.io.IOException;
import java.util.List;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import io.github.samfiji.imagejio.TrainingData;
import io.github.samfiji.imagejio.RoiSets;

/**
 * Fine-tune SAM from a folder of images and a folder of label masks or RoiSets with the same names, the same job as
 * {@code bin/sam-fiji finetune}.
 */
@Plugin(type = Command.class, label = "Fine-tune SAM")
public class FineTuneCommand extends FineTuneJob {

    @Parameter(label = "Images folder", style = "directory", description = "2D images or stacks")
    File images;

    @Parameter(label = "Masks folder", style = "directory",
            description = "label masks (> 0 = object) or RoiSets (.zip/.roi), named like the images")
    File masks;

    @Parameter(label = "Object label", required = false,
            description = "with label images holding several labels: the one to learn, or 'all' for every label as "
                    + "one object (empty: binary masks only)")
    String objectLabel = "";

    @Override
    List<TrainingSample> samples() throws IOException {
        if (images == null || masks == null) {
            throw new IllegalArgumentException("choose the images folder and the masks folder");
        }
        return TrainingData.fromFolders(images.toPath(), masks.toPath(), TrainingData.parseLabel(objectLabel));
    }

    @Override
    String dataDescription() {
        return images + " + " + masks + (objectLabel == null || objectLabel.isBlank() ? "" : " (label " + objectLabel + ")");
    }
}
