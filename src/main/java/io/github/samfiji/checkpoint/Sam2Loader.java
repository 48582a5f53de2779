package io.github.samfiji.checkpoint;

import io.github.samfiji.model.sam2.Sam2Config;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.model.sam2.Sam2Peft;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a SAM 2.1 checkpoint ({@code torch.save({"model": state_dict})}, as the published
 * {@code sam2.1_hiera_*.pt}): the architecture comes from a configuration file when one is given, otherwise from
 * the published model whose tensor shapes the checkpoint matches; every tensor must then fit exactly, as the
 * reference's strict {@code load_state_dict}.
 */
public final class Sam2Loader {

    private Sam2Loader() {
    }

    /**
     * @param checkpoint the weights
     * @param configJson the reference configuration ({@link Sam2Config#fromJson}), or null to recognise a published
     *                   model by its shapes
     */
    public static Sam2Model load(Path checkpoint, Path configJson) throws IOException {
        if (!Files.isRegularFile(checkpoint)) {
            throw new NoSuchFileException(checkpoint.toString(), null, "model file not found");
        }
        StateDict state = StateDict.load(checkpoint);
        Sam2Config config;
        if (configJson != null) {
            try {
                config = Sam2Config.fromJson(Files.readString(configJson));
            } catch (RuntimeException e) {
                throw new CheckpointException("configuration " + configJson.getFileName() + ": " + e.getMessage(), e);
            }
        } else {
            config = recognise(state, checkpoint.getFileName().toString());
        }
        String text = configJson != null ? Files.readString(configJson) : null;
        return build(config, ModelLoader.peftOf(text, checkpoint), state, checkpoint.getFileName().toString());
    }

    /** The published configuration whose every key and shape the checkpoint has. */
    public static Sam2Config recognise(StateDict state, String what) throws CheckpointException {
        return recognise(state.shapes(), what);
    }

    /** As {@link #recognise(StateDict, String)}, from the tensor shapes alone. */
    public static Sam2Config recognise(Map<String, long[]> found, String what) throws CheckpointException {
        for (Map.Entry<String, Sam2Config> preset : Sam2Config.presets().entrySet()) {
            if (new LoadReport(expectedShapes(preset.getValue()), found).isExact()) {
                return preset.getValue();
            }
        }
        throw new CheckpointException(what + " is not one of the published SAM 2.1 models (hiera t, s, b+, l): give its "
                + "configuration to load it: the reference yaml's model section as JSON (--config on the command line, or "
                + "NAME.json beside NAME.pt)");
    }

    /** Key → shape of the model {@code config} builds, in state_dict order. */
    public static Map<String, long[]> expectedShapes(Sam2Config config) {
        Sam2Model shapesOnly = new Sam2Model(config);
        try {
            Map<String, long[]> out = new LinkedHashMap<>();
            shapesOnly.namedParams().forEach((k, p) -> out.put(k, p.shape().getShape()));
            return out;
        } finally {
            shapesOnly.close();
        }
    }

    /** Builds the model for {@code config} and fills it from {@code state}, refusing any missing, extra or misshapen tensor. */
    public static Sam2Model build(Sam2Config config, StateDict state, String what) throws CheckpointException {
        return build(config, null, state, what);
    }

    /** As {@link #build(Sam2Config, StateDict, String)}, with the LoRA tensors of {@code peft} (may be null) attached first. */
    public static Sam2Model build(Sam2Config config, Peft peft, StateDict state, String what) throws CheckpointException {
        Sam2Model model = new Sam2Model(config);
        try {
            if (peft != null) {
                Sam2Peft.attach(model, peft, 0, false);
            }
            ModelLoader.fillStrictly(model.namedParams(), model::setTensor, state,
                    "'" + what + "' as SAM 2.1 " + config.trunk());
            return model;
        } catch (CheckpointException | RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
