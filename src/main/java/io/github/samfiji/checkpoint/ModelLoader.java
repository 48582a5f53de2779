package io.github.samfiji.checkpoint;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
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

    public static SamModel load(Path checkpoint, Path configJson) throws IOException {
        if (!Files.isRegularFile(checkpoint)) {
            throw new NoSuchFileException(checkpoint.toString(), null, "model file not found");
        }
        StateDict state = StateDict.load(checkpoint);
        Path json = configJson != null ? configJson : sidecarOf(checkpoint);
        if (configJson != null && !Files.isRegularFile(configJson)) {
            throw new NoSuchFileException(configJson.toString(), null, "model configuration not found");
        }
        String jsonText = Files.isRegularFile(json) ? Files.readString(json) : null;
        SamConfig config = resolveConfig(state, jsonText, checkpoint);
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
            Map<String, long[]> expected = new LinkedHashMap<>();
            model.namedParams().forEach((k, p) -> expected.put(k, p.shape().getShape()));
            LoadReport report = new LoadReport(expected, state);
            report.throwIfIncompatible(what);
            for (Map.Entry<String, Param> e : model.namedParams().entrySet()) {
                TensorData t = state.get(e.getKey());
                model.setTensor(e.getKey(), new Shape(t.shape()), t.toFloats());
            }
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

}
