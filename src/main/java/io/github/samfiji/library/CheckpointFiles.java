package io.github.samfiji.library;

import java.util.Locale;

/** Recognizing model files by name (by content: {@link io.github.samfiji.checkpoint.StateDict#isCheckpointFile}). */
public final class CheckpointFiles {

    private CheckpointFiles() {
    }

    /** Model files by name: .pth, .pt and .safetensors. */
    public static boolean isModelName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && (n.endsWith(".pth") || n.endsWith(".pt") || n.endsWith(".safetensors"));
    }
}
