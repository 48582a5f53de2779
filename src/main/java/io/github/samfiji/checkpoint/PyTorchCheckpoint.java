package io.github.samfiji.checkpoint;

import static io.github.samfiji.checkpoint.CheckpointException.describe;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Reads the zip checkpoints written by {@code torch.save} (PyTorch 1.6 and later): {@code <folder>/data.pkl}, a
 * pickle describing the tensors, and {@code <folder>/data/<key>}, the raw little-endian bytes of each storage.
 *
 * <p>The pickle is read with a whitelist: it may only refer to {@code collections.OrderedDict}, the tensor and
 * parameter rebuild functions of {@code torch._utils} and the typed storage classes. Any other Python object (which
 * a pickle could use to run code) makes the read fail before anything else happens. Sizes declared in the pickle
 * are checked against the zip entries before any storage is read.
 */
public final class PyTorchCheckpoint {

    /** Keys under which training scripts commonly nest the weights, in order of preference. */
    public static final List<String> WRAPPER_KEYS = List.of(
            "state_dict", "model_state_dict", "model", "module", "net", "network", "weights", "params");

    /** The pickle of a real checkpoint is a few hundred kB; refuse absurd sizes before reading them. */
    /** A state dict's pickle is about 150 bytes a tensor (ViT-H: ~100 KB); more is not a checkpoint. */
    static final long MAX_PICKLE_BYTES = 64L << 20;
    /** Integers in a checkpoint are sizes, strides and offsets; longer ones are refused before decoding. */
    static final int MAX_INTEGER_BYTES = 16;
    /** How much more than a file's data its expanded (stride 0) views may take when copied out. */
    static final long MAX_EXPANSION_BYTES = 16L << 20;

    private static final int MAX_NESTING = 4;

    private PyTorchCheckpoint() {
    }

    /**
     * Reads the weights of a checkpoint: the top-level dictionary of tensors, or the one nested under a key such as
     * {@code state_dict} or {@code model} (see {@link #WRAPPER_KEYS}). Entries that are not tensors are skipped.
     *
     * @throws CheckpointException when the file is not a usable checkpoint, with a message naming the file
     */
    public static StateDict read(Path file) throws IOException {
        if (StateDict.Format.detect(file) != StateDict.Format.PYTORCH) {
            throw new CheckpointException(file, describe(file) + " is a safetensors file, not a PyTorch checkpoint "
                    + "(.pth zip).");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new CheckpointException(file, describe(file) + " does not exist or cannot be opened.", e);
        } catch (ZipException e) {
            throw CheckpointException.damaged(file, "the zip directory cannot be read: " + e.getMessage(), e);
        }
        try (zip) {
            return new Reader(file, zip).read();
        } catch (Failure f) {
            throw f.exception;
        } catch (ZipException | EOFException e) {
            throw CheckpointException.damaged(file, e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** A storage as the pickle declares it: zip entry, element type and element count (checked against the entry). */
    record StorageRef(String key, ZipEntry entry, TensorType type, long numel) {
    }

    /** A tensor as the pickle declares it: a view (offset, sizes, strides in elements) into a storage. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** The Python object at the root of a {@code dict} or {@code OrderedDict}, keeping insertion order. */
    static final class PyDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    /** Carries a ready-made {@link CheckpointException} out of Pyrolite's callbacks, which cannot throw it. */
    private static final class Failure extends PickleException {
        private static final long serialVersionUID = 1L;
        final transient CheckpointException exception;

        Failure(CheckpointException exception) {
            super(exception.getMessage());
            this.exception = exception;
        }
    }

    private static final class Reader {
        private final Path file;
        private final ZipFile zip;
        private String prefix;
        private final Map<String, StorageRef> storages = new HashMap<>();

        Reader(Path file, ZipFile zip) {
            this.file = file;
            this.zip = zip;
        }

        StateDict read() throws IOException {
            ZipEntry pickle = findPickle();
            checkByteOrder();
            byte[] pickleBytes = readEntry(pickle, MAX_PICKLE_BYTES, "data.pkl");
            Object root = unpickle(pickleBytes);
            Map<String, TensorRef> refs = selectTensors(root);
            return materialize(refs);
        }

        private CheckpointException error(String problem) {
            return new CheckpointException(file, describe(file) + " " + problem);
        }

        private ZipEntry findPickle() throws CheckpointException {
            List<ZipEntry> candidates = new ArrayList<>();
            boolean torchScript = false;
            Set<String> names = new java.util.HashSet<>();
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                String name = e.getName();
                if (!names.add(name)) {
                    // Java would read the last copy and PyTorch the first: refuse rather than load other weights.
                    throw CheckpointException.damaged(file, "its zip directory lists '" + CheckpointException.brief(name)
                            + "' twice", null);
                }
                int slash = name.indexOf('/');
                if (slash > 0 && name.indexOf('/', slash + 1) < 0 && name.endsWith("/data.pkl")
                        && name.length() == slash + "/data.pkl".length()) {
                    candidates.add(e);
                }
                if (name.endsWith("/constants.pkl") || name.matches("[^/]+/code/.*")) {
                    torchScript = true;
                }
            }
            if (torchScript) {
                throw error("is a TorchScript model (torch.jit.save), not a weights checkpoint. Use the checkpoint "
                        + "written by torch.save(model.state_dict(), ...) instead.");
            }
            if (candidates.isEmpty()) {
                throw error("is a zip archive but not a PyTorch checkpoint: it has no '<folder>/data.pkl' entry. "
                        + "Choose a .pth/.pt file written by torch.save, or a .safetensors file.");
            }
            if (candidates.size() > 1) {
                throw error("holds " + candidates.size() + " checkpoints (" + candidates.stream().limit(5)
                        .map(z -> CheckpointException.brief(z.getName())).toList() + "); a torch.save file holds "
                        + "exactly one.");
            }
            String name = candidates.get(0).getName();
            prefix = name.substring(0, name.length() - "data.pkl".length());
            return candidates.get(0);
        }

        private void checkByteOrder() throws IOException {
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                String value = new String(readEntry(order, 64, "byteorder"), StandardCharsets.US_ASCII).trim();
                if (!value.equals("little")) {
                    throw error("was written on a '" + value + "'-endian machine; only little-endian checkpoints "
                            + "are supported. Re-save it on a PC or Mac.");
                }
            }
        }

        /**
         * A stored (uncompressed) entry has one size; a zip directory that gives it two is damaged (PyTorch refuses
         * it, while Java would read by one size and report the other).
         */
        private void checkSizes(ZipEntry entry) throws CheckpointException {
            if (entry.getMethod() == ZipEntry.STORED && entry.getSize() != entry.getCompressedSize()) {
                throw CheckpointException.damaged(file, "its zip directory gives entry '"
                        + CheckpointException.brief(entry.getName()) + "' two sizes, " + entry.getSize() + " and "
                        + entry.getCompressedSize() + " bytes", null);
            }
        }

        /** Reads a whole entry whose declared size must not exceed {@code limit}. */
        private byte[] readEntry(ZipEntry entry, long limit, String what) throws IOException {
            checkSizes(entry);
            long size = entry.getSize();
            if (size > limit) {
                throw error("has a '" + what + "' entry of " + size + " bytes, more than the " + limit
                        + " bytes it can have; the file is not a normal checkpoint.");
            }
            try (InputStream in = zip.getInputStream(entry)) {
                if (size >= 0) {
                    byte[] bytes = in.readNBytes((int) size);
                    if (bytes.length != size) {
                        throw CheckpointException.damaged(file, "entry " + entry.getName() + " ends after "
                                + bytes.length + " of " + size + " bytes", null);
                    }
                    return bytes;
                }
                byte[] bytes = in.readNBytes((int) limit + 1);
                if (bytes.length > limit) {
                    throw error("has a '" + what + "' entry larger than " + limit + " bytes.");
                }
                return bytes;
            }
        }

        private Object unpickle(byte[] bytes) throws IOException {
            TorchUnpickler unpickler = new TorchUnpickler(this);
            try {
                return unpickler.load(new ByteArrayInputStream(bytes));
            } catch (Failure f) {
                throw f.exception;
            } catch (StackOverflowError e) {
                // A last guard: no code path above should recurse over the pickle's structure.
                throw CheckpointException.damaged(file, "its data.pkl nests objects too deeply", null);
            } catch (PickleException e) {
                throw CheckpointException.damaged(file, "its data.pkl cannot be decoded: "
                        + CheckpointException.brief(String.valueOf(e.getMessage())), e);
            } catch (IOException e) {
                throw CheckpointException.damaged(file, "its data.pkl ends in the middle of a value", e);
            } catch (RuntimeException e) {
                // Pyrolite's own checks: a value of the wrong kind for an instruction, a stack run empty, ...
                throw CheckpointException.damaged(file, "its data.pkl cannot be decoded (an instruction meets a value "
                        + "it cannot use)", e);
            } finally {
                unpickler.close();
            }
        }

        /** persistent id {@code ('storage', <StorageType>, key, location, numel)} → checked {@link StorageRef}. */
        StorageRef storage(Object pid) {
            if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0])) {
                throw new Failure(CheckpointException.damaged(file, "unexpected persistent id " + brief(pid), null));
            }
            if (!(t[1] instanceof StorageType type)) {
                throw new Failure(CheckpointException.damaged(file, "a storage has type " + brief(t[1]), null));
            }
            if (!(t[2] instanceof String key)) {
                throw new Failure(CheckpointException.damaged(file, "a storage has key " + brief(t[2]), null));
            }
            long numel = toLong(t[4], "storage element count");
            String shown = CheckpointException.brief(key);
            StorageRef known = storages.get(key);
            if (known != null && known.type() == type.type && known.numel() == numel) {
                return known;
            }
            ZipEntry entry = zip.getEntry(prefix + "data/" + key);
            if (entry == null) {
                throw new Failure(CheckpointException.damaged(file, "storage '" + CheckpointException.brief(key)
                        + "' has no entry for its data", null));
            }
            if (numel < 0) {
                throw new Failure(CheckpointException.damaged(file, "storage '" + shown + "' declares " + numel
                        + " elements", null));
            }
            try {
                checkSizes(entry);
            } catch (CheckpointException e) {
                throw new Failure(e);
            }
            long bytes;
            try {
                bytes = TensorData.byteCount(numel, type.type);
            } catch (IllegalArgumentException e) {
                throw new Failure(error("declares a storage ('" + shown + "') of " + numel + " " + type.type
                        + " elements, more than 2 GB, which is not supported."));
            }
            if (entry.getSize() < bytes) {
                throw new Failure(CheckpointException.damaged(file, "storage '" + shown + "' declares " + numel + " "
                        + type.type + " elements (" + bytes + " bytes) but its entry holds only " + entry.getSize()
                        + " bytes", null));
            }
            StorageRef ref = new StorageRef(key, entry, type.type, numel);
            storages.put(key, ref);
            return ref;
        }

        /** {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)} → checked {@link TensorRef}. */
        TensorRef tensor(Object[] args, String function) {
            if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
                throw new Failure(CheckpointException.damaged(file, function + " called with " + brief(args), null));
            }
            long offset = toLong(args[1], "storage offset");
            long[] size = toLongs(args[2], "tensor size");
            long[] stride = toLongs(args[3], "tensor stride");
            if (size.length != stride.length) {
                throw new Failure(CheckpointException.damaged(file, "a tensor has size " + Arrays.toString(size)
                        + " but stride " + Arrays.toString(stride), null));
            }
            long numel;
            try {
                numel = TensorData.elementCount(size);
                TensorData.byteCount(numel, storage.type());
            } catch (IllegalArgumentException e) {
                throw new Failure(error("declares a tensor of size " + Arrays.toString(size) + ": "
                        + e.getMessage() + "."));
            }
            if (offset < 0 || Arrays.stream(stride).anyMatch(s -> s < 0)) {
                throw new Failure(CheckpointException.damaged(file, "a tensor has storage offset " + offset
                        + " and stride " + Arrays.toString(stride), null));
            }
            if (numel > 0) {
                long last = offset;
                try {
                    for (int i = 0; i < size.length; i++) {
                        last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
                    }
                } catch (ArithmeticException e) {
                    last = Long.MAX_VALUE;
                }
                if (last >= storage.numel()) {
                    throw new Failure(CheckpointException.damaged(file, "a tensor of size " + Arrays.toString(size)
                            + ", stride " + Arrays.toString(stride) + " and offset " + offset
                            + " reaches beyond its storage '" + CheckpointException.brief(storage.key()) + "' of "
                            + storage.numel()
                            + " elements", null));
                }
            }
            return new TensorRef(storage, offset, size, stride);
        }

        private long toLong(Object value, String what) {
            if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
                return ((Number) value).longValue();
            }
            if (value instanceof BigInteger big) {
                throw new Failure(error("declares a " + what + " of " + big.bitLength() + " bits, too large to be real."));
            }
            throw new Failure(CheckpointException.damaged(file, what + " is " + brief(value), null));
        }

        private long[] toLongs(Object value, String what) {
            if (!(value instanceof Object[] tuple)) {
                throw new Failure(CheckpointException.damaged(file, what + " is not a tuple", null));
            }
            long[] out = new long[tuple.length];
            for (int i = 0; i < tuple.length; i++) {
                out[i] = toLong(tuple[i], what);
            }
            return out;
        }

        // --- choosing the state dict ------------------------------------------------------------------------

        private Map<String, TensorRef> selectTensors(Object root) throws CheckpointException {
            if (root instanceof TensorRef) {
                throw error("holds a single tensor, not a dictionary of named weights.");
            }
            if (!(root instanceof Map<?, ?> map)) {
                throw error("holds a Python " + pythonType(root) + " rather than a dictionary of weights. "
                        + "Save the weights with torch.save(model.state_dict(), path).");
            }
            Map<?, ?> chosen = choose(map, 0, Collections.newSetFromMap(new IdentityHashMap<>()));
            if (chosen == null) {
                List<String> keys = new ArrayList<>();
                for (Object k : map.keySet()) {
                    keys.add(k instanceof String str ? CheckpointException.brief(str) : brief(k));
                    if (keys.size() == 20) {
                        keys.add("...");
                        break;
                    }
                }
                throw error("contains no weights: it is a dictionary with the keys " + keys
                        + " and none of them holds a dictionary of tensors.");
            }
            Map<String, TensorRef> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : chosen.entrySet()) {
                if (e.getValue() instanceof TensorRef t) {
                    if (!(e.getKey() instanceof String key)) {
                        throw error("names a tensor with a " + pythonType(e.getKey()) + " key (" + brief(e.getKey())
                                + ") instead of a string; it is not a state dict.");
                    }
                    out.put(key, t);
                }
            }
            return out;
        }

        /**
         * The map of tensors within {@code map}: itself, a value under a wrapper key, or its only dict value that
         * (recursively) holds tensors. Each map is looked at once, so shared or cyclic references stay cheap.
         */
        private static Map<?, ?> choose(Map<?, ?> map, int depth, Set<Object> visited) {
            if (!visited.add(map)) {
                return null;
            }
            if (map.values().stream().anyMatch(v -> v instanceof TensorRef)) {
                return map;
            }
            if (depth >= MAX_NESTING) {
                return null;
            }
            for (String key : WRAPPER_KEYS) {
                if (map.get(key) instanceof Map<?, ?> inner) {
                    Map<?, ?> found = choose(inner, depth + 1, visited);
                    if (found != null) {
                        return found;
                    }
                }
            }
            Map<?, ?> only = null;
            for (Object value : map.values()) {
                if (value instanceof Map<?, ?> inner) {
                    Map<?, ?> found = choose(inner, depth + 1, visited);
                    if (found != null) {
                        if (only != null) {
                            return null; // ambiguous: several dicts of tensors and no known wrapper key
                        }
                        only = found;
                    }
                }
            }
            return only;
        }

        /**
         * A short description of a pickled value for a message: its text for short strings and small numbers, else
         * only its type and size. Never prints a structure (pickles can nest lists a thousand deep or into
         * themselves) and never formats a huge integer in decimal (quadratic time).
         */
        static String brief(Object o) {
            if (o instanceof String str) {
                return "'" + CheckpointException.brief(str) + "'";
            }
            if (o instanceof BigInteger big) {
                return big.bitLength() <= 64 ? big.toString() : "an integer of " + big.bitLength() + " bits";
            }
            if (o instanceof Number || o instanceof Boolean) {
                return String.valueOf(o);
            }
            if (o instanceof Object[] tuple) {
                return "a tuple of " + tuple.length;
            }
            if (o instanceof java.util.Collection<?> c) {
                return "a " + pythonType(o) + " of " + c.size();
            }
            if (o instanceof Map<?, ?> m) {
                return "a dict of " + m.size();
            }
            return pythonType(o);
        }

        private static String pythonType(Object o) {
            if (o == null) {
                return "None";
            }
            if (o instanceof Object[]) {
                return "tuple";
            }
            if (o instanceof List) {
                return "list";
            }
            if (o instanceof String) {
                return "str";
            }
            if (o instanceof Number) {
                return "number";
            }
            return o.getClass().getSimpleName();
        }

        // --- reading storages -------------------------------------------------------------------------------

        private StateDict materialize(Map<String, TensorRef> refs) throws IOException {
            // Count the users of each storage so that its bytes can be dropped after the last one, and the bytes
            // needed from it (tensors of different types may share one storage entry).
            Map<String, Integer> users = new HashMap<>();
            Map<String, Long> needed = new HashMap<>();
            for (TensorRef t : refs.values()) {
                users.merge(t.storage().key(), 1, Integer::sum);
                needed.merge(t.storage().key(), t.storage().numel() * t.storage().type().byteSize(), Math::max);
            }
            // Strided views are copied out. A stride of 0 repeats data (PyTorch accepts such expanded views), so a
            // tiny file could ask for gigabytes: copies may take no more than the data they view plus a little.
            long budget = needed.values().stream().mapToLong(Long::longValue).sum() + MAX_EXPANSION_BYTES;
            long copied = 0;
            Map<String, byte[]> loaded = new HashMap<>();
            Map<TensorRef, TensorData> done = new IdentityHashMap<>();
            StateDict out = new StateDict();
            for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
                TensorRef t = e.getValue();
                TensorData data = done.get(t);
                if (data == null) {
                    String key = t.storage().key();
                    byte[] storage = loaded.get(key);
                    if (storage == null) {
                        storage = readStorage(t.storage(), needed.get(key));
                        loaded.put(key, storage);
                    }
                    if (!isContiguous(t.size(), t.stride())) {
                        copied += TensorData.byteCount(TensorData.elementCount(t.size()), t.storage().type());
                        if (copied > budget) {
                            throw error("has tensor views that repeat their data (a stride of 0) and would take "
                                    + copied + " bytes to copy out of " + (budget - MAX_EXPANSION_BYTES) + " bytes of "
                                    + "data; a saved state dict of weights does not.");
                        }
                    }
                    data = view(storage, t);
                    done.put(t, data);
                }
                out.put(e.getKey(), data);
                if (users.merge(t.storage().key(), -1, Integer::sum) == 0) {
                    loaded.remove(t.storage().key());
                }
            }
            return out;
        }

        private byte[] readStorage(StorageRef s, long length) throws IOException {
            int bytes = (int) length;
            try (InputStream in = zip.getInputStream(s.entry())) {
                byte[] data = new byte[bytes]; // one allocation: readNBytes(int) would buffer a second copy
                int read = in.readNBytes(data, 0, bytes);
                if (read != bytes) {
                    throw CheckpointException.damaged(file, "storage '" + CheckpointException.brief(s.key())
                            + "' ends after " + read
                            + " of " + bytes + " bytes", null);
                }
                return data;
            } catch (ZipException | EOFException e) {
                throw CheckpointException.damaged(file, "storage '" + CheckpointException.brief(s.key())
                        + "' cannot be read: "
                        + e.getMessage(), e);
            }
        }
    }

    /** The C-contiguous bytes of a view: a zero-copy slice when the view is contiguous, else a strided copy. */
    static TensorData view(byte[] storage, TensorRef t) {
        TensorType type = t.storage().type();
        int es = type.byteSize();
        long numel = TensorData.elementCount(t.size());
        int bytes = (int) TensorData.byteCount(numel, type);
        if (numel == 0) {
            return TensorData.wrap(type, t.size(), ByteBuffer.allocate(0));
        }
        if (isContiguous(t.size(), t.stride())) {
            return TensorData.wrap(type, t.size(), ByteBuffer.wrap(storage, (int) (t.offset() * es), bytes));
        }
        byte[] out = new byte[bytes];
        long[] size = t.size();
        long[] stride = t.stride();
        int rank = size.length;
        long[] index = new long[rank];
        long source = t.offset();
        int inner = rank - 1;
        long innerSize = size[inner];
        long innerStride = stride[inner];
        int target = 0;
        while (true) {
            long s = source;
            if (innerStride == 1) {
                int run = (int) (innerSize * es);
                System.arraycopy(storage, (int) (s * es), out, target, run);
                target += run;
            } else {
                for (long i = 0; i < innerSize; i++) {
                    System.arraycopy(storage, (int) (s * es), out, target, es);
                    target += es;
                    s += innerStride;
                }
            }
            // advance the outer dimensions like an odometer
            int d = inner - 1;
            while (d >= 0) {
                index[d]++;
                source += stride[d];
                if (index[d] < size[d]) {
                    break;
                }
                source -= stride[d] * size[d];
                index[d] = 0;
                d--;
            }
            if (d < 0) {
                break;
            }
        }
        return TensorData.wrap(type, size, ByteBuffer.wrap(out));
    }

    /** C-contiguous: dimensions of size 1 may have any stride. Rank 0 is contiguous. */
    static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= size[i];
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------

    /** The global {@code torch.<X>Storage}: only a marker of the element type inside persistent ids. */
    private record StorageType(TensorType type) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("torch." + type.torchStorageName() + " cannot be called in a weights file");
        }
    }

    /**
     * Pyrolite's unpickler with every route to a Python global replaced by a lookup in a fixed whitelist, dicts
     * that keep their order, and bounds checks on length-prefixed opcodes.
     *
     * <p>Pyrolite resolves globals in {@code load_global_sub} (GLOBAL, STACK_GLOBAL) and in {@code load_inst}
     * (INST) via its static {@code objectConstructors} registry, and falls back to {@code ClassDictConstructor} for
     * names it does not know. Those methods are package-private, but all opcodes pass through the protected
     * {@link #dispatch(short)}, which is overridden here so that those three opcodes never reach Pyrolite's
     * registry or its fallback. OBJ, REDUCE, NEWOBJ and NEWOBJ_EX call whatever is on the stack, which can then
     * only be one of the whitelisted constructors. The EXT opcodes are rejected by Pyrolite itself.
     */
    private static final class TorchUnpickler extends Unpickler {
        private final Reader reader;
        private final Map<String, IObjectConstructor> allowed = new HashMap<>();

        TorchUnpickler(Reader reader) {
            this.reader = reader;
            allowed.put("collections.OrderedDict", args -> {
                PyDict dict = new PyDict();
                if (args.length == 1 && args[0] instanceof List<?> items) {
                    for (Object item : items) {
                        if (!(item instanceof Object[] pair) || pair.length != 2) {
                            throw new PickleException("OrderedDict item is not a pair");
                        }
                        dict.put(pair[0], pair[1]);
                    }
                } else if (args.length != 0) {
                    throw new PickleException("OrderedDict called with " + args.length + " arguments");
                }
                return dict;
            });
            allowed.put("torch._utils._rebuild_tensor_v2", args -> reader.tensor(args, "_rebuild_tensor_v2"));
            allowed.put("torch._utils._rebuild_tensor", args -> reader.tensor(args, "_rebuild_tensor"));
            allowed.put("torch._utils._rebuild_parameter", args -> {
                if (args.length < 1 || !(args[0] instanceof TensorRef)) {
                    throw new PickleException("_rebuild_parameter called without a tensor");
                }
                return args[0];
            });
            for (TensorType t : TensorType.values()) {
                allowed.put("torch." + t.torchStorageName(), new StorageType(t));
            }
        }

        private IObjectConstructor resolve(String module, String name) {
            IObjectConstructor c = allowed.get(module + "." + name);
            if (c == null) {
                String global = CheckpointException.brief((module + "." + name).replaceAll("[\\p{Cntrl}]", "?"));
                throw new Failure(new CheckpointException(reader.file, describe(reader.file)
                        + ": checkpoint refers to Python object '" + global + "', which a weights file never "
                        + "needs; refusing to load it. Only files saved as torch.save(model.state_dict(), path) "
                        + "can be read; if you trust the file, re-save its state_dict in Python."));
            }
            return c;
        }

        @Override
        protected Object persistentLoad(Object pid) {
            return reader.storage(pid);
        }

        @Override
        protected Object dispatch(short key) throws PickleException, IOException {
            switch (key) {
                case Opcodes.GLOBAL -> {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    stack.add(resolve(module, name));
                }
                case Opcodes.STACK_GLOBAL -> {
                    Object name = stack.pop();
                    Object module = stack.pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw new PickleException("STACK_GLOBAL without two strings");
                    }
                    stack.add(resolve(m, n));
                }
                case Opcodes.INST -> {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    IObjectConstructor c = resolve(module, name);
                    stack.add(c.construct(stack.pop_all_since_marker().toArray()));
                }
                case Opcodes.BUILD -> {
                    Object state = stack.pop();
                    Object target = stack.peek();
                    // torch pickles a state dict's '_metadata' attribute (module versions) this way; not needed.
                    if (!(target instanceof PyDict) || !(state instanceof Map)) {
                        throw new PickleException("cannot set the state of a " + Reader.pythonType(target));
                    }
                }
                case Opcodes.EMPTY_DICT -> stack.add(new PyDict());
                case Opcodes.DICT -> {
                    List<Object> items = stack.pop_all_since_marker();
                    PyDict dict = new PyDict();
                    putPairs(dict, items);
                    stack.add(dict);
                }
                case Opcodes.SETITEMS -> {
                    // Pyrolite collects these into a HashMap first, which loses the order of the keys.
                    List<Object> items = stack.pop_all_since_marker();
                    Object target = stack.peek();
                    if (!(target instanceof PyDict dict)) {
                        throw new PickleException("SETITEMS on a " + Reader.pythonType(target));
                    }
                    putPairs(dict, items);
                }
                case Opcodes.SETITEM -> {
                    Object value = stack.pop();
                    Object k = stack.pop();
                    Object target = stack.peek();
                    if (!(target instanceof PyDict dict)) {
                        throw new PickleException("SETITEM on a " + Reader.pythonType(target));
                    }
                    putPairs(dict, List.of(k, value));
                }
                // Sets never occur in a state dict; building one would hash its items, which may contain themselves.
                case Opcodes.EMPTY_SET, Opcodes.ADDITEMS, Opcodes.FROZENSET ->
                        throw new PickleException("a set, which a checkpoint of weights never holds");
                case Opcodes.BINBYTES -> stack.add(readCounted(readLength(4)));
                case Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> stack.add(readCounted(readLength(8)));
                case Opcodes.BINUNICODE -> stack.add(utf8(readCounted(readLength(4))));
                case Opcodes.BINUNICODE8 -> stack.add(utf8(readCounted(readLength(8))));
                case Opcodes.SHORT_BINUNICODE -> {
                    int length = input.read();
                    if (length < 0) {
                        throw new PickleException("the pickle ends inside a string");
                    }
                    stack.add(utf8(readCounted(length)));
                }
                case Opcodes.BINSTRING -> stack.add(PickleUtils.rawStringFromBytes(readCounted(readLength(4))));
                case Opcodes.LONG4 -> stack.add(PickleUtils.decode_long(readCounted(integerLength(readLength(4)))));
                case Opcodes.LONG1 -> stack.add(PickleUtils.decode_long(readCounted(integerLength(input.read()))));
                case Opcodes.INT, Opcodes.LONG -> stack.add(textInteger(PickleUtils.readline(input)));
                default -> {
                    return super.dispatch(key);
                }
            }
            return NO_RETURN_VALUE;
        }

        private static void putPairs(Map<Object, Object> dict, List<Object> items) {
            if (items.size() % 2 != 0) {
                throw new PickleException("odd number of dict items");
            }
            for (int i = 0; i < items.size(); i += 2) {
                Object key = items.get(i);
                // Python refuses these as keys; hashing one that contains itself would never end.
                if (key instanceof java.util.Collection || key instanceof Map || key instanceof Object[]) {
                    throw new PickleException("a dictionary key is a " + Reader.pythonType(key));
                }
                dict.put(key, items.get(i + 1));
            }
        }

        /** A little-endian length of 4 or 8 bytes, checked against what is left of the pickle. */
        private int readLength(int width) throws IOException {
            byte[] b = PickleUtils.readbytes(input, width);
            long length = 0;
            for (int i = width - 1; i >= 0; i--) {
                length = (length << 8) | (b[i] & 0xff);
            }
            if (width == 4) {
                length = (int) length; // signed, as Python writes it
            }
            if (length < 0 || length > input.available()) {
                throw new PickleException("a length of " + length + " reaches past the end of the pickle");
            }
            return (int) length;
        }

        /** The text integers of protocol 0 ({@code INT}, {@code LONG}), refused when longer than any real one. */
        private static Object textInteger(String text) {
            if (text.length() > 3 * MAX_INTEGER_BYTES) {
                throw new PickleException("an integer of " + text.length() + " digits");
            }
            if (text.equals("00") || text.equals("01")) {
                return text.equals("01"); // protocol 0 writes False and True so
            }
            String digits = text.endsWith("L") ? text.substring(0, text.length() - 1) : text;
            try {
                BigInteger value = new BigInteger(digits);
                return value.bitLength() < 32 ? (Object) value.intValue()
                        : value.bitLength() < 64 ? (Object) value.longValue() : value;
            } catch (NumberFormatException e) {
                throw new PickleException("an integer written as '" + CheckpointException.brief(text) + "'");
            }
        }

        /** Strict UTF-8, as Python decodes: a malformed name is refused, not silently given replacement characters. */
        private static String utf8(byte[] bytes) {
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new PickleException("a string that is not valid UTF-8");
            }
        }

        private static int integerLength(int length) {
            if (length < 0 || length > MAX_INTEGER_BYTES) {
                throw new PickleException("an integer of " + length + " bytes");
            }
            return length;
        }

        private byte[] readCounted(int length) throws IOException {
            return PickleUtils.readbytes(input, length);
        }
    }
}
