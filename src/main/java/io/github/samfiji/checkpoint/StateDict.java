package io.github.samfiji.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Named tensors in file order: the weights of a model as a checkpoint stores them. */
public final class StateDict {

    private final Map<String, TensorData> tensors = new LinkedHashMap<>();

    public TensorData get(String name) {
        return tensors.get(name);
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public void put(String name, TensorData tensor) {
        tensors.put(name, tensor);
    }

    public Set<String> keys() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    public Set<Map.Entry<String, TensorData>> entries() {
        return Collections.unmodifiableMap(tensors).entrySet();
    }

    public int size() {
        return tensors.size();
    }

    /** Reads a PyTorch checkpoint (.pth zip) or a safetensors file, recognized by content, not by name. */
    public static StateDict load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "model file not found");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(9);
        }
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return fromObject(PyTorchCheckpoint.readObject(file), file);
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0x80) {
            throw new CheckpointException(file.getFileName() + " is in the legacy PyTorch format (before 1.6), which "
                    + "sam-fiji does not read; re-save it in Python with torch.save(torch.load(f), g)");
        }
        if (head.length == 9 && head[8] == '{') {
            return Safetensors.read(file);
        }
        throw new CheckpointException(file.getFileName() + " is not a PyTorch checkpoint (.pth zip) or a safetensors "
                + "file; choose the model file itself (for example sam_vit_b_01ec64.pth)");
    }

    /**
     * The state dict inside an unpickled checkpoint: the top-level dict of tensors, or one nested under a key
     * such as {@code model} or {@code state_dict} (training checkpoints). A DataParallel {@code module.} prefix on
     * every key is removed.
     */
    static StateDict fromObject(Object root, Path file) throws CheckpointException {
        Map<?, ?> dict = tensorDict(root);
        if (dict == null && root instanceof Map<?, ?> m) {
            for (String key : PyTorchCheckpoint.NESTED_KEYS) {
                dict = tensorDict(m.get(key));
                if (dict != null) {
                    break;
                }
            }
        }
        if (dict == null) {
            throw new CheckpointException(file.getFileName() + " holds no dictionary of tensors at its top level or "
                    + "under 'model' / 'state_dict': it is not a model weights file");
        }
        boolean prefixed = dict.keySet().stream().allMatch(k -> String.valueOf(k).startsWith("module."));
        StateDict out = new StateDict();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (e.getValue() instanceof TensorData t) {
                String name = String.valueOf(e.getKey());
                out.put(prefixed ? name.substring("module.".length()) : name, t);
            }
        }
        return out;
    }

    /** The map if it is a non-empty dict whose values are mostly tensors, else null. */
    private static Map<?, ?> tensorDict(Object o) {
        if (!(o instanceof Map<?, ?> m) || m.isEmpty()) {
            return null;
        }
        long tensors = m.values().stream().filter(v -> v instanceof TensorData).count();
        return tensors > 0 && tensors * 2 >= m.size() ? m : null;
    }
}
