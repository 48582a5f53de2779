package io.github.samfiji.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Reads the zip files written by {@code torch.save} (PyTorch 1.6 and later): {@code <folder>/data.pkl} holds a
 * pickle of (nested) dicts of tensors whose storages are the entries {@code <folder>/data/<key>}. The official SAM,
 * MobileSAM, MedSAM and MedicoSAM checkpoints have this form.
 *
 * <p>Unpickling executes nothing: only the few Python names a weights file needs are known (ordered dicts, tensor
 * rebuilding, storage types); any other name is refused before anything is built. Sizes declared in the pickle are
 * checked against the archive before any tensor memory is allocated.
 */
public final class PyTorchCheckpoint {

    private static final Map<String, TensorType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("torch.FloatStorage", TensorType.FLOAT32), Map.entry("torch.HalfStorage", TensorType.FLOAT16),
            Map.entry("torch.BFloat16Storage", TensorType.BFLOAT16), Map.entry("torch.DoubleStorage", TensorType.FLOAT64),
            Map.entry("torch.LongStorage", TensorType.INT64), Map.entry("torch.IntStorage", TensorType.INT32),
            Map.entry("torch.ShortStorage", TensorType.INT16), Map.entry("torch.CharStorage", TensorType.INT8),
            Map.entry("torch.ByteStorage", TensorType.UINT8), Map.entry("torch.BoolStorage", TensorType.BOOL));

    private PyTorchCheckpoint() {
    }

    /** The whole top-level object: a map whose tensor leaves are {@link TensorData}. */
    public static Object readObject(Path file) throws CheckpointException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry pickle = null;
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                if (e.getName().endsWith("/data.pkl") || e.getName().equals("data.pkl")) {
                    if (pickle != null) {
                        throw new CheckpointException(file.getFileName() + " holds several pickles; it is not a single checkpoint");
                    }
                    pickle = e;
                }
            }
            if (pickle == null) {
                throw new CheckpointException(file.getFileName() + " is a zip file but not a PyTorch checkpoint (no data.pkl)");
            }
            String folder = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
            byte[] pkl;
            try (InputStream in = zip.getInputStream(pickle)) {
                pkl = in.readAllBytes();
            }
            WeightsUnpickler unpickler = new WeightsUnpickler(zip, folder, file);
            Object root = unpickler.loads(pkl);
            return materialize(root, unpickler);
        } catch (ZipException e) {
            throw new CheckpointException(file.getFileName() + " is truncated or damaged (" + e.getMessage()
                    + "); download it again", e);
        } catch (PickleException | ClassCastException | IndexOutOfBoundsException e) {
            Throwable c = e.getCause() instanceof CheckpointException ? e.getCause() : e;
            if (c instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException(file.getFileName() + " has a malformed pickle: " + e.getMessage(), e);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(file.getFileName() + " could not be read: " + e.getMessage(), e);
        }
    }

    /** Replaces every tensor reference in the unpickled structure by its data. */
    private static Object materialize(Object o, WeightsUnpickler u) throws IOException {
        if (o instanceof TensorRef t) {
            return u.read(t);
        }
        if (o instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(e.getKey(), materialize(e.getValue(), u));
            }
            return out;
        }
        return o;
    }

    /** A storage of the archive, not yet read: its entry, element type and declared element count. */
    record StorageRef(String key, TensorType type, long numel) {
    }

    /** A tensor as a view of a storage. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** Marker pushed for a whitelisted storage type; never called. */
    record StorageTypeMarker(TensorType type) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("storage types are not callable in a weights file");
        }
    }

    /** A dict that accepts the attribute state pickled with torch's OrderedDicts (their _metadata), and ignores it. */
    public static final class OrderedDictObject extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;

        public void __setstate__(HashMap<?, ?> state) {
            // _metadata (module versions) is not needed to use the weights.
        }

        /** Pyrolite looks the method up by the state's exact class; dicts here are insertion-ordered. */
        public void __setstate__(LinkedHashMap<?, ?> state) {
            // as above
        }
    }

    private static final class WeightsUnpickler extends Unpickler {
        private final ZipFile zip;
        private final String folder;
        private final Path file;
        private final Map<String, byte[]> storageBytes = new HashMap<>();
        private final Map<String, StorageRef> storages = new HashMap<>();
        private final Map<String, IObjectConstructor> allowed = new HashMap<>();

        WeightsUnpickler(ZipFile zip, String folder, Path file) {
            this.zip = zip;
            this.folder = folder;
            this.file = file;
            allowed.put("collections.OrderedDict", args -> new OrderedDictObject());
            allowed.put("torch._utils._rebuild_tensor_v2", this::rebuildTensor);
            allowed.put("torch._utils._rebuild_tensor", this::rebuildTensor);
            allowed.put("torch._utils._rebuild_parameter", args -> args[0]);
            STORAGE_TYPES.forEach((name, type) -> allowed.put(name, new StorageTypeMarker(type)));
        }

        private IObjectConstructor resolve(String module, String name) {
            String global = module + "." + name;
            IObjectConstructor c = allowed.get(global);
            if (c == null) {
                throw new PickleException("refused",
                        new CheckpointException(file.getFileName() + " refers to the Python object '" + global
                                + "', which a weights file never needs; refusing to load it (the file may be unsafe)"));
            }
            return c;
        }

        @Override
        protected Object dispatch(short key) throws PickleException, IOException {
            switch (key) {
                case Opcodes.GLOBAL -> {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    stack.add(resolve(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.STACK_GLOBAL -> {
                    Object name = stack.pop();
                    Object module = stack.pop();
                    stack.add(resolve(String.valueOf(module), String.valueOf(name)));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.EMPTY_DICT -> {
                    // Insertion-ordered, so that tensors keep the order of the file.
                    stack.add(new LinkedHashMap<Object, Object>());
                    return NO_RETURN_VALUE;
                }
                case Opcodes.SETITEMS -> {
                    // Pyrolite gathers these through a HashMap, losing the order; put them in file order instead.
                    List<Object> items = stack.pop_all_since_marker();
                    @SuppressWarnings("unchecked")
                    Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        dict.put(items.get(i), items.get(i + 1));
                    }
                    return NO_RETURN_VALUE;
                }
                case Opcodes.INST -> {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    resolve(module, name);
                    throw new PickleException("INST opcode is not used by weights files");
                }
                default -> {
                    return super.dispatch(key);
                }
            }
        }

        /** ('storage', type, key, location, numel): checked against the archive, read later. */
        @Override
        protected Object persistentLoad(Object pid) {
            if (!(pid instanceof Object[] t) || t.length < 5 || !"storage".equals(t[0])
                    || !(t[1] instanceof StorageTypeMarker type)) {
                throw new PickleException("unexpected persistent id " + describe(pid));
            }
            String key = String.valueOf(t[2]);
            long numel = ((Number) t[4]).longValue();
            return storages.computeIfAbsent(key, k -> {
                ZipEntry entry = zip.getEntry(folder + "data/" + k);
                if (entry == null) {
                    throw new PickleException("missing", new CheckpointException(file.getFileName()
                            + " is truncated or damaged: storage '" + k + "' is missing from the archive"));
                }
                long need;
                try {
                    need = Math.multiplyExact(numel, type.type().bytes());
                } catch (ArithmeticException e) {
                    throw new PickleException("size", new CheckpointException(file.getFileName() + " declares an "
                            + "impossible storage size (" + numel + " elements) for storage '" + k + "'"));
                }
                if (numel < 0 || entry.getSize() < need) {
                    throw new PickleException("size", new CheckpointException(file.getFileName() + " declares "
                            + numel + " elements (" + need + " bytes) for storage '" + k + "' but the archive holds "
                            + entry.getSize() + " bytes: the file is damaged or not a genuine checkpoint"));
                }
                return new StorageRef(k, type.type(), numel);
            });
        }

        private Object rebuildTensor(Object[] args) {
            if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
                throw new PickleException("malformed tensor record");
            }
            long offset = ((Number) args[1]).longValue();
            long[] size = longs(args[2]);
            long[] stride = longs(args[3]);
            if (size.length != stride.length) {
                throw new PickleException("tensor size and stride differ in rank");
            }
            long last = offset;
            long count = 1;
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0 || stride[i] < 0) {
                    throw new PickleException("negative tensor size or stride");
                }
                count = Math.multiplyExact(count, size[i]);
                last += (size[i] - 1) * stride[i];
            }
            if (count > 0 && (offset < 0 || last >= storage.numel())) {
                throw new PickleException("view", new CheckpointException(file.getFileName() + ": a tensor of shape "
                        + Arrays.toString(size) + " reaches beyond its storage of " + storage.numel() + " elements"));
            }
            return new TensorRef(storage, offset, size, stride);
        }

        TensorData read(TensorRef t) throws IOException {
            StorageRef s = t.storage();
            byte[] bytes = storageBytes.get(s.key());
            if (bytes == null) {
                ZipEntry entry = zip.getEntry(folder + "data/" + s.key());
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = in.readNBytes(Math.toIntExact(s.numel() * s.type().bytes()));
                }
                if (bytes.length != s.numel() * s.type().bytes()) {
                    throw new CheckpointException(file.getFileName() + " is truncated or damaged: storage '" + s.key()
                            + "' ends early");
                }
                storageBytes.put(s.key(), bytes);
            }
            int elem = s.type().bytes();
            long n = TensorData.numel(t.size());
            if (isContiguous(t.size(), t.stride())) {
                return new TensorData(t.size(), s.type(),
                        ByteBuffer.wrap(bytes, Math.toIntExact(t.offset() * elem), Math.toIntExact(n * elem)));
            }
            // A strided view: gather it into C order.
            byte[] out = new byte[Math.toIntExact(n * elem)];
            long[] index = new long[t.size().length];
            for (long i = 0; i < n; i++) {
                long src = t.offset();
                for (int d = 0; d < index.length; d++) {
                    src += index[d] * t.stride()[d];
                }
                System.arraycopy(bytes, Math.toIntExact(src * elem), out, Math.toIntExact(i * elem), elem);
                for (int d = index.length - 1; d >= 0; d--) {
                    if (++index[d] < t.size()[d]) {
                        break;
                    }
                    index[d] = 0;
                }
            }
            return new TensorData(t.size(), s.type(), ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN));
        }

        private static boolean isContiguous(long[] size, long[] stride) {
            long expected = 1;
            for (int d = size.length - 1; d >= 0; d--) {
                if (size[d] != 1 && stride[d] != expected) {
                    return false;
                }
                expected *= size[d];
            }
            return true;
        }

        private static long[] longs(Object o) {
            Object[] a = o instanceof Object[] arr ? arr : ((List<?>) o).toArray();
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = ((Number) a[i]).longValue();
            }
            return out;
        }

        private static String describe(Object o) {
            return o instanceof Object[] a ? Arrays.deepToString(a) : String.valueOf(o);
        }
    }

    /** Keys of nested containers that hold a model's weights in training checkpoints. */
    static final List<String> NESTED_KEYS = new ArrayList<>(List.of("model", "state_dict", "model_state_dict", "net",
            "module"));
}
