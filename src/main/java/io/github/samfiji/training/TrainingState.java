package io.github.samfiji.training;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.checkpoint.Safetensors;
import io.github.samfiji.checkpoint.StateDict;
import io.github.samfiji.checkpoint.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a fine-tuning run needs to continue exactly where it stopped after a finished epoch: the trainable
 * tensors (current and best), AdamW's moments and step count, the iteration, early-stopping counters and the
 * training history. Saved as safetensors ({@code weight.}, {@code best.}, {@code adam_m.}, {@code adam_v.} + name)
 * with the counters and a description of the run's settings as JSON metadata, so that a resumed run can refuse
 * different settings.
 *
 * @param epoch the last finished epoch
 */
public record TrainingState(int epoch, long iteration, long optimizerSteps, double bestScore, int bestEpoch,
                            int sinceBest, List<FineTuner.EpochRecord> history, Map<String, float[]> weights,
                            Map<String, float[]> best, Map<String, float[]> firstMoments,
                            Map<String, float[]> secondMoments) {

    private static final String META = "sam_fiji_training_state";

    /** The file beside a model that holds its run's state: {@code MODEL.resume.safetensors}. */
    public static Path fileFor(Path model) {
        String name = model.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return model.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".resume.safetensors");
    }

    /** Writes the state atomically, replacing an earlier state of the same run. */
    public void write(Path file, JsonObject settings) throws IOException {
        StateDict tensors = new StateDict();
        put(tensors, "weight.", weights);
        put(tensors, "best.", best);
        put(tensors, "adam_m.", firstMoments);
        put(tensors, "adam_v.", secondMoments);
        JsonObject o = new JsonObject();
        o.addProperty("epoch", epoch);
        o.addProperty("iteration", iteration);
        o.addProperty("optimizer_steps", optimizerSteps);
        o.addProperty("best_dice", bestScore);
        o.addProperty("best_epoch", bestEpoch);
        o.addProperty("since_best", sinceBest);
        JsonArray h = new JsonArray();
        for (FineTuner.EpochRecord r : history) {
            JsonArray row = new JsonArray();
            row.add(r.epoch());
            row.add(r.iterations());
            row.add(r.trainLoss());
            row.add(Double.isNaN(r.validationScore()) ? null : r.validationScore());
            row.add(r.seconds());
            h.add(row);
        }
        o.add("history", h);
        o.add("settings", settings);
        Safetensors.write(file, tensors, Map.of(META, new Gson().toJson(o)), true);
    }

    /** What {@link #write} wrote, with the run settings it recorded. */
    public record Saved(TrainingState state, JsonObject settings) {
    }

    public static Saved read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no training state to resume from (it is written "
                    + "after every epoch of a run with the same output model)");
        }
        String meta = Safetensors.readMetadata(file).get(META);
        if (meta == null) {
            throw new IOException(file + " is not a sam-fiji training state");
        }
        JsonObject o = JsonParser.parseString(meta).getAsJsonObject();
        StateDict tensors = Safetensors.read(file);
        List<FineTuner.EpochRecord> history = new ArrayList<>();
        for (var e : o.getAsJsonArray("history")) {
            JsonArray row = e.getAsJsonArray();
            history.add(new FineTuner.EpochRecord(row.get(0).getAsInt(), row.get(1).getAsLong(),
                    row.get(2).getAsDouble(), row.get(3).isJsonNull() ? Double.NaN : row.get(3).getAsDouble(),
                    row.get(4).getAsDouble()));
        }
        TrainingState state = new TrainingState(o.get("epoch").getAsInt(), o.get("iteration").getAsLong(),
                o.get("optimizer_steps").getAsLong(), o.get("best_dice").getAsDouble(), o.get("best_epoch").getAsInt(),
                o.get("since_best").getAsInt(), history, take(tensors, "weight."), take(tensors, "best."),
                take(tensors, "adam_m."), take(tensors, "adam_v."));
        return new Saved(state, o.getAsJsonObject("settings"));
    }

    private static void put(StateDict tensors, String prefix, Map<String, float[]> values) {
        values.forEach((name, v) -> tensors.put(prefix + name, TensorData.ofFloats(new long[] {v.length}, v)));
    }

    private static Map<String, float[]> take(StateDict tensors, String prefix) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String key : tensors.keys()) {
            if (key.startsWith(prefix)) {
                out.put(key.substring(prefix.length()), tensors.get(key).toFloats());
            }
        }
        return out;
    }
}
