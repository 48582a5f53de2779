package io.github.samfiji.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.checkpoint.Safetensors;
import io.github.samfiji.checkpoint.StateDict;
import io.github.samfiji.checkpoint.TensorData;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.sam2.Sam2Config;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.model.sam2.Sam2Peft;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes fine-tuned models: the weights as safetensors and, beside them, the JSON that {@link ModelLoader#load}
 * reads (architecture, the LoRA/adapter description under {@code "peft"}, and a {@code "finetune"} record of
 * strategy, data, resolution and metrics). Both files are written atomically; existing files are kept unless
 * {@code overwrite}.
 */
public final class ModelFiles {

    private ModelFiles() {
    }

    /** Fails before any work when the model or its JSON exists (without overwrite) or the folder is not writable. */
    public static void checkWritable(Path model, boolean overwrite) throws IOException {
        Path absolute = model.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new IOException("output folder does not exist: " + folder);
        }
        if (!Files.isWritable(folder)) {
            throw new IOException("output folder is not writable: " + folder);
        }
        if (!overwrite) {
            OutputFiles.requireAbsent(absolute, ModelLoader.sidecarOf(absolute));
        }
    }

    public static void save(SamModel model, Peft peft, JsonObject finetune, Path file, boolean overwrite)
            throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        model.namedParams().forEach((n, p) -> tensors.put(n, p.value()));
        write(model, tensors, peft, finetune, file, overwrite);
    }

    /**
     * The LoRA weights folded into a plain SAM state_dict (no extra keys), with its JSON; loads in any SAM tool that
     * reads safetensors with SAM's key names.
     */
    public static void saveMerged(SamModel model, JsonObject finetune, Path file, boolean overwrite) throws IOException {
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            Map<String, NDArray> merged = Peft.mergedState(model);
            JsonObject note = finetune == null ? new JsonObject() : finetune.deepCopy();
            note.addProperty("merged", "LoRA updates folded into the base weights; a plain SAM state_dict");
            write(model, merged, null, note, file, overwrite);
        }
    }

    /**
     * A SAM 2.1 model: its weights (LoRA tensors under their own names) and a JSON with its configuration in the
     * reference's terms ({@link Sam2Config#toJson}), the LoRA description and the run's record.
     */
    public static void saveSam2(Sam2Model model, Peft peft, JsonObject finetune, Path file, boolean overwrite)
            throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        model.namedParams().forEach((n, p) -> tensors.put(n, p.value()));
        write(model.namedParams(), model.config().toJson(), tensors, peft, finetune, file, overwrite);
    }

    /** The LoRA weights folded into a plain SAM 2.1 state_dict (every reference key and no other), with its JSON. */
    public static void saveSam2Merged(Sam2Model model, JsonObject finetune, Path file, boolean overwrite)
            throws IOException {
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            Map<String, NDArray> merged = Sam2Peft.mergedState(model);
            JsonObject note = finetune == null ? new JsonObject() : finetune.deepCopy();
            note.addProperty("merged", "LoRA updates folded into the base weights; a plain SAM 2.1 state_dict");
            write(model.namedParams(), model.config().toJson(), merged, null, note, file, overwrite);
        }
    }

    private static void write(SamModel model, Map<String, NDArray> tensors, Peft peft, JsonObject finetune, Path file,
                              boolean overwrite) throws IOException {
        write(model.namedParams(), JsonParser.parseString(ConfigJson.toJson(model.config())).getAsJsonObject(), tensors,
                peft, finetune, file, overwrite);
    }

    private static void write(Map<String, Param> params, JsonObject json, Map<String, NDArray> tensors, Peft peft,
                              JsonObject finetune, Path file, boolean overwrite) throws IOException {
        StateDict state = new StateDict();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray v = e.getValue();
            long[] shape = v.getShape().getShape();
            Param p = params.get(e.getKey());
            if (p != null && p.dataType() == DataType.INT64) {
                state.put(e.getKey(), TensorData.ofLongs(shape, v.toLongArray()));
            } else {
                state.put(e.getKey(), TensorData.ofFloats(shape, v.toType(DataType.FLOAT32, false).toFloatArray()));
            }
        }
        if (peft != null) {
            json.add("peft", peft.toJson());
        }
        if (finetune != null) {
            json.add("finetune", finetune);
        }
        Path sidecar = ModelLoader.sidecarOf(file.toAbsolutePath());
        if (!overwrite) {
            OutputFiles.requireAbsent(file.toAbsolutePath(), sidecar);
        }
        // The weights are written in full under a hidden name first, then the JSON, then the weights are renamed:
        // a model file is only ever found next to its own description, and a run killed while writing leaves at
        // most a hidden leftover (removed later), never a description without its weights.
        Path target = file.toAbsolutePath();
        Path hidden = target.resolveSibling("." + target.getFileName() + "." + Long.toHexString(System.nanoTime())
                + ".partial");
        try {
            Safetensors.write(hidden, state, Map.of("format", "pt", "producer", "sam-fiji finetune"), false);
            OutputFiles.writeJson(sidecar, overwrite, json);
            try {
                java.nio.file.Files.move(hidden, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                java.nio.file.Files.move(hidden, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            java.nio.file.Files.deleteIfExists(hidden);
        }
    }
}
