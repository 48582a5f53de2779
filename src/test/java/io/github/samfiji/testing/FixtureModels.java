package io.github.samfiji.testing;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.model.ConfigJson;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the fixture models from their config.json and weights_npy (independently of the checkpoint reader). */
public final class FixtureModels {

    private FixtureModels() {
    }

    public static SamConfig config(String set) {
        try {
            return ConfigJson.parse(Files.readString(Fixtures.set(set).resolve("config.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static SamModel fromNpy(String set) {
        Path dir = Fixtures.set(set).resolve("weights_npy");
        SamModel model = new SamModel(config(set));
        try {
            JsonObject index = JsonParser.parseString(Files.readString(dir.resolve("_index.json"))).getAsJsonObject();
            for (String key : index.keySet()) {
                Npy npy = Npy.read(dir.resolve(key + ".npy"));
                model.setTensor(key, new Shape(npy.shape), npy.floats());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!model.isComplete()) {
            throw new IllegalStateException("weights_npy did not set every tensor of " + set);
        }
        return model;
    }
}
