package io.github.samfiji.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.samfiji.model.Layers.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Parameter-efficient additions to a SAM model: LoRA on the query and value projections of every attention, or
 * bottleneck adapters in selected encoder blocks and in the decoder. The added tensors have their own names
 * ({@code ...qkv.lora_q.A}, {@code ...adapter_mlp.up.weight}), so every base key stays SAM's.
 *
 * @param method         "lora" or "adapter"
 * @param encoder        whether the image encoder gets the additions (the decoder always does)
 * @param rank           LoRA rank
 * @param scale          LoRA scale (the delta is scale * B·A)
 * @param adapterBlocks  encoder blocks with adapters (empty: the default first two and last two)
 */
public record Peft(String method, boolean encoder, int rank, float scale, int[] adapterBlocks) {

    public static final String LORA = "lora";
    public static final String ADAPTER = "adapter";

    public Peft {
        if (!method.equals(LORA) && !method.equals(ADAPTER)) {
            throw new IllegalArgumentException("unknown parameter-efficient method '" + method + "' (lora or adapter)");
        }
        if (method.equals(LORA) && rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1 (got " + rank + ")");
        }
        adapterBlocks = adapterBlocks == null ? new int[0] : adapterBlocks.clone();
    }

    public static Peft lora(boolean encoder, int rank, float scale) {
        return new Peft(LORA, encoder, rank, scale, null);
    }

    public static Peft adapter(boolean encoder, int[] blocks) {
        return new Peft(ADAPTER, encoder, 0, 0f, blocks);
    }

    /** The attention blocks of a ViT or TinyViT encoder (TinyViT's convolutional first stage has none). */
    private static List<? extends AdaptableBlock> encoderBlocks(ImageEncoder encoder) {
        if (encoder instanceof ImageEncoderViT vit) {
            return vit.blocks();
        }
        if (encoder instanceof TinyViT tiny) {
            return tiny.blocks();
        }
        throw new IllegalArgumentException("LoRA/adapters are not implemented for " + encoder.getClass().getSimpleName());
    }

    /** Encoder blocks that get adapters for an encoder of {@code depth} attention blocks. */
    public int[] adapterBlocksFor(int depth) {
        int[] chosen = adapterBlocks.length > 0 ? adapterBlocks
                : Arrays.stream(new int[] {0, 1, depth - 2, depth - 1}).filter(i -> i >= 0).distinct().toArray();
        for (int b : chosen) {
            if (b < 0 || b >= depth) {
                throw new IllegalArgumentException("adapter block " + b + " does not exist (encoder has " + depth + " blocks)");
            }
        }
        return chosen;
    }

    /**
     * Attaches the additions to {@code model}, initialized deterministically from {@code seed}: LoRA A ~ U(±1/√in)
     * (Kaiming-uniform with a=√5, as PyTorch's Linear), B = 0; adapter down-projections likewise random, up = 0.
     * With the zero factors the model computes exactly what it computed before.
     */
    public void attach(SamModel model, long seed) {
        List<? extends AdaptableBlock> blocks = encoder ? encoderBlocks(model.imageEncoder()) : List.of();
        TwoWayTransformer transformer = model.maskDecoder().transformer();
        if (method.equals(LORA)) {
            for (AdaptableBlock block : blocks) {
                block.addQueryValueLoRA(rank, scale);
            }
            transformer.addQueryValueLoRA(rank, scale);
        } else {
            for (int b : blocks.isEmpty() ? new int[0] : adapterBlocksFor(blocks.size())) {
                blocks.get(b).addAdapters();
            }
            transformer.addAdapters();
        }
        initialize(model, seed);
    }

    /** Gives every added tensor that has no value yet its initial value. */
    private static void initialize(SamModel model, long seed) {
        Random random = new Random(seed);
        for (Map.Entry<String, Param> e : model.namedParams().entrySet()) {
            Param p = e.getValue();
            if (p.hasValue() || !isAdded(e.getKey())) {
                continue; // base tensors of a model being loaded get their values from the file
            }
            String name = e.getKey();
            long[] dims = p.shape().getShape();
            float[] v = new float[Math.toIntExact(p.shape().size())];
            boolean zero = name.endsWith(".B") || name.contains(".up.") || name.endsWith(".bias");
            if (!zero) {
                double bound = 1.0 / Math.sqrt(dims[dims.length - 1]);
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
            }
            model.setTensor(name, p.shape(), v);
        }
    }

    /** True for the names of tensors this class adds (never a key of a plain SAM state_dict). */
    public static boolean isAdded(String name) {
        return name.contains(".lora.") || name.contains(".lora_q.") || name.contains(".lora_v.")
                || name.contains(".adapter.") || name.contains(".adapter_attn.") || name.contains(".adapter_mlp.");
    }

    /**
     * The plain SAM state_dict of a LoRA model: every base tensor, with scale·B·A folded into the rows of the
     * projection it updates. Adapters cannot be folded (they are nonlinear), so an adapter model is refused.
     * The arrays belong to the caller's manager scope.
     */
    public static Map<String, NDArray> mergedState(Module model) {
        Map<String, Param> params = model.namedParams();
        Map<String, NDArray> merged = new LinkedHashMap<>();
        for (Map.Entry<String, Param> e : params.entrySet()) {
            String name = e.getKey();
            if (name.contains(".adapter")) {
                throw new IllegalArgumentException("adapters are nonlinear and cannot be merged into a plain SAM model; "
                        + "use the fine-tuned model file itself");
            }
            if (!isAdded(name)) {
                merged.put(name, e.getValue().value());
            }
        }
        mergeInto(model, "", merged);
        return merged;
    }

    private static void mergeInto(Module module, String prefix, Map<String, NDArray> merged) {
        if (module instanceof Linear linear && !linear.lowRanks().isEmpty()) {
            NDArray w = linear.weight.value();
            List<LowRank> updates = linear.lowRanks();
            List<long[][]> rows = linear.lowRankRows();
            NDArray sum = w.getManager().zeros(w.getShape());
            for (int i = 0; i < updates.size(); i++) {
                NDArray dense = updates.get(i).denseUpdate();
                long at = 0;
                for (long[] r : rows.get(i)) {
                    long length = r[1] - r[0];
                    sum.set(new NDIndex("{}:{}, :", r[0], r[1]), dense.get(new NDIndex("{}:{}, :", at, at + length)));
                    at += length;
                }
            }
            merged.put(prefix + "weight", w.add(sum));
        }
        module.childrenView().forEach((n, c) -> mergeInto(c, prefix + n + ".", merged));
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("method", method);
        o.addProperty("encoder", encoder);
        if (method.equals(LORA)) {
            o.addProperty("rank", rank);
            o.addProperty("scale", scale);
        } else {
            JsonArray a = new JsonArray();
            for (int b : adapterBlocks) {
                a.add(b);
            }
            o.add("adapter_blocks", a);
        }
        return o;
    }

    public static Peft fromJson(JsonObject o) {
        String method = o.get("method").getAsString();
        boolean enc = o.has("encoder") && o.get("encoder").getAsBoolean();
        if (method.equals(LORA)) {
            return lora(enc, o.get("rank").getAsInt(), o.has("scale") ? o.get("scale").getAsFloat() : 1f);
        }
        int[] blocks = new int[0];
        if (o.has("adapter_blocks")) {
            JsonArray a = o.getAsJsonArray("adapter_blocks");
            blocks = new int[a.size()];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = a.get(i).getAsInt();
            }
        }
        return adapter(enc, blocks);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Peft p && p.toJson().equals(toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

}
