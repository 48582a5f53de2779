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
            preferPassiveOpenMpWaiting();
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

    /**
     * libtorch's OpenMP threads spin after each parallel region, waiting for the next. When other processes want the
     * cores too (Fiji itself, another job), a spinning thread holds a core its partner needs, and any op can then wait
     * for a scheduler slice. Measured on 2 shared cores (vit_t, one click): 50 ms or 750 ms at random with spinning,
     * 60-95 ms steadily with passive waiting; the encoder gained as much. Unless the user chose a policy
     * ({@code OMP_WAIT_POLICY=ACTIVE} restores spinning), ask for passive waiting before libtorch loads: its OpenMP
     * runtime reads the setting once, when it is loaded.
     */
    private static void preferPassiveOpenMpWaiting() {
        if (System.getenv("OMP_WAIT_POLICY") != null || System.getenv("GOMP_SPINCOUNT") != null
                || !(com.sun.jna.Platform.isLinux() || com.sun.jna.Platform.isMac())) {
            return;
        }
        try {
            PosixEnvironment.LIBC.setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
            // MKL may otherwise choose its thread count per call; a fixed count keeps the summation order, and so a
            // resumed training bit-identical to an uninterrupted one, on a busy machine too.
            PosixEnvironment.LIBC.setenv("MKL_DYNAMIC", "FALSE", 0);
        } catch (LinkageError | RuntimeException e) {
            // Without JNA's libc binding the default policy stays: slower on busy machines, nothing else.
        }
    }

    /** setenv(3), through JNA (which DJL brings). */
    private interface PosixEnvironment extends com.sun.jna.Library {
        PosixEnvironment LIBC = com.sun.jna.Native.load("c", PosixEnvironment.class);

        int setenv(String name, String value, int overwrite);
    }

    /**
     * Runs {@code work} with PyTorch's gradient recording off, as {@code torch.no_grad()}: inference, and the
     * optimizer's in-place updates of the weights. The mode is per thread and the engine turns it off only on the
     * thread that loads it, so on any other thread (a Fiji command thread, a test run after one) it would be on, and
     * an in-place update of a trained weight would be refused as an in-place change of a leaf.
     */
    public static <T> T withoutGradients(java.util.function.Supplier<T> work) {
        boolean was = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            return work.get();
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(was);
        }
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
