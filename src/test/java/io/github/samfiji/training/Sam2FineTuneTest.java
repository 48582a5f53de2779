package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.sam2.Sam2ImageEmbedding;
import io.github.samfiji.inference.sam2.Sam2ImagePredictor;
import io.github.samfiji.inference.sam2.Sam2Prediction;
import io.github.samfiji.inference.sam2.Sam2VolumePropagator;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.TorchRuntime;
import io.github.samfiji.model.sam2.Sam2Fixture;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.model.sam2.Sam2Preprocessing;
import io.github.samfiji.testing.Assertions2;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The SAM 2.1 training forward against the inference classes on the sam2_tiny fixture (which the reference pins), and
 * its gradients against finite differences: the sam2 Python package is not installed, so PyTorch's own gradients of
 * the reference are out of reach, and these two together stand in for them.
 */
@NeedsSharedData
class Sam2FineTuneTest {

    /** Training forward = predictor, for every prompt kind and every mask token. */
    @Test
    void trainingForwardEqualsThePredictor() {
        try (Sam2Model model = Sam2Fixture.loadModel()) {
            Rgb8Image image = Sam2Fixture.image();
            int w = image.width();
            int h = image.height();
            Sam2Heads heads = new Sam2Heads(model);
            Sam2ImagePredictor predictor = new Sam2ImagePredictor(model);
            List<Prompt> prompts = List.of(Prompt.builder().box(25, 34.76, 63.69, 100.24).build(),
                    Prompt.builder().point(77.6, 60.0, 1).build(),
                    Prompt.builder().box(25, 34.76, 63.69, 80).point(40, 50, 1).point(30, 70, 0).build(),
                    Prompt.builder().build());
            try (Sam2ImageEmbedding e = predictor.encode(image)) {
                for (Prompt prompt : prompts) {
                    Sam2Prediction expected = predictor.predict(e, prompt, true);
                    float[][] mine = TorchRuntime.withoutGradients(() -> {
                        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
                            NDList features = heads.encode(Sam2Preprocessing.preprocess(image, heads.size), m);
                            List<float[]> points = new ArrayList<>();
                            for (Prompt.Point p : prompt.points()) {
                                points.add(new float[] {toModel(p.x(), w, heads.size), toModel(p.y(), h, heads.size),
                                        p.label()});
                            }
                            Prompt.Box b = prompt.box();
                            float[] box = b == null ? null : new float[] {toModel(b.x0(), w, heads.size),
                                toModel(b.y0(), h, heads.size), toModel(b.x1(), w, heads.size), toModel(b.y1(), h, heads.size)};
                            NDList out = heads.decode(heads.withoutMemory(features.get(2)), features,
                                    heads.prompts(points, box, null, m), m);
                            float[][] r = new float[3][];
                            r[0] = out.get(0).toFloatArray();
                            r[1] = out.get(1).toFloatArray();
                            r[2] = out.get(2).toFloatArray();
                            return r;
                        }
                    });
                    int area = heads.low * heads.low;
                    int[] tokens = expected.tokens();
                    for (int i = 0; i < tokens.length; i++) {
                        float[] logits = Arrays.copyOfRange(mine[0], tokens[i] * area, (tokens[i] + 1) * area);
                        for (int k = 0; k < area; k++) {
                            logits[k] = Math.max(-32f, Math.min(32f, logits[k]));
                        }
                        Assertions2.assertClose("token " + tokens[i] + " of " + prompt, expected.masks().lowRes()[i],
                                logits, 1e-4);
                        assertEquals(expected.masks().iou()[i], mine[1][tokens[i]], 1e-5);
                    }
                    assertEquals(expected.objectScoreLogit(), mine[2][0], 1e-4);
                }
            }
        }
    }

    static float toModel(double coordinate, int side, int size) {
        return ((float) coordinate / (float) side) * (float) size;
    }

    /**
     * Tracking through the fixture stack from one box, as training composes it (float32 memories), equals the
     * inference tracker (bfloat16 memories, as the reference stores them) up to that rounding.
     */
    @Test
    void trainingTrackingEqualsTheVolumePropagator() {
        try (Sam2Model model = Sam2Fixture.loadModel()) {
            Npy stack = Sam2Fixture.npy("stack");
            int depth = (int) stack.shape[0];
            int h = (int) stack.shape[1];
            int w = (int) stack.shape[2];
            byte[] all = stack.bytes();
            IntFunction<Rgb8Image> slices = z -> Rgb8Image.fromGrey(w, h, Arrays.copyOfRange(all, z * w * h,
                    (z + 1) * w * h));
            Prompt box = Prompt.builder().box(25, 34.76, 63.69, 100.24).build();
            Sam2VolumePropagator.Tracked tracked = Sam2VolumePropagator.track(model, slices, depth, w, h,
                    Map.of(1, Map.of(3, box)));
            Sam2Heads heads = new Sam2Heads(model);
            float[] modelBox = {toModel(25, w, heads.size), toModel(34.76, h, heads.size), toModel(63.69, w, heads.size),
                toModel(100.24, h, heads.size)};
            float[][] mine = Sam2Clips.propagate(heads, z -> Sam2Preprocessing.preprocess(slices.apply(z), heads.size),
                    depth, 3, modelBox);
            Sam2VolumePropagator.SliceResult[] expected = tracked.objects().get(1);
            int disagree = 0;
            int cells = 0;
            double worst = 0;
            for (int z = 0; z < depth; z++) {
                float[] ref = expected[z].lowRes();
                for (int i = 0; i < ref.length; i++) {
                    float r = Math.max(-32f, Math.min(32f, ref[i]));
                    float m = Math.max(-32f, Math.min(32f, mine[z][i]));
                    worst = Math.max(worst, Math.abs(r - m));
                    cells++;
                    if ((r > 0) != (m > 0) && Math.abs(r) > 0.05) {
                        disagree++;
                    }
                }
            }
            System.out.printf("training tracking vs propagator: max |diff| %.3g, %d of %d cells of another sign%n",
                    worst, disagree, cells);
            assertEquals(0, disagree);
            assertTrue(worst < 0.1, "worst difference " + worst);
        }
    }

    /** Analytic gradients of image and clip losses equal central differences for entries of several tensors. */
    @Test
    void gradientsMatchFiniteDifferences() {
        List<TrainingSample> volume = movingDisc(3, 64, 48, 5);
        checkGradients(FineTuner.Objective.AUTOMATIC, null, List.of(volume.get(0)), List.of(
                "sam_mask_decoder.output_hypernetworks_mlps.0.layers.2.weight", "no_mem_embed",
                "image_encoder.trunk.blocks.0.attn.qkv.weight", "image_encoder.neck.convs.0.conv.weight",
                "sam_mask_decoder.transformer.layers.0.cross_attn_token_to_image.v_proj.weight"));
        // The interactive loss places its corrections where the thresholded prediction is wrong: a step that moves a
        // mask's edge changes the prompts, so only heads after those choices are compared.
        checkGradients(FineTuner.Objective.INTERACTIVE, null, List.of(volume.get(0)), List.of(
                "sam_mask_decoder.iou_prediction_head.layers.2.bias", "sam_mask_decoder.pred_obj_score_head.layers.2.bias"));
        checkGradients(FineTuner.Objective.AUTOMATIC, new Sam2FineTuner.Video(3, List.of(Sam2Clips.PromptKind.POINT)),
                volume, List.of("memory_attention.layers.0.cross_attn_image.v_proj.weight",
                        "memory_encoder.fuser.layers.0.gamma", "maskmem_tpos_enc",
                        "memory_encoder.mask_downsampler.encoder.0.weight"));
    }

    private static void checkGradients(FineTuner.Objective objective, Sam2FineTuner.Video video,
                                       List<TrainingSample> slices, List<String> names) {
        // Relative steps: a clip's loss switches between mask candidates and memories at nearby weights (a jump in
        // the loss that a step may cross), so it is probed at two small steps and must agree at one of them, within
        // 3% plus the float32 rounding of the loss over the step.
        float[] relativeSteps = video == null ? new float[] {1e-2f} : new float[] {1e-3f, 3e-4f};
        FineTuneOptions options = FineTuneOptions.defaults().withBatch(1, 1).withAugment(false);
        try (Sam2Model model = Sam2Fixture.loadModel();
             Sam2FineTuner tuner = new Sam2FineTuner(model, Strategy.vanilla(Strategy.Parts.ENCODER_DECODER), options,
                     objective, video)) {
            Sam2FineTuner.Unit unit = new Sam2FineTuner.Unit(slices, video == null ? null : video.prompts().get(0));
            tuner.accumulate(List.of(unit), new Random(3));
            Map<String, float[]> grads = tuner.gradients();
            double base = loss(tuner, model, unit);
            for (String name : names) {
                Param p = tuner.trainable().get(name);
                float[] g = grads.get(name);
                // The entries with the largest gradients: the clearest signal against float32 noise.
                Integer[] order = new Integer[g.length];
                for (int i = 0; i < g.length; i++) {
                    order[i] = i;
                }
                Arrays.sort(order, (a, b) -> Float.compare(Math.abs(g[b]), Math.abs(g[a])));
                assertTrue(Math.abs(g[order[0]]) > 1e-3, name + " gets no gradient");
                for (int k = 0; k < Math.min(2, g.length); k++) {
                    int i = order[k];
                    float[] values = p.value().toFloatArray();
                    float original = values[i];
                    StringBuilder tried = new StringBuilder();
                    boolean agrees = false;
                    for (float relative : relativeSteps) {
                        float step = relative * Math.max(1e-1f, Math.abs(original));
                        values[i] = original + step;
                        p.value().set(values);
                        double plus = loss(tuner, model, unit);
                        values[i] = original - step;
                        p.value().set(values);
                        double minus = loss(tuner, model, unit);
                        values[i] = original;
                        p.value().set(values);
                        double numeric = (plus - minus) / (2 * step);
                        double rounding = 4 * Math.ulp((float) base) / (2 * step);
                        agrees |= Math.abs(numeric - g[i]) <= 0.03 * Math.abs(numeric) + rounding;
                        tried.append(String.format(" numeric %.6g (step %.2g, rounding %.2g)", numeric, step, rounding));
                    }
                    System.out.printf("%s %s[%d]: analytic %.6g,%s%n", objective, name, i, g[i], tried);
                    assertTrue(agrees, name + "[" + i + "]: analytic " + g[i] + "," + tried);
                }
            }
        }
    }

    private static double loss(Sam2FineTuner tuner, Sam2Model model, Sam2FineTuner.Unit unit) {
        return TorchRuntime.withoutGradients(() -> {
            try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
                return (double) tuner.unitLoss(unit, new Random(3), m).getFloat();
            }
        });
    }

    /** A stack whose disc moves and shrinks from slice to slice, gone on the last when {@code depth} > 2. */
    static List<TrainingSample> movingDisc(int depth, int width, int height, long seed) {
        Random random = new Random(seed);
        List<TrainingSample> out = new ArrayList<>();
        for (int z = 0; z < depth; z++) {
            double r = z == depth - 1 && depth > 2 ? 0 : Math.min(width, height) * (0.3 - 0.05 * z);
            double cx = width * (0.4 + 0.05 * z);
            double cy = height * 0.5;
            byte[] grey = new byte[width * height];
            byte[] mask = new byte[width * height];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    boolean inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                    double v = (inside ? 170 : 70) + random.nextGaussian() * 20;
                    grey[y * width + x] = (byte) Math.max(0, Math.min(255, (int) v));
                    mask[y * width + x] = (byte) (inside ? 1 : 0);
                }
            }
            out.add(new TrainingSample("vol#" + (z + 1), "vol", Rgb8Image.fromGrey(width, height, grey), mask));
        }
        return out;
    }
}
