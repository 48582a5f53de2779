package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.MaskGeometry;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.NeedsSharedData;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model trained interactively from random weights on real images must follow its prompts: a box around the object
 * and a box elsewhere give different masks, and box-prompted Dice beats the same model without a prompt. (Before the
 * objective prompted each part of the mask, asked for empty masks in background boxes, shifted the objects and trained
 * the prompt encoder, and before the positional encoding was initialized at SAM's scale, such models returned the
 * same mask for every box.) Measured (with mosaics and the background box weighted as one object): box Dice 0.635,
 * without prompt 0.011, ellipse inscribed in the box 0.972 (HC18 heads are nearly ellipses; a 0.3 M-parameter model
 * after 30 epochs does not reach that); the masks of a box beside the head and of the head's box have IoU at most
 * 0.02 on 16 of 20 images; about 2 min on 2 busy cores.
 */
@NeedsSharedData
class InteractivePromptFollowingTest {

    @Test
    void boxesAwayFromTheObjectGiveOtherMasksAndBoxesBeatNoPrompt() throws Exception {
        List<TrainingSample> samples = TinyModels.sharedData("hc18");
        SamConfig config = TinyModels.samTinyAt(128);
        int epochs = Integer.getInteger("interactive.epochs", 30);
        FineTuneOptions options = new FineTuneOptions(1e-3, 0.1, 20, false, 4, 1, epochs, 0, epochs, true, 42);
        DataSplit split = DataSplit.bySeed(samples, 42);
        Strategy strategy = Strategy.vanilla(Strategy.Parts.ENCODER_DECODER).withPromptEncoder(true);
        try (SamModel model = new SamModel(config)) {
            model.initializeRandom(42);
            try (FineTuner tuner = new FineTuner(model, strategy, options, FineTuner.Objective.INTERACTIVE)) {
                tuner.fit(split.train(), split.validation(), new FineTuner.Listener() { });
            }
            double boxed = FineTuner.diceWithBox(model, split.test()).mean();
            double free = FineTuner.dice(model, split.test()).mean();
            double ellipse = VolumeDice.of(split.test(), split.test().stream().map(Baselines::boxEllipse).toList()).mean();
            int followed = 0;
            int tried = 0;
            StringBuilder overlaps = new StringBuilder();
            SamPredictor predictor = new SamPredictor(model);
            for (TrainingSample s : split.test()) {
                int w = s.width();
                int h = s.height();
                boolean[] truth = new boolean[w * h];
                for (int i = 0; i < truth.length; i++) {
                    truth[i] = s.mask()[i] != 0;
                }
                int[] b = MaskGeometry.bounds(truth, w);
                float[] away = emptyBox(truth, w, h, (b[2] - b[0]) / 3, (b[3] - b[1]) / 3);
                if (away == null) {
                    continue;
                }
                try (ImageEmbedding e = predictor.encode(s.image())) {
                    boolean[] onObject = predictor.predict(e, Prompt.builder().box(b[0], b[1], b[2], b[3]).build(), false)
                            .mask(0);
                    boolean[] elsewhere = predictor.predict(e, Prompt.builder().box(away[0], away[1], away[2], away[3])
                            .build(), false).mask(0);
                    double iou = InteractiveObjective.iou(onObject, elsewhere);
                    overlaps.append(String.format(" %.2f", iou));
                    tried++;
                    followed += iou < 0.1 ? 1 : 0;
                }
            }
            String report = String.format("HC18 interactive from scratch, %d test images: box Dice %.3f, without prompt "
                    + "%.3f, inscribed ellipse %.3f; IoU of the masks of a box on the head and a box beside it:%s",
                    split.test().size(), boxed, free, ellipse, overlaps);
            System.out.println(report);
            assertTrue(boxed > 0.5 && boxed > free + 0.05, report);
            assertTrue(tried >= 5 && followed >= 0.8 * tried, report);
        }
    }

    /** A box of the given size (at least 24 px a side) that holds no foreground, as far from the object as found. */
    private static float[] emptyBox(boolean[] truth, int w, int h, int bw, int bh) {
        bw = Math.max(24, bw);
        bh = Math.max(24, bh);
        for (int[] corner : new int[][] {{0, 0}, {w - bw, 0}, {0, h - bh}, {w - bw, h - bh}}) {
            boolean empty = true;
            for (int y = corner[1]; y < corner[1] + bh && empty; y++) {
                for (int x = corner[0]; x < corner[0] + bw && empty; x++) {
                    empty = !truth[y * w + x];
                }
            }
            if (empty) {
                return new float[] {corner[0], corner[1], corner[0] + bw - 1, corner[1] + bh - 1};
            }
        }
        return null;
    }
}
