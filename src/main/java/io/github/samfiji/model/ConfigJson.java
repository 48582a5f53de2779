package io.github.samfiji.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import io.github.samfiji.model.SamConfig.EncoderConfig;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import io.github.samfiji.model.SamConfig.VitConfig;
import java.util.function.Function;

/**
 * Reads and writes model configurations as JSON, in the layout of the reference fixtures' {@code config.json}
 * ({@code image_encoder}, {@code prompt_and_decoder}, {@code pixel_mean}, {@code pixel_std}), plus
 * {@code preprocessing} ({@code "sam"}, the default, or {@code "medsam"}: see {@link SamConfig.Preprocessing}). Unknown fields are
 * ignored. A partial JSON (a sidecar next to a checkpoint) may override only some fields of a base configuration.
 */
public final class ConfigJson {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private ConfigJson() {
    }

    public static SamConfig parse(String json) {
        return parse(json, null);
    }

    /**
     * @param base values for fields the JSON leaves out (e.g. inferred from a checkpoint), or null to require all
     */
    public static SamConfig parse(String json, SamConfig base) {
        JsonObject root;
        try {
            root = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model configuration is not valid JSON: " + e.getMessage(), e);
        }
        JsonObject enc = root.has("image_encoder") ? root.getAsJsonObject("image_encoder") : new JsonObject();
        JsonObject dec = root.has("prompt_and_decoder") ? root.getAsJsonObject("prompt_and_decoder") : new JsonObject();
        EncoderConfig encoder = parseEncoder(enc, base == null ? null : base.encoder());
        DecoderConfig b = base == null ? null : base.decoder();
        Field<DecoderConfig> d = new Field<>(dec, b, "prompt_and_decoder");
        DecoderConfig decoder = new DecoderConfig(
                d.i("prompt_embed_dim", DecoderConfig::promptEmbedDim),
                d.i("mask_in_chans", DecoderConfig::maskInChans),
                d.i("num_multimask_outputs", DecoderConfig::numMultimaskOutputs),
                d.i("transformer_depth", DecoderConfig::transformerDepth),
                d.i("transformer_mlp_dim", DecoderConfig::transformerMlpDim),
                d.i("transformer_num_heads", DecoderConfig::transformerNumHeads),
                d.i("attention_downsample_rate", DecoderConfig::attentionDownsampleRate),
                d.i("iou_head_depth", DecoderConfig::iouHeadDepth),
                d.i("iou_head_hidden_dim", DecoderConfig::iouHeadHiddenDim));
        float[] mean = root.has("pixel_mean") ? floats(root.getAsJsonArray("pixel_mean"))
                : base != null ? base.pixelMean() : SamConfig.SAM_PIXEL_MEAN.clone();
        float[] std = root.has("pixel_std") ? floats(root.getAsJsonArray("pixel_std"))
                : base != null ? base.pixelStd() : SamConfig.SAM_PIXEL_STD.clone();
        SamConfig.Preprocessing preprocessing;
        try {
            preprocessing = root.has("preprocessing") ? SamConfig.Preprocessing.of(root.get("preprocessing").getAsString())
                    : base != null ? base.preprocessing() : SamConfig.Preprocessing.SAM;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model configuration: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model configuration: preprocessing must be \"sam\" or \"medsam\"", e);
        }
        return new SamConfig(encoder, decoder, mean, std, preprocessing);
    }

    private static EncoderConfig parseEncoder(JsonObject enc, EncoderConfig base) {
        String type = enc.has("type") ? enc.get("type").getAsString()
                : base instanceof TinyVitConfig ? "TinyViT" : base instanceof VitConfig ? "ImageEncoderViT" : null;
        if (type == null) {
            throw new IllegalArgumentException("model configuration lacks image_encoder.type (ImageEncoderViT or TinyViT)");
        }
        if (type.equals("TinyViT")) {
            TinyVitConfig b = base instanceof TinyVitConfig t ? t : null;
            Field<TinyVitConfig> f = new Field<>(enc, b, "image_encoder");
            return new TinyVitConfig(f.i("img_size", TinyVitConfig::imgSize), f.i("in_chans", TinyVitConfig::inChans),
                    f.i("num_classes", TinyVitConfig::numClasses), f.ints("embed_dims", TinyVitConfig::embedDims),
                    f.ints("depths", TinyVitConfig::depths), f.ints("num_heads", TinyVitConfig::numHeads),
                    f.ints("window_sizes", TinyVitConfig::windowSizes), f.d("mlp_ratio", TinyVitConfig::mlpRatio),
                    f.d("mbconv_expand_ratio", TinyVitConfig::mbconvExpandRatio),
                    f.i("local_conv_size", TinyVitConfig::localConvSize), f.i("out_chans", TinyVitConfig::outChans));
        }
        if (!type.equals("ImageEncoderViT")) {
            throw new IllegalArgumentException("unknown image_encoder.type '" + type + "' (expected ImageEncoderViT or TinyViT)");
        }
        VitConfig b = base instanceof VitConfig v ? v : null;
        Field<VitConfig> f = new Field<>(enc, b, "image_encoder");
        return new VitConfig(f.i("img_size", VitConfig::imgSize), f.i("patch_size", VitConfig::patchSize),
                f.i("in_chans", VitConfig::inChans), f.i("embed_dim", VitConfig::embedDim), f.i("depth", VitConfig::depth),
                f.i("num_heads", VitConfig::numHeads), f.d("mlp_ratio", VitConfig::mlpRatio),
                f.i("out_chans", VitConfig::outChans), f.b("qkv_bias", VitConfig::qkvBias),
                f.b("use_abs_pos", VitConfig::useAbsPos), f.b("use_rel_pos", VitConfig::useRelPos),
                f.i("window_size", VitConfig::windowSize), f.ints("global_attn_indexes", VitConfig::globalAttnIndexes));
    }

    public static String toJson(SamConfig c) {
        JsonObject root = new JsonObject();
        JsonObject enc = new JsonObject();
        if (c.encoder() instanceof VitConfig v) {
            enc.addProperty("type", "ImageEncoderViT");
            enc.addProperty("img_size", v.imgSize());
            enc.addProperty("patch_size", v.patchSize());
            enc.addProperty("in_chans", v.inChans());
            enc.addProperty("embed_dim", v.embedDim());
            enc.addProperty("depth", v.depth());
            enc.addProperty("num_heads", v.numHeads());
            enc.addProperty("mlp_ratio", v.mlpRatio());
            enc.addProperty("out_chans", v.outChans());
            enc.addProperty("qkv_bias", v.qkvBias());
            enc.addProperty("use_abs_pos", v.useAbsPos());
            enc.addProperty("use_rel_pos", v.useRelPos());
            enc.addProperty("window_size", v.windowSize());
            enc.add("global_attn_indexes", GSON.toJsonTree(v.globalAttnIndexes()));
        } else {
            TinyVitConfig t = (TinyVitConfig) c.encoder();
            enc.addProperty("type", "TinyViT");
            enc.addProperty("img_size", t.imgSize());
            enc.addProperty("in_chans", t.inChans());
            enc.addProperty("num_classes", t.numClasses());
            enc.add("embed_dims", GSON.toJsonTree(t.embedDims()));
            enc.add("depths", GSON.toJsonTree(t.depths()));
            enc.add("num_heads", GSON.toJsonTree(t.numHeads()));
            enc.add("window_sizes", GSON.toJsonTree(t.windowSizes()));
            enc.addProperty("mlp_ratio", t.mlpRatio());
            enc.addProperty("mbconv_expand_ratio", t.mbconvExpandRatio());
            enc.addProperty("local_conv_size", t.localConvSize());
            enc.addProperty("out_chans", t.outChans());
        }
        root.add("image_encoder", enc);
        DecoderConfig d = c.decoder();
        JsonObject dec = new JsonObject();
        dec.addProperty("prompt_embed_dim", d.promptEmbedDim());
        dec.addProperty("mask_in_chans", d.maskInChans());
        dec.addProperty("num_multimask_outputs", d.numMultimaskOutputs());
        dec.addProperty("transformer_depth", d.transformerDepth());
        dec.addProperty("transformer_mlp_dim", d.transformerMlpDim());
        dec.addProperty("transformer_num_heads", d.transformerNumHeads());
        dec.addProperty("attention_downsample_rate", d.attentionDownsampleRate());
        dec.addProperty("iou_head_depth", d.iouHeadDepth());
        dec.addProperty("iou_head_hidden_dim", d.iouHeadHiddenDim());
        root.add("prompt_and_decoder", dec);
        root.add("pixel_mean", GSON.toJsonTree(c.pixelMean()));
        root.add("pixel_std", GSON.toJsonTree(c.pixelStd()));
        root.addProperty("preprocessing", c.preprocessing().id());
        return GSON.toJson(root);
    }

    private static float[] floats(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsFloat();
        }
        return out;
    }

    /** Reads a field from JSON, falling back to the base configuration, or fails naming the missing field. */
    private record Field<T>(JsonObject json, T base, String section) {

        private JsonElement get(String name) {
            JsonElement e = json.get(name);
            if (e == null && base == null) {
                throw new IllegalArgumentException("model configuration lacks " + section + "." + name);
            }
            return e;
        }

        int i(String name, Function<T, Integer> fallback) {
            JsonElement e = get(name);
            return e != null ? e.getAsInt() : fallback.apply(base);
        }

        double d(String name, Function<T, Double> fallback) {
            JsonElement e = get(name);
            return e != null ? e.getAsDouble() : fallback.apply(base);
        }

        boolean b(String name, Function<T, Boolean> fallback) {
            JsonElement e = get(name);
            return e != null ? e.getAsBoolean() : fallback.apply(base);
        }

        int[] ints(String name, Function<T, int[]> fallback) {
            JsonElement e = get(name);
            if (e == null) {
                return fallback.apply(base);
            }
            JsonArray a = e.getAsJsonArray();
            int[] out = new int[a.size()];
            for (int k = 0; k < out.length; k++) {
                out[k] = a.get(k).getAsInt();
            }
            return out;
        }
    }
}
