package io.github.samfiji.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import io.github.samfiji.model.SamConfig.VitConfig;
import io.github.samfiji.model.SamModel;
import java.util.Map;

/**
 * Moves a SAM to a smaller (or larger) input size, to make CPU training practical. For a ViT, the absolute position
 * embedding is resized bilinearly to the new token grid and the relative position tables of global-attention
 * blocks linearly to the new length (windowed blocks keep theirs); a TinyViT needs no change, since its attention
 * biases depend only on the window. Everything else is copied. The result is an
 * ordinary SAM at the new {@code img_size}, which its saved configuration states.
 */
public final class InputResize {

    private InputResize() {
    }

    public static SamConfig configFor(SamConfig config, int inputSize) {
        if (inputSize % 16 != 0 || inputSize < 32) {
            throw new IllegalArgumentException("input size must be a multiple of 16 and at least 32 (got " + inputSize + ")");
        }
        if (config.encoder() instanceof TinyVitConfig t) {
            // TinyViT has no position embeddings; its attention biases belong to the window, not the grid.
            TinyVitConfig nt = new TinyVitConfig(inputSize, t.inChans(), t.numClasses(), t.embedDims(), t.depths(),
                    t.numHeads(), t.windowSizes(), t.mlpRatio(), t.mbconvExpandRatio(), t.localConvSize(),
                    t.outChans());
            return config.withEncoder(nt);
        }
        VitConfig v = (VitConfig) config.encoder();
        VitConfig nv = new VitConfig(inputSize, v.patchSize(), v.inChans(), v.embedDim(), v.depth(), v.numHeads(),
                v.mlpRatio(), v.outChans(), v.qkvBias(), v.useAbsPos(), v.useRelPos(), v.windowSize(),
                v.globalAttnIndexes());
        return config.withEncoder(nv);
    }

    /** A new model at {@code inputSize} holding {@code source}'s weights, adapted; {@code source} is unchanged. */
    public static SamModel resize(SamModel source, int inputSize) {
        SamConfig config = configFor(source.config(), inputSize);
        SamModel target = new SamModel(config);
        try (NDManager m = source.manager().newSubManager()) {
            Map<String, Param> from = source.namedParams();
            for (Map.Entry<String, Param> e : target.namedParams().entrySet()) {
                String name = e.getKey();
                Param to = e.getValue();
                NDArray value = from.get(name).value();
                if (!value.getShape().equals(to.shape())) {
                    value = adapt(name, value, to.shape());
                }
                NDArray copy = value.toType(to.dataType(), true);
                target.setTensor(name, to.shape(), copy.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
            }
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
        return target;
    }

    private static NDArray adapt(String name, NDArray value, Shape wanted) {
        if (name.endsWith("pos_embed")) {
            // (1, g, g, C) -> channels first, bilinear on the grid, back.
            int g = (int) wanted.get(1);
            NDArray nchw = value.transpose(0, 3, 1, 2);
            return Ops.resizeBilinear(nchw, g, g).transpose(0, 2, 3, 1);
        }
        if (name.endsWith("rel_pos_h") || name.endsWith("rel_pos_w")) {
            int have = (int) value.getShape().get(0);
            int need = (int) wanted.get(0);
            NDArray matrix = Ops.constant(value.getManager(), Ops.linearResizeMatrix(have, need), new Shape(need, have));
            return matrix.matMul(value);
        }
        throw new IllegalStateException("cannot adapt " + name + " from " + value.getShape() + " to " + wanted);
    }
}
