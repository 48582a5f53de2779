package io.github.samfiji.inference;

import io.github.samfiji.checkpoint.TensorData;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.io.Progress;
import java.util.LinkedHashMap;
import java.util.Map;

/** SAM 1's {@link SamPredictor} as a {@link PromptPredictor}; the SAM 1 predictor stays reachable for SAM-1-only jobs. */
public final class SamPromptPredictor implements PromptPredictor {

    private final SamPredictor predictor;

    SamPromptPredictor(SamPredictor predictor) {
        this.predictor = predictor;
    }

    public SamPredictor samPredictor() {
        return predictor;
    }

    @Override
    public String family() {
        return "sam";
    }

    @Override
    public boolean onGpu() {
        return predictor.model().manager().getDevice().isGpu();
    }

    @Override
    public long encodeCount() {
        return predictor.encodeCount();
    }

    @Override
    public int lowResSize() {
        return predictor.model().promptEncoder().maskInputSize();
    }

    @Override
    public Embedding encode(Rgb8Image image, Progress progress) {
        return predictor.encode(image, progress);
    }

    @Override
    public Prediction predict(Embedding embedding, Prompt prompt, boolean multimask) {
        return predictor.predict(own(embedding), prompt, multimask);
    }

    @Override
    public Prediction predictWithoutPrompt(Embedding embedding, boolean multimask) {
        return predictor.predictWithoutPrompt(own(embedding), multimask);
    }

    @Override
    public SamPredictor.PointBatch decodeSinglePoints(Embedding embedding, double[] xy, boolean multimask,
                                                      double minIou) {
        return predictor.decodeSinglePoints(own(embedding), xy, multimask, minIou);
    }

    @Override
    public LogitUpscaler logitUpscaler(Embedding embedding) {
        return predictor.logitUpscaler(own(embedding));
    }

    @Override
    public AmgSettings amgDefaults() {
        return AmgSettings.defaults();
    }

    @Override
    public StoredEmbedding toStored(Embedding embedding) {
        ImageEmbedding e = own(embedding);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("features", TensorData.ofFloats(e.shape(), e.toFloatArray()));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("original_width", Integer.toString(e.originalWidth()));
        meta.put("original_height", Integer.toString(e.originalHeight()));
        meta.put("input_width", Integer.toString(e.inputWidth()));
        meta.put("input_height", Integer.toString(e.inputHeight()));
        return new StoredEmbedding(tensors, meta);
    }

    @Override
    public Embedding fromStored(StoredEmbedding stored) {
        TensorData t = stored.tensors().get("features");
        Map<String, String> meta = stored.metadata();
        if (t == null || stored.tensors().size() != 1 || meta.get("input_width") == null) {
            throw new IllegalArgumentException("not a SAM embedding");
        }
        return ImageEmbedding.restore(predictor.model().manager(), t.toFloats(), t.shape(),
                Integer.parseInt(meta.get("original_width")), Integer.parseInt(meta.get("original_height")),
                Integer.parseInt(meta.get("input_width")), Integer.parseInt(meta.get("input_height")));
    }

    private static ImageEmbedding own(Embedding embedding) {
        if (embedding instanceof ImageEmbedding e) {
            return e;
        }
        throw new IllegalArgumentException("this embedding comes from a SAM 2.1 model, not from this SAM model");
    }
}
