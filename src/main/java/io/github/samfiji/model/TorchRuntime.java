package io.github.samfiji.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * Starts DJL's PyTorch engine once, offline: libtorch must come from the bundled pytorch-native jar, never from a
 * download. Sets libtorch's thread count to the machine's cores unless the user chose otherwise.
 */
public final class TorchRuntime {

    private static volatile Engine engine;

    private TorchRuntime() {
    }

    public static synchronized Engine engine() {
        if (engine == null) {
            setIfAbsent("ai.djl.offline", "true");
            setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
            setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
            // DJL finds its engine and the bundled libtorch through the context class loader; under ImageJ's
            // plugin class loader that one cannot see our jars, so point it at ours while the engine starts.
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(TorchRuntime.class.getClassLoader());
            try {
                engine = Engine.getEngine("PyTorch");
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                throw new IllegalStateException("Could not load the PyTorch native library that sam-fiji bundles "
                        + "(pytorch-native-cpu " + "2.7.1). Check that its jar is installed next to sam-fiji and that "
                        + "the DJL cache folder (DJL_CACHE_DIR, default ~/.djl.ai) is writable. Cause: " + e, e);
            } finally {
                thread.setContextClassLoader(previous);
            }
        }
        return engine;
    }

    public static NDManager newManager() {
        return engine().newBaseManager();
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
