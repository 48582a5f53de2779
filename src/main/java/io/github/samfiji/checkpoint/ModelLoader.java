package io.github.samfiji.checkpoint;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.sam2.Sam2Config;
import io.github.samfiji.checkpoint.Sam2Loader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a SAM-family model from a checkpoint file (PyTorch .pth or safetensors): infers the architecture from the
 * tensor shapes, applies a JSON configuration if one is given or lies next to the checkpoint
 * ({@code name.json} beside {@code name.pth}), checks every tensor, and fills the model.
 */
public final class ModelLoader {

    private ModelLoader() {
    }

    /** The JSON file that is used when none is given: the checkpoint's name with {@code .json}. */
    public static Path sidecarOf(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return checkpoint.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".json");
    }

    /** Loads a SAM 1 family model; a SAM 2.1 checkpoint is refused with a message saying so. */
    public static SamModel load(Path checkpoint, Path configJson) throws IOException {
        return load(checkpoint, configJson, null);
    }

    /**
     * As {@link #load(Path, Path)}, with the preprocessing profile chosen by the user instead of the configured one
     * ({@code null}: as configured).
     */
    public static SamModel load(Path checkpoint, Path configJson, SamConfig.Preprocessing preprocessing)
            throws IOException {
        StateDict state = readState(checkpoint, configJson);
        if (ArchitectureInference.isSam2(shapes(state))) {
            throw new CheckpointException(checkpoint.getFileName() + " is a SAM 2.1 model, which this command does not "
                    + "run yet; use segment, auto, propagate or finetune, or a SAM/MobileSAM/MedSAM model");
        }
        return loadSam1(state, checkpoint, configJson, preprocessing);
    }

    /**
     * Loads a model of either family, recognised by its tensor names: SAM 2.1 ({@code image_encoder.trunk.*},
     * {@code sam_mask_decoder.*}) or SAM 1. A SAM 2.1 file without configuration must be one of the published models
     * (hiera t, s, b+, l), recognised by its shapes; a JSON configuration (given, or beside the checkpoint as
     * {@code name.json}) describes any other, as the reference yaml's {@code model} section.
     */
    public static LoadedModel loadAny(Path checkpoint, Path configJson) throws IOException {
        return loadAny(checkpoint, configJson, null);
    }

    /**
     * As {@link #loadAny(Path, Path)}, with the preprocessing profile chosen by the user for a SAM 1 family model
     * ({@code null}: as configured; SAM 2.1 has its own preprocessing and ignores it).
     */
    public static LoadedModel loadAny(Path checkpoint, Path configJson, SamConfig.Preprocessing preprocessing)
            throws IOException {
        StateDict state = readState(checkpoint, configJson);
        if (!ArchitectureInference.isSam2(shapes(state))) {
            return new LoadedModel.Sam1(loadSam1(state, checkpoint, configJson, preprocessing));
        }
        String what = checkpoint.getFileName().toString();
        Path json = configJson != null ? configJson : sidecarOf(checkpoint);
        Sam2Config config;
        Peft peft = null;
        if (Files.isRegularFile(json)) {
            String text = Files.readString(json);
            try {
                config = Sam2Config.fromJson(text);
            } catch (RuntimeException e) {
                throw new CheckpointException("configuration " + json.getFileName() + " for " + what + ": "
                        + e.getMessage(), e);
            }
            // A fine-tuned SAM 2.1 model's JSON describes its LoRA tensors as SAM 1's does.
            peft = peftOf(text, checkpoint);
        } else {
            config = Sam2Loader.recognise(state, what);
        }
        return new LoadedModel.Sam2(Sam2Loader.build(config, peft, state, what));
    }

    private static StateDict readState(Path checkpoint, Path configJson) throws IOException {
        if (!Files.isRegularFile(checkpoint)) {
            throw new NoSuchFileException(checkpoint.toString(), null, "model file not found");
        }
        if (configJson != null && !Files.isRegularFile(configJson)) {
            throw new NoSuchFileException(configJson.toString(), null, "model configuration not found");
        }
        return StateDict.load(checkpoint);
    }

    private static SamModel loadSam1(StateDict state, Path checkpoint, Path configJson,
                                     SamConfig.Preprocessing preprocessing) throws IOException {
        Path json = configJson != null ? configJson : sidecarOf(checkpoint);
        String jsonText = Files.isRegularFile(json) ? Files.readString(json) : null;
        SamConfig config = resolveConfig(state, jsonText, checkpoint);
        if (preprocessing != null) {
            config = config.withPreprocessing(preprocessing);
        }
        return build(config, peftOf(jsonText, checkpoint), state, checkpoint.getFileName().toString());
    }

    /** The LoRA/adapter description of a fine-tuned model ({@code "peft"} in its JSON), or null. */
    static Peft peftOf(String json, Path source) throws CheckpointException {
        if (json == null) {
            return null;
        }
        try {
            JsonObject root = JsonParser.parseString(json).getAsJsonObject();
            return root.has("peft") && root.get("peft").isJsonObject() ? Peft.fromJson(root.getAsJsonObject("peft")) : null;
        } catch (RuntimeException e) {
            throw new CheckpointException("configuration for " + source.getFileName() + ": bad \"peft\" section: "
                    + e.getMessage(), e);
        }
    }

    /** The architecture: inferred from shapes, with any fields of the JSON (if given) taking precedence. */
    static SamConfig resolveConfig(StateDict state, String json, Path source) throws CheckpointException {
        ArchitectureInference.Result inferred = ArchitectureInference.infer(shapes(state));
        if (json == null) {
            return inferred.config();
        }
        try {
            return ConfigJson.parse(json, inferred.config());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException("configuration for " + source.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** Builds the model for {@code config} and fills it from {@code state}, refusing any mismatch. */
    public static SamModel build(SamConfig config, StateDict state, String what) throws CheckpointException {
        return build(config, null, state, what);
    }

    /** As {@link #build(SamConfig, StateDict, String)}, with LoRA or adapters attached first when {@code peft} is set. */
    public static SamModel build(SamConfig config, Peft peft, StateDict state, String what) throws CheckpointException {
        SamModel model = new SamModel(config);
        try {
            if (peft != null) {
                peft.attach(model, 0);
            }
            fillStrictly(model.namedParams(), model::setTensor, state, what);
            return model;
        } catch (CheckpointException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    static Map<String, long[]> shapes(StateDict state) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String k : state.keys()) {
            out.put(k, state.get(k).shape());
        }
        return out;
    }


    /** Sets a model's tensor by name (SAM 1 and SAM 2.1 models alike). */
    interface TensorSetter {
        void set(String name, Shape shape, float[] values);
    }

    /**
     * Fills every parameter from {@code state} after checking that names and shapes match exactly (missing, extra or
     * mis-shaped tensors are refused with a report naming them, {@code what} saying which file and as what).
     */
    static void fillStrictly(Map<String, Param> params, TensorSetter setter, StateDict state, String what)
            throws CheckpointException {
        Map<String, long[]> expected = new LinkedHashMap<>();
        params.forEach((k, p) -> expected.put(k, p.shape().getShape()));
        new LoadReport(expected, state).throwIfIncompatible(what);
        for (Map.Entry<String, Param> e : params.entrySet()) {
            TensorData t = state.get(e.getKey());
            setter.set(e.getKey(), new Shape(t.shape()), t.toFloats());
        }
    }
}
