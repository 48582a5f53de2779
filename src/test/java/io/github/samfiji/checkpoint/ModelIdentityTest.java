package io.github.samfiji.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model identity follows content: a copy elsewhere is the same model; other weights or another config are not. */
class ModelIdentityTest {

    @Test
    void identityFollowsWeightsAndConfigurationNotTheFileName(@TempDir Path temp) throws Exception {
        // Copies without sidecar (samples/sam_tiny.pth has one, which would count as its configuration).
        Path original = Files.createDirectories(temp.resolve("a")).resolve("model.pth");
        Files.copy(Path.of("samples/sam_tiny.pth"), original);
        Path copy = temp.resolve("renamed.pth");
        Files.copy(original, copy);
        assertEquals(ModelIdentity.of(original, null), ModelIdentity.of(copy, null));

        byte[] bytes = Files.readAllBytes(original);
        bytes[bytes.length / 2] ^= 1;
        Path changed = temp.resolve("changed.pth");
        Files.write(changed, bytes);
        assertNotEquals(ModelIdentity.of(original, null), ModelIdentity.of(changed, null));

        Path config = temp.resolve("config.json");
        Files.writeString(config, Files.readString(Path.of("samples/sam_tiny.json")));
        Path otherConfig = temp.resolve("other.json");
        Files.writeString(otherConfig, Files.readString(config).replace("256", "128"));
        assertNotEquals(ModelIdentity.of(copy, config), ModelIdentity.of(copy, otherConfig));
        // The sidecar (renamed.json beside renamed.pth) counts as the configuration when none is given.
        Files.copy(otherConfig, temp.resolve("renamed.json"));
        assertEquals(ModelIdentity.of(copy, otherConfig), ModelIdentity.of(copy, null));
    }
}
