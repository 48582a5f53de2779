package io.github.samfiji.ij;

import ij.ImagePlus;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.inference.Embedding;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.PromptPredictor;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import io.github.samfiji.imagejio.RoiOutput;

/**
 * Segment with Prompt: each object prompted by the image's selection or by the ROI Manager becomes a ROI (holes
 * kept) in the ROI Manager, optionally also a label image. The parameters below are the single definition of the
 * command's dialog and macro options (see {@link CommandDialog}); the menu entry comes from plugins.config, so the
 * command appears once, in ImageJ 1 and in Fiji.
 */
@Plugin(type = Command.class, label = "Segment with Prompt")
public class SegmentWithPromptCommand implements Command {

    public static final String FROM_SELECTION = "Image selection";
    public static final String FROM_MANAGER = "ROI Manager";
    public static final String BEST = "Best predicted IoU";

    @Parameter
    ImagePlus image;

    @Parameter(label = "Installed model", style = "models",
            description = "a model of the models folder, or the file below")
    String installed = ModelFolder.FILE_BELOW;

    @Parameter(label = "Model file", style = "open",
            description = "SAM, MobileSAM or MedSAM checkpoint (.pth), SAM 2.1 checkpoint (.pt) or a sam-fiji model "
                    + "(.safetensors)")
    File model;

    @Parameter(label = "Preprocessing", choices = {PreprocessingChoice.AS_MODEL, PreprocessingChoice.SAM,
            PreprocessingChoice.MEDSAM}, description = PreprocessingChoice.DESCRIPTION)
    String preprocessing = PreprocessingChoice.AS_MODEL;

    @Parameter(label = "Prompts from", choices = {FROM_SELECTION, FROM_MANAGER},
            description = "the image's selection (points or a rectangle), or every ROI of the ROI Manager")
    String prompts = FROM_SELECTION;

    @Parameter(label = "All slices", description = "apply the selection's prompt to every slice of the stack "
            + "(of the current channel and frame), one ROI per slice")
    boolean allSlices = false;

    @Parameter(label = "Refine previous result", description = "give each object's last result on this slice "
            + "(its low-resolution logits) to the model as a mask prompt, to refine it with the new prompts")
    boolean refine = false;

    @Parameter(label = "Multimask", description = "predict 3 candidate masks (better for a single ambiguous point)")
    boolean multimask = true;

    @Parameter(label = "Candidate", choices = {BEST, "1", "2", "3"}, description = "which candidate mask to keep")
    String candidate = BEST;

    @Parameter(label = "Add to ROI Manager", description = "add each object as a ROI named image-object-slice")
    boolean addToManager = true;

    @Parameter(label = "Label image", description = "also show a 16-bit label image of the objects")
    boolean labelImage = false;

    @Parameter(type = ItemIO.OUTPUT)
    ImagePlus labels;

    /** The last low-resolution logits per image, plane and object number, for refinement (least recent out). */
    private static final Map<String, float[]> PREVIOUS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > 256;
        }
    };

    /** Objects segmented by the last run, for callers and tests. */
    List<RoiOutput.SegmentedObject> results = List.of();

    @Override
    public void run() {
        if (image == null) {
            throw new IllegalArgumentException("no image is open");
        }
        model = ModelFolder.chosen(installed, model);
        List<ImagePrompts.ObjectPrompt> objects = FROM_MANAGER.equals(prompts)
                ? ImagePrompts.fromManager(RoiManager.getInstance2(), image)
                : List.of(ImagePrompts.fromSelection(image));
        boolean everySlice = allSlices && FROM_SELECTION.equals(prompts) && image.getNSlices() > 1;
        if (everySlice) {
            ImagePrompts.ObjectPrompt o = objects.get(0);
            List<ImagePrompts.ObjectPrompt> perSlice = new ArrayList<>();
            for (int z = 1; z <= image.getNSlices(); z++) {
                perSlice.add(new ImagePrompts.ObjectPrompt(o.prompt(),
                        image.getStackIndex(image.getChannel(), z, image.getFrame()), o.source()));
            }
            objects = perSlice;
        }
        IJProgress progress = new IJProgress("Segment with Prompt");
        try {
            EmbeddingCache cache = ModelCache.embeddings(ModelCache.load(model.toPath(), null,
                    PreprocessingChoice.of(preprocessing)));
            PromptPredictor predictor = cache.promptPredictor();
            List<RoiOutput.SegmentedObject> out = new ArrayList<>();
            for (int i = 0; i < objects.size(); i++) {
                ImagePrompts.ObjectPrompt o = objects.get(i);
                progress.checkCancelled();
                Embedding embedding = cache.embedding(image, o.stackIndex(), progress);
                int number = everySlice ? 1 : i + 1;
                String key = image.getID() + ":" + o.stackIndex() + ":" + number;
                float[] previous;
                synchronized (PREVIOUS) {
                    previous = refine ? PREVIOUS.get(key) : null;
                }
                Prompt prompt = previous == null ? o.prompt()
                        : new Prompt(o.prompt().points(), o.prompt().box(), previous);
                Prediction p = predictor.predict(embedding, prompt, multimask);
                int chosen = choose(p);
                synchronized (PREVIOUS) {
                    PREVIOUS.put(key, p.lowRes()[chosen]);
                }
                out.add(new RoiOutput.SegmentedObject(number, o.stackIndex(), p.mask(chosen), p.iou()[chosen], chosen));
                progress.update((i + 1.0) / objects.size(), "object " + (i + 1) + " of " + objects.size());
            }
            results = List.copyOf(out);
            if (addToManager) {
                RoiOutput.addToManager(RoiOutput.manager(), image, results);
            }
            if (labelImage) {
                labels = RoiOutput.labelImage(image, results);
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            progress.done();
        }
    }

    private int choose(Prediction p) {
        if (BEST.equals(candidate)) {
            return p.best();
        }
        int index = Integer.parseInt(candidate) - 1;
        if (index >= p.count()) {
            throw new IllegalArgumentException("candidate " + candidate + " does not exist: with multimask off there is "
                    + "one candidate");
        }
        return index;
    }
}
