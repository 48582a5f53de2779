package io.github.samfiji.model.sam2;

import ai.djl.ndarray.NDArray;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Peft;
import java.util.Map;
import java.util.Random;

/**
 * LoRA and adapters for SAM 2.1, described by the same {@link Peft} record as SAM 1 (so the model JSON's
 * {@code "peft"} section reads the same). LoRA: on the Hiera blocks' qkv (query and value rows) and output projections
 * when the encoder is adapted, and on the query and value projections of every attention of the mask decoder.
 * Adapters: in the chosen Hiera blocks (default the first two and last two) and in every decoder block, in SAM 1's
 * layout.
 */
public final class Sam2Peft {

    private Sam2Peft() {
    }

    /**
     * Attaches the additions; with {@code initialize} every added tensor gets its initial value (A ~ U(±1/√in) from
     * {@code seed}, B = 0, so the model computes what it computed before), else they wait for a checkpoint's values.
     */
    public static void attach(Sam2Model model, Peft peft, long seed, boolean initialize) {
        if (peft.method().equals(Peft.LORA)) {
            if (peft.encoder()) {
                model.imageEncoder().trunk().addLoRA(peft.rank(), peft.scale());
            }
            model.maskDecoder().transformer().addQueryValueLoRA(peft.rank(), peft.scale());
        } else {
            if (peft.encoder()) {
                model.imageEncoder().trunk().addAdapters(peft.adapterBlocksFor(model.imageEncoder().trunk().depth()));
            }
            model.maskDecoder().transformer().addAdapters();
        }
        if (initialize) {
            Random random = new Random(seed);
            for (Map.Entry<String, Param> e : model.namedParams().entrySet()) {
                Param p = e.getValue();
                if (p.hasValue() || !Peft.isAdded(e.getKey())) {
                    continue;
                }
                long[] dims = p.shape().getShape();
                float[] v = new float[Math.toIntExact(p.shape().size())];
                String name = e.getKey();
                // LoRA B and adapter up-projections (and adapter biases) start at zero: the model is unchanged.
                if (!(name.endsWith(".B") || name.contains(".up.") || name.endsWith(".bias"))) {
                    double bound = 1.0 / Math.sqrt(dims[dims.length - 1]);
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                    }
                }
                model.setTensor(e.getKey(), p.shape(), v);
            }
        }
    }

    /** Whether the model carries LoRA or adapter tensors (from an earlier fine-tuning). */
    public static boolean hasLoRA(Sam2Model model) {
        return attachedMethod(model) != null;
    }

    /** "lora" or "adapter" when the model carries such tensors, else null. */
    public static String attachedMethod(Sam2Model model) {
        for (String name : model.namedParams().keySet()) {
            if (Peft.isAdded(name)) {
                return name.contains(".adapter") ? Peft.ADAPTER : Peft.LORA;
            }
        }
        return null;
    }

    /**
     * The plain SAM 2.1 state_dict of a LoRA model (every reference key, scale·B·A folded into the weights); the
     * arrays belong to the caller's scope.
     */
    public static Map<String, NDArray> mergedState(Sam2Model model) {
        return Peft.mergedState(model);
    }
}
