package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.Roi;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.training.TrainingSample;
import java.util.List;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import io.github.samfiji.imagejio.TrainingData;

/**
 * Fine-tune SAM on the current image with its annotations: a label image (or stack) of the same size, or the ROI
 * Manager's outlines (annotations made in Fiji). With ROIs only the slices that carry one are used. A stack is one
 * volume (its slices never split between training, validation and test) or a series of separate 2D images.
 */
@Plugin(type = Command.class, label = "Fine-tune SAM on Open Image")
public class FineTuneOpenImageCommand extends FineTuneJob {

    public static final String ROI_MANAGER = EvaluateSegmentationCommand.ROI_MANAGER;
    public static final String ONE_VOLUME = "one volume";
    public static final String SEPARATE_IMAGES = "separate 2D images";

    @Parameter
    ImagePlus image;

    @Parameter(label = "Labels", style = "image", choices = {ROI_MANAGER},
            description = "a label image or mask (> 0 = object) of the same size, or the ROI Manager's outlines")
    String labels = ROI_MANAGER;

    @Parameter(label = "Object label", required = false,
            description = "with a label image holding several labels: the one to learn, or 'all' for every label as "
                    + "one object (empty: binary masks only)")
    String objectLabel = "";

    @Parameter(label = "Slices", choices = {ONE_VOLUME, SEPARATE_IMAGES},
            description = "whether the slices of a stack are one volume or unrelated 2D images (for the split)")
    String slices = ONE_VOLUME;

    @Override
    List<TrainingSample> samples() {
        if (image == null) {
            throw new IllegalArgumentException("no image is open: open the image to train on first");
        }
        boolean separate = SEPARATE_IMAGES.equals(slices);
        String group = image.getShortTitle();
        if (ROI_MANAGER.equals(labels)) {
            RoiManager manager = RoiManager.getInstance2();
            Roi[] rois = manager == null ? new Roi[0] : manager.getRoisAsArray();
            return TrainingData.fromRois(image, List.of(rois), group, separate);
        }
        ImagePlus labelImage = WindowManager.getImage(labels);
        if (labelImage == null) {
            throw new IllegalArgumentException("the label image '" + labels + "' is not open");
        }
        if (labelImage == image) {
            throw new IllegalArgumentException("the labels must be another image than the one to train on");
        }
        return TrainingData.fromImages(image, labelImage, group, separate, TrainingData.parseLabel(objectLabel));
    }

    @Override
    String dataDescription() {
        return (image == null ? "?" : image.getTitle()) + " + " + labels
                + (objectLabel == null || objectLabel.isBlank() ? "" : " (label " + objectLabel + ")")
                + (SEPARATE_IMAGES.equals(slices) ? " (slices as separate images)" : "");
    }
}
