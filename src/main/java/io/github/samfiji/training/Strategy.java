package io.github.samfiji.training;

import io.github.samfiji.model.Param;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.SamModel;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What learns: the mask decoder alone or image encoder + mask decoder, optionally the prompt encoder too, and how
 * (all their weights, LoRA, or adapters). The prompt encoder stays frozen when a trained model is fine-tuned (as in
 * the published recipes); a model trained from random weights must learn it, or its random point and box embeddings
 * carry too little signal for the decoder to follow prompts.
 *
 * <ul>
 *   <li>vanilla: every weight of the chosen parts;</li>
 *   <li>lora / adapter: the added tensors (in the decoder, and in the encoder for encoder-decoder) plus the
 *       decoder's weights outside its transformer (tokens, upscaling, hypernetwork MLPs, IoU head), which the
 *       automatic mode must re-purpose, as finetune-SAM keeps them trainable; all other base weights frozen.</li>
 * </ul>
 */
public record Strategy(Parts parts, Method method, int rank, float loraScale, int[] adapterBlocks,
                       boolean promptEncoder) {

    public Strategy(Parts parts, Method method, int rank, float loraScale, int[] adapterBlocks) {
        this(parts, method, rank, loraScale, adapterBlocks, false);
    }

    /** This strategy with the prompt encoder's weights trained too (or not). */
    public Strategy withPromptEncoder(boolean train) {
        return new Strategy(parts, method, rank, loraScale, adapterBlocks, train);
    }

    public enum Parts {
        DECODER, ENCODER_DECODER;

        public static Parts parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "decoder" -> DECODER;
                case "encoder-decoder", "encoder_decoder", "encoder+decoder" -> ENCODER_DECODER;
                default -> throw new IllegalArgumentException("unknown --parts '" + s + "' (decoder or encoder-decoder)");
            };
        }

        public String label() {
            return this == DECODER ? "decoder" : "encoder-decoder";
        }
    }

    public enum Method {
        VANILLA, LORA, ADAPTER;

        public static Method parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "vanilla" -> VANILLA;
                case "lora" -> LORA;
                case "adapter" -> ADAPTER;
                default -> throw new IllegalArgumentException("unknown --method '" + s + "' (vanilla, lora or adapter)");
            };
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Strategy {
        if (method == Method.LORA && rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1 (got " + rank + ")");
        }
        adapterBlocks = adapterBlocks == null ? new int[0] : adapterBlocks.clone();
    }

    public static Strategy vanilla(Parts parts) {
        return new Strategy(parts, Method.VANILLA, 0, 0f, null);
    }

    /** The LoRA/adapter description to attach, or null for vanilla. */
    public Peft peft() {
        boolean encoder = parts == Parts.ENCODER_DECODER;
        return switch (method) {
            case VANILLA -> null;
            case LORA -> Peft.lora(encoder, rank, loraScale);
            case ADAPTER -> Peft.adapter(encoder, adapterBlocks);
        };
    }

    /** Attaches LoRA/adapters (if any) to {@code model} and returns its trainable tensors by name. */
    public Map<String, Param> prepare(SamModel model, long seed) {
        Peft peft = peft();
        String present = attachedMethod(model);
        if (present != null) {
            // A model fine-tuned before (its JSON attached the tensors on loading): training continues on them.
            if (peft == null || !peft.method().equals(present)) {
                throw new IllegalArgumentException("this model already carries " + present + " tensors from an earlier "
                        + "fine-tuning; continue it with --method " + present);
            }
        } else if (peft != null) {
            peft.attach(model, seed);
        }
        return trainable(model);
    }

    /** "lora" or "adapter" when the model already has such tensors, else null. */
    static String attachedMethod(SamModel model) {
        for (String name : model.namedParams().keySet()) {
            if (Peft.isAdded(name)) {
                return name.contains(".adapter") ? Peft.ADAPTER : Peft.LORA;
            }
        }
        return null;
    }

    /** The tensors this strategy trains, in state_dict order (buffers never). */
    public Map<String, Param> trainable(SamModel model) {
        Map<String, Param> out = new LinkedHashMap<>();
        model.namedParams().forEach((name, p) -> {
            if (!p.isBuffer() && isTrainable(name)) {
                out.put(name, p);
            }
        });
        return out;
    }

    boolean isTrainable(String name) {
        if (promptEncoder && name.startsWith("prompt_encoder.")) {
            return true;
        }
        boolean decoder = name.startsWith("mask_decoder.");
        boolean encoder = name.startsWith("image_encoder.");
        if (!decoder && !(encoder && parts == Parts.ENCODER_DECODER)) {
            return false;
        }
        if (method == Method.VANILLA) {
            return true;
        }
        return Peft.isAdded(name) || (decoder && !name.startsWith("mask_decoder.transformer."));
    }

    public String label() {
        return parts.label() + (promptEncoder ? "+prompt-encoder" : "") + "/" + method.label()
                + (method == Method.LORA ? "-r" + rank : "");
    }
}
