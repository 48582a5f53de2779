package io.github.samfiji.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Recognizing checkpoint files by name and by their first bytes. */
public final class CheckpointFiles {

    private CheckpointFiles() {
    }

    /** Model files by name: .pth, .pt and .safetensors. */
    public static boolean isModelName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && (n.endsWith(".pth") || n.endsWith(".pt") || n.endsWith(".safetensors"));
    }

    /**
     * Whether the file starts like a checkpoint: a zip (torch.save since PyTorch 1.6), a legacy pickle (protocol 2+
     * starts with 0x80), or safetensors (an 8-byte little-endian header length followed by '{').
     */
    public static boolean looksLikeCheckpoint(Path file) throws IOException {
        byte[] head = new byte[9];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return true;
        }
        if (n >= 1 && (head[0] & 0xff) == 0x80) {
            return true;
        }
        if (n == 9 && head[8] == '{') {
            long length = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            return length > 0 && length < Files.size(file);
        }
        return false;
    }
}
