package io.github.samfiji.checkpoint;

import static io.github.samfiji.checkpoint.CheckpointException.describe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Named tensors in a fixed order, like a PyTorch {@code state_dict}. Not thread-safe while being modified. */
public final class StateDict {

    /** The prefix {@code torch.nn.DataParallel} puts before every key. */
    public static final String DATA_PARALLEL_PREFIX = "module.";

    private final LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();

    public StateDict() {
    }

    /** A copy of {@code tensors}, in its iteration order. */
    public StateDict(Map<String, TensorData> tensors) {
        tensors.forEach(this::put);
    }

    /**
     * Reads the weights in a PyTorch checkpoint ({@code torch.save} zip) or a safetensors file, deciding by the
     * content, not the name. Weights nested under {@code state_dict}, {@code model} etc. are found, and a
     * {@code module.} prefix on every key (left by DataParallel) is removed.
     *
     * @throws CheckpointException when the file is neither, or is damaged; the message names the file
     */
    public static StateDict load(Path file) throws IOException {
        StateDict dict = switch (Format.detect(file)) {
            case PYTORCH -> PyTorchCheckpoint.read(file);
            case SAFETENSORS -> Safetensors.read(file);
        };
        return dict.unwrap();
    }

    /**
     * Whether {@link #load} would take the file for one of its formats, by the same rule (its first bytes); used to
     * check imports and downloads (an HTML error page, a half-written file) before they enter the models folder.
     */
    public static boolean isCheckpointFile(Path file) throws IOException {
        try {
            Format.detect(file);
            return true;
        } catch (CheckpointException e) {
            return false;
        }
    }

    /** The file formats {@link #load} reads. */
    enum Format {
        PYTORCH, SAFETENSORS;

        /** Legacy (before PyTorch 1.6) files start with the pickled magic number 0x1950a86a20f9469cfc6c. */
        private static final byte[] LEGACY_TORCH = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc,
            (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};

        static Format detect(Path file) throws IOException {
            if (Files.isDirectory(file)) {
                throw new CheckpointException(file, describe(file) + " is a folder, not a checkpoint file.");
            }
            byte[] head;
            long size;
            try (InputStream in = Files.newInputStream(file)) {
                head = in.readNBytes(16);
                size = Files.size(file);
            } catch (NoSuchFileException e) {
                throw new CheckpointException(file, describe(file) + " does not exist.", e);
            }
            if (head.length >= 4 && head[0] == 'P' && head[1] == 'K'
                    && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
                return PYTORCH;
            }
            if (head.length >= 9 && head[8] == '{') {
                long headerLength = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                if (headerLength >= 2 && headerLength <= size - 8) {
                    return SAFETENSORS;
                }
            }
            if (head.length >= LEGACY_TORCH.length
                    && Arrays.equals(Arrays.copyOf(head, LEGACY_TORCH.length), LEGACY_TORCH)) {
                throw new CheckpointException(file, describe(file) + " was saved in the legacy format of PyTorch "
                        + "before version 1.6, which cannot be read here. Re-save it with a recent PyTorch: "
                        + "torch.save(torch.load(old), new).");
            }
            throw new CheckpointException(file, describe(file) + " is not a PyTorch checkpoint (.pth zip) or a "
                    + "safetensors file" + (size == 0 ? " (it is empty)" : "")
                    + ". Choose the model's weights file, e.g. sam_vit_b_01ec64.pth.");
        }
    }

    /** The tensor named {@code key}, or {@code null}. */
    public TensorData get(String key) {
        return tensors.get(key);
    }

    /**
     * The tensor named {@code key}.
     *
     * @throws CheckpointException naming the key when it is absent
     */
    public TensorData require(String key) throws CheckpointException {
        TensorData t = tensors.get(key);
        if (t == null) {
            throw new CheckpointException("the checkpoint has no tensor named '" + key + "'");
        }
        return t;
    }

    /** Adds or replaces a tensor (a replaced key keeps its position); returns the tensor it replaced, or null. */
    public TensorData put(String key, TensorData tensor) {
        return tensors.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(tensor, "tensor"));
    }

    public TensorData remove(String key) {
        return tensors.remove(key);
    }

    public boolean contains(String key) {
        return tensors.containsKey(key);
    }

    public int size() {
        return tensors.size();
    }

    public boolean isEmpty() {
        return tensors.isEmpty();
    }

    /** The keys in order (a snapshot). */
    public List<String> keys() {
        return List.copyOf(tensors.keySet());
    }

    /** The entries in order (an unmodifiable live view). */
    public Set<Map.Entry<String, TensorData>> entries() {
        return Collections.unmodifiableMap(tensors).entrySet();
    }

    /** Name → shape, in order, e.g. for {@link LoadReport}. */
    public Map<String, long[]> shapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.shape()));
        return out;
    }

    /** Total number of elements of all tensors. */
    public long elementCount() {
        return tensors.values().stream().mapToLong(TensorData::numel).sum();
    }

    /**
     * A copy in which keys starting with {@code prefix} lose it; the other keys are kept as they are.
     *
     * @throws IllegalArgumentException when removing the prefix would give two tensors the same name
     */
    public StateDict withoutPrefix(String prefix) {
        StateDict out = new StateDict();
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            String key = e.getKey().startsWith(prefix) ? e.getKey().substring(prefix.length()) : e.getKey();
            if (out.put(key, e.getValue()) != null) {
                throw new IllegalArgumentException("removing the prefix '" + prefix + "' from '" + e.getKey()
                        + "' clashes with another key '" + key + "'");
            }
        }
        return out;
    }

    /** The tensors whose keys start with {@code prefix}, with the prefix removed (e.g. {@code "image_encoder."}). */
    public StateDict subset(String prefix) {
        StateDict out = new StateDict();
        tensors.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /**
     * This dict without the {@code module.} prefix of DataParallel, when every key has it (repeatedly, for nested
     * wrappers); otherwise this dict itself. (Finding weights nested under {@code model} or {@code state_dict}
     * happens while reading, since the nesting exists only in the pickle.)
     */
    public StateDict unwrap() {
        StateDict current = this;
        while (!current.isEmpty() && current.tensors.keySet().stream().allMatch(
                k -> k.startsWith(DATA_PARALLEL_PREFIX) && k.length() > DATA_PARALLEL_PREFIX.length())) {
            current = current.withoutPrefix(DATA_PARALLEL_PREFIX);
        }
        return current;
    }

    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        tensors.forEach((k, v) -> lines.add(k + ": " + v));
        return "StateDict(" + size() + " tensors" + (lines.isEmpty() ? "" : ": " + String.join(", ", lines.subList(0,
                Math.min(lines.size(), 5))) + (lines.size() > 5 ? ", ..." : "")) + ")";
    }
}
