package io.github.samfiji.inference.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.checkpoint.TensorData;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.AmgSettings;
import io.github.samfiji.inference.Embedding;
import io.github.samfiji.inference.LogitUpscaler;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.PromptPredictor;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.io.Progress;
import io.github.samfiji.model.Ops;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * SAM 2.1's {@link Sam2ImagePredictor} as a {@link PromptPredictor}. Grid points are decoded one at a time (the SAM 2
 * decoder takes one prompt set per call), each exactly as a single click through {@link Sam2ImagePredictor#predict}
 * with the three multimask candidates; their logits stay unclamped, as the reference generator thresholds them.
 */
public final class Sam2PromptPredictor implements PromptPredictor {

    /** What the disk cache keeps; image_embed is the last one plus the no-memory embedding. */
    private static final String[] MAPS = {"high_res_feats0", "high_res_feats1", "vision_features"};

    private final Sam2ImagePredictor predictor;
    private final AtomicLong encodes = new AtomicLong();

    public Sam2PromptPredictor(Sam2ImagePredictor predictor) {
        this.predictor = predictor;
    }

    public Sam2ImagePredictor sam2Predictor() {
        return predictor;
    }

    @Override
    public String family() {
        return "sam2.1";
    }

    @Override
    public boolean onGpu() {
        return predictor.model().manager().getDevice().isGpu();
    }

    @Override
    public long encodeCount() {
        return encodes.get();
    }

    @Override
    public int lowResSize() {
        return predictor.model().config().lowResSize();
    }

    @Override
    public Embedding encode(Rgb8Image image, Progress progress) {
        encodes.incrementAndGet();
        return predictor.encode(image, progress);
    }

    @Override
    public Prediction predict(Embedding embedding, Prompt prompt, boolean multimask) {
        if (prompt.isEmpty()) {
            throw new IllegalArgumentException("empty prompt: give at least one point, a box or a mask");
        }
        return predictor.predict(own(embedding), prompt, multimask).masks();
    }

    @Override
    public Prediction predictWithoutPrompt(Embedding embedding, boolean multimask) {
        return predictor.predict(own(embedding), new Prompt(null, null, null), multimask).masks();
    }

    @Override
    public SamPredictor.PointBatch decodeSinglePoints(Embedding embedding, double[] xy, boolean multimask,
                                                      double minIou) {
        Sam2ImageEmbedding e = own(embedding);
        int n = xy.length / 2;
        if (n == 0) {
            throw new IllegalArgumentException("no points to decode");
        }
        int low = lowResSize();
        int area = low * low;
        int perPoint = multimask ? 3 : 1;
        float[] lowRes = new float[n * perPoint * area];
        float[] iou = new float[n * perPoint];
        for (int i = 0; i < n; i++) {
            Prompt click = new Prompt(List.of(new Prompt.Point(xy[2 * i], xy[2 * i + 1], 1)), null, null);
            Sam2ImagePredictor.Decoded d = io.github.samfiji.model.TorchRuntime.withoutGradients(
                    () -> predictor.decodeLowRes(e, click, multimask, null));
            System.arraycopy(d.lowRes(), 0, lowRes, i * perPoint * area, perPoint * area);
            System.arraycopy(d.iou(), 0, iou, i * perPoint, perPoint);
        }
        return new SamPredictor.PointBatch(n, perPoint, low, lowRes, iou);
    }

    @Override
    public LogitUpscaler logitUpscaler(Embedding embedding) {
        Sam2ImageEmbedding e = own(embedding);
        return LogitUpscaler.direct(lowResSize(), e.originalWidth(), e.originalHeight());
    }

    /**
     * The reference {@code SAM2AutomaticMaskGenerator}'s defaults: 32 x 32 points, predicted IoU above 0.8 (SAM 1:
     * 0.88), stability 0.95 with offset 1, box NMS 0.7, no crops, no small-region cleaning.
     */
    @Override
    public AmgSettings amgDefaults() {
        return AmgSettings.defaults().pointsPerSide(32).predIouThresh(0.8).stabilityScoreThresh(0.95)
                .stabilityScoreOffset(1.0).boxNmsThresh(0.7).cropNLayers(0).minMaskRegionArea(0);
    }

    @Override
    public StoredEmbedding toStored(Embedding embedding) {
        Sam2ImageEmbedding e = own(embedding);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        List<NDArray> maps = e.frameFeatures();
        for (int i = 0; i < MAPS.length; i++) {
            tensors.put(MAPS[i], TensorData.ofFloats(maps.get(i).getShape().getShape(), maps.get(i).toFloatArray()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("family", family());
        meta.put("original_width", Integer.toString(e.originalWidth()));
        meta.put("original_height", Integer.toString(e.originalHeight()));
        return new StoredEmbedding(tensors, meta);
    }

    @Override
    public Embedding fromStored(StoredEmbedding stored) {
        if (!family().equals(stored.metadata().get("family"))) {
            throw new IllegalArgumentException("not a SAM 2.1 embedding");
        }
        NDManager owner = predictor.model().manager().newSubManager();
        try {
            NDList maps = new NDList();
            for (String name : MAPS) {
                TensorData t = stored.tensors().get(name);
                if (t == null) {
                    throw new IllegalArgumentException("SAM 2.1 embedding without " + name);
                }
                maps.add(Ops.constant(owner, t.toFloats(), new Shape(t.shape())));
            }
            maps.add(predictor.withNoMemory(maps.get(2)));
            return new Sam2ImageEmbedding(owner, maps, Integer.parseInt(stored.metadata().get("original_width")),
                    Integer.parseInt(stored.metadata().get("original_height")), 0);
        } catch (RuntimeException ex) {
            owner.close();
            throw ex;
        }
    }

    private static Sam2ImageEmbedding own(Embedding embedding) {
        if (embedding instanceof Sam2ImageEmbedding e) {
            return e;
        }
        throw new IllegalArgumentException("this embedding comes from a SAM model, not from this SAM 2.1 model");
    }
}
