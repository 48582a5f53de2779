package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TorchRuntime;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Tensors that autograd saves for the backward pass must outlive the scopes that made them. A tensor made from
 * Java data borrows a direct buffer; if a scope closes it and the garbage collector frees the buffer before the
 * backward pass, libtorch reads freed memory (vit_t training died with "index -5435237765255981979 is out of
 * bounds for dimension 0 with size 196"). These tests free and overwrite such memory between the forward and
 * the backward pass and require the gradients of a calm run.
 */
class BackwardMemoryTest {

    /** TinyViT at 64 px with windows 3: the 8x8 and 4x4 stage grids need padding, as MobileSAM's 64x64 does. */
    private static SamConfig paddedWindows() {
        return new SamConfig(new TinyVitConfig(64, 3, 0, new int[] {16, 24, 32, 48}, new int[] {1, 2, 2, 1},
                new int[] {1, 2, 2, 3}, new int[] {3, 3, 3, 3}, 2.0, 2.0, 3, 32),
                new DecoderConfig(32, 8, 3, 2, 64, 2, 2, 3, 32));
    }

    @Test
    void tinyVitGradientsSurviveGarbageCollectionBeforeBackward() {
        SamModel model = new SamModel(paddedWindows());
        model.initializeRandom(5);
        try (model) {
            checkStableGradients(model, 64, false);
        }
    }

    @Test
    void upsampledViTGradientsSurviveGarbageCollectionBeforeBackward() {
        // A ViT trained at another input size resizes its relative position tables; the decoder's output is
        // resized bilinearly for the loss (matrices from Java data, saved by matMul for the backward pass).
        SamModel model = TinyModels.randomModel(6);
        try (model) {
            checkStableGradients(model, 64, true);
        }
    }

    /** Runs forward/backward several times, churning freed memory before every other backward; all must agree. */
    private static void checkStableGradients(SamModel model, int size, boolean resizeOutput) {
        Engine engine = TorchRuntime.engine();
        List<Param> params = new ArrayList<>();
        for (Map.Entry<String, Param> e : model.namedParams().entrySet()) {
            if (!e.getValue().isBuffer()) {
                params.add(e.getValue());
                e.getValue().value().setRequiresGradient(true);
            }
        }
        Random random = new Random(11);
        float[] input = new float[3 * size * size];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) random.nextGaussian();
        }
        float[][] reference = null;
        for (int step = 0; step < 6; step++) {
            boolean churn = step % 2 == 1;
            float[][] grads = new float[params.size()][];
            try (NDManager m = model.manager().newSubManager()) {
                try (GradientCollector collector = engine.newGradientCollector()) {
                    NDArray x = m.create(input, new Shape(1, 3, size, size));
                    NDArray loss = Ops.scoped(() -> {
                        NDArray logits = FineTuner.automaticLogits(model, x, m);
                        if (resizeOutput) {
                            logits = Ops.resizeBilinear(logits, 2 * size - 3, 2 * size - 3);
                        }
                        return logits.mul(logits).mean();
                    });
                    if (churn) {
                        overwriteFreedMemory();
                    }
                    collector.backward(loss);
                }
                for (int i = 0; i < params.size(); i++) {
                    NDArray value = params.get(i).value();
                    grads[i] = value.getGradient().toFloatArray();
                    JniUtils.zeroGrad((PtNDArray) value);
                }
            }
            if (reference == null) {
                reference = grads;
                assertTrue(java.util.Arrays.stream(grads).flatMapToDouble(g -> {
                    double[] d = new double[g.length];
                    for (int i = 0; i < g.length; i++) {
                        d[i] = g[i];
                    }
                    return java.util.Arrays.stream(d);
                }).anyMatch(v -> v != 0), "some gradient is non-zero");
            } else {
                for (int i = 0; i < params.size(); i++) {
                    assertArrayEquals(reference[i], grads[i], 1e-6f,
                            "gradient of " + params.get(i).name() + " at step " + step + (churn ? " (after churn)" : ""));
                }
            }
        }
    }

    /**
     * Lets the garbage collector free the direct buffers of closed arrays, then takes memory of many sizes and fills
     * it with 0x7f bytes, so that a tensor still pointing at freed memory reads huge values.
     */
    private static void overwriteFreedMemory() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<ByteBuffer> garbage = new ArrayList<>();
        for (int bytes = 8; bytes <= 1 << 20; bytes *= 2) {
            for (int k = 0; k < 16; k++) {
                for (int delta : new int[] {-8, 0, 8}) {
                    ByteBuffer b = ByteBuffer.allocateDirect(Math.max(8, bytes + delta));
                    while (b.hasRemaining()) {
                        b.put((byte) 0x7f);
                    }
                    garbage.add(b);
                }
            }
        }
        garbage.clear();
    }
}
