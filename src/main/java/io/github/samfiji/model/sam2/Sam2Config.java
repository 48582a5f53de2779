package io.github.samfiji.model.sam2;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The hyperparameters of a SAM 2.1 model, in the reference configuration's own terms (the {@code model} section of
 * {@code sam2.1_hiera_*.yaml}). The SAM heads are not configurable in the reference (hard-coded sizes around
 * {@code hiddenDim}), so they are derived here too.
 *
 * @param trunk            the Hiera backbone
 * @param hiddenDim        width of the FPN neck, the SAM heads and memory attention (256 in published models)
 * @param imageSize        side of the square encoder input (1024 in published models)
 * @param memDim           width of the memories (64 in published models)
 * @param memoryLayers     memory attention layers
 * @param memoryFeedforward memory attention MLP width
 * @param numMaskmem       how many memories a frame attends to (the conditioning frame plus 6 previous)
 */
public record Sam2Config(HieraConfig trunk, int hiddenDim, int imageSize, int memDim, int memoryLayers,
                         int memoryFeedforward, int numMaskmem) {

    /** ImageNet statistics used by SAM 2's transforms, on pixel values scaled to [0, 1]. */
    public static final float[] PIXEL_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] PIXEL_STD = {0.229f, 0.224f, 0.225f};

    /** Stride of the coarsest FPN level that the SAM heads see (Hiera's 4 x 2 x 2). */
    public static final int BACKBONE_STRIDE = 16;

    public Sam2Config {
        if (imageSize % BACKBONE_STRIDE != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " is not a multiple of " + BACKBONE_STRIDE);
        }
        if (hiddenDim % 8 != 0 || memDim <= 0 || hiddenDim % memDim != 0) {
            throw new IllegalArgumentException("hidden width " + hiddenDim + " must be a multiple of 8 and of the memory "
                    + "width " + memDim);
        }
    }

    /**
     * Hiera, the hierarchical ViT of SAM 2.
     *
     * @param embedDim          width of the first stage (doubled at each later stage)
     * @param numHeads          heads of the first stage (doubled at each later stage)
     * @param stages            blocks per stage (4 stages)
     * @param globalAttBlocks   indices of blocks with global instead of windowed attention
     * @param windowSpec        window side per stage
     * @param windowPosEmbedBkg size of the background position embedding that is resized to the token grid
     */
    public record HieraConfig(int embedDim, int numHeads, int[] stages, int[] globalAttBlocks, int[] windowSpec,
                              int[] windowPosEmbedBkg) {

        /** Stages that start with a 2x2 query pooling (the reference's q_pool = 3: every stage after the first). */
        public static final int Q_POOL = 3;
        public static final int MLP_RATIO = 4;

        public HieraConfig {
            if (stages.length != 4 || windowSpec.length != 4 || windowPosEmbedBkg.length != 2) {
                throw new IllegalArgumentException("Hiera needs 4 stages, 4 window sizes and a 2-D background size");
            }
            stages = stages.clone();
            globalAttBlocks = globalAttBlocks.clone();
            windowSpec = windowSpec.clone();
            windowPosEmbedBkg = windowPosEmbedBkg.clone();
        }

        public int depth() {
            return Arrays.stream(stages).sum();
        }

        /** Index of the last block of each stage. */
        public int[] stageEnds() {
            int[] ends = new int[stages.length];
            int sum = 0;
            for (int i = 0; i < stages.length; i++) {
                sum += stages[i];
                ends[i] = sum - 1;
            }
            return ends;
        }

        /** Channels of each stage's output, from the coarsest to the finest (the FPN neck's order). */
        public int[] backboneChannels() {
            int[] out = new int[stages.length];
            for (int i = 0; i < stages.length; i++) {
                out[stages.length - 1 - i] = embedDim << i;
            }
            return out;
        }

        /** Per-block layout: input and output width, heads, window (0 = global) and whether queries are pooled. */
        public List<BlockSpec> blocks() {
            int[] ends = stageEnds();
            List<BlockSpec> out = new java.util.ArrayList<>();
            int dim = embedDim;
            int heads = numHeads;
            int stage = 1;
            for (int i = 0; i < depth(); i++) {
                int dimOut = dim;
                // The window of a stage's first block is still the previous stage's: it pools the queries from there.
                int window = windowSpec[stage - 1];
                if (isIn(globalAttBlocks, i)) {
                    window = 0;
                }
                boolean pooled = false;
                if (i > 0 && isIn(ends, i - 1)) {
                    dimOut = dim * 2;
                    heads = heads * 2;
                    stage++;
                    pooled = stage - 1 <= Q_POOL;
                }
                out.add(new BlockSpec(dim, dimOut, heads, window, pooled));
                dim = dimOut;
            }
            return out;
        }

        private static boolean isIn(int[] values, int v) {
            return Arrays.stream(values).anyMatch(x -> x == v);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof HieraConfig h && h.embedDim == embedDim && h.numHeads == numHeads
                    && Arrays.equals(h.stages, stages) && Arrays.equals(h.globalAttBlocks, globalAttBlocks)
                    && Arrays.equals(h.windowSpec, windowSpec) && Arrays.equals(h.windowPosEmbedBkg, windowPosEmbedBkg);
        }

        @Override
        public int hashCode() {
            return embedDim * 31 + Arrays.hashCode(stages);
        }

        @Override
        public String toString() {
            return "Hiera(embed " + embedDim + ", heads " + numHeads + ", stages " + Arrays.toString(stages)
                    + ", global " + Arrays.toString(globalAttBlocks) + ", windows " + Arrays.toString(windowSpec)
                    + ", bkg " + Arrays.toString(windowPosEmbedBkg) + ")";
        }
    }

    /** One Hiera block: widths, heads, window side (0 = global attention), and whether it pools queries 2x2. */
    public record BlockSpec(int dim, int dimOut, int heads, int window, boolean poolsQueries) {
    }

    /** The prompt encoder and mask decoder sizes SAM2Base hard-codes around {@code hiddenDim}. */
    public DecoderConfig decoder() {
        return new DecoderConfig(hiddenDim, 16, 3, 2, 2048, 8, 2, 3, 256);
    }

    /** Side of the image embedding grid (input / 16). */
    public int embeddingSize() {
        return imageSize / BACKBONE_STRIDE;
    }

    /** Side of the low-resolution masks (input / 4). */
    public int lowResSize() {
        return imageSize / 4;
    }

    // ---- the published models (sam2.1_hiera_*.yaml) ----

    private static Sam2Config published(HieraConfig trunk) {
        return new Sam2Config(trunk, 256, 1024, 64, 4, 2048, 7);
    }

    public static Sam2Config hieraTiny() {
        return published(new HieraConfig(96, 1, new int[] {1, 2, 7, 2}, new int[] {5, 7, 9},
                new int[] {8, 4, 14, 7}, new int[] {7, 7}));
    }

    public static Sam2Config hieraSmall() {
        return published(new HieraConfig(96, 1, new int[] {1, 2, 11, 2}, new int[] {7, 10, 13},
                new int[] {8, 4, 14, 7}, new int[] {7, 7}));
    }

    public static Sam2Config hieraBasePlus() {
        return published(new HieraConfig(112, 2, new int[] {2, 3, 16, 3}, new int[] {12, 16, 20},
                new int[] {8, 4, 14, 7}, new int[] {14, 14}));
    }

    public static Sam2Config hieraLarge() {
        return published(new HieraConfig(144, 2, new int[] {2, 6, 36, 4}, new int[] {23, 33, 43},
                new int[] {8, 4, 16, 8}, new int[] {7, 7}));
    }

    /** The published models by their reference names (sam2.1_hiera_t, _s, _b+, _l). */
    public static Map<String, Sam2Config> presets() {
        Map<String, Sam2Config> out = new java.util.LinkedHashMap<>();
        out.put("sam2.1_hiera_t", hieraTiny());
        out.put("sam2.1_hiera_s", hieraSmall());
        out.put("sam2.1_hiera_b+", hieraBasePlus());
        out.put("sam2.1_hiera_l", hieraLarge());
        return out;
    }

    // ---- the reference's configuration text ----

    /**
     * Reads the reference configuration: either a JSON file whose {@code model} member is the yaml's {@code model}
     * section (as the fixtures' config.json), or that section itself. Absent Hiera fields take the reference's
     * defaults, as the yaml files rely on them.
     */
    public static Sam2Config fromJson(String json) {
        JsonObject root = JsonParser.parseString(json).getAsJsonObject();
        JsonObject model = root.has("model") && root.get("model").isJsonObject() ? root.getAsJsonObject("model") : root;
        JsonObject encoder = object(model, "image_encoder");
        JsonObject trunk = object(encoder, "trunk");
        JsonObject neck = object(encoder, "neck");
        int scalp = intOr(encoder, "scalp", 1);
        if (scalp != 1) {
            throw new IllegalArgumentException("only scalp 1 (the coarsest FPN level dropped) is supported, got " + scalp);
        }
        HieraConfig hiera = new HieraConfig(intOr(trunk, "embed_dim", 96), intOr(trunk, "num_heads", 1),
                intsOr(trunk, "stages", new int[] {2, 3, 16, 3}), intsOr(trunk, "global_att_blocks", new int[] {12, 16, 20}),
                intsOr(trunk, "window_spec", new int[] {8, 4, 14, 7}),
                intsOr(trunk, "window_pos_embed_bkg_spatial_size", new int[] {14, 14}));
        int[] channels = intsOr(neck, "backbone_channel_list", hiera.backboneChannels());
        if (!Arrays.equals(channels, hiera.backboneChannels())) {
            throw new IllegalArgumentException("neck backbone_channel_list " + Arrays.toString(channels)
                    + " does not match the trunk's stage widths " + Arrays.toString(hiera.backboneChannels()));
        }
        int hidden = intOr(neck, "d_model", 256);
        JsonObject memAttn = model.has("memory_attention") ? model.getAsJsonObject("memory_attention") : new JsonObject();
        JsonObject layer = memAttn.has("layer") ? memAttn.getAsJsonObject("layer") : new JsonObject();
        JsonObject memEnc = model.has("memory_encoder") ? model.getAsJsonObject("memory_encoder") : new JsonObject();
        return new Sam2Config(hiera, hidden, intOr(model, "image_size", 1024), intOr(memEnc, "out_dim", 64),
                intOr(memAttn, "num_layers", 4), intOr(layer, "dim_feedforward", 2048), intOr(model, "num_maskmem", 7));
    }

    /**
     * This configuration as {@link #fromJson} reads it: the reference yaml's {@code model} section (the fields that
     * differ between models), under {@code "model"}.
     */
    public JsonObject toJson() {
        JsonObject t = new JsonObject();
        t.addProperty("embed_dim", trunk.embedDim());
        t.addProperty("num_heads", trunk.numHeads());
        t.add("stages", array(trunk.stages()));
        t.add("global_att_blocks", array(trunk.globalAttBlocks()));
        t.add("window_spec", array(trunk.windowSpec()));
        t.add("window_pos_embed_bkg_spatial_size", array(trunk.windowPosEmbedBkg()));
        JsonObject neck = new JsonObject();
        neck.addProperty("d_model", hiddenDim);
        neck.add("backbone_channel_list", array(trunk.backboneChannels()));
        JsonObject encoder = new JsonObject();
        encoder.add("trunk", t);
        encoder.add("neck", neck);
        encoder.addProperty("scalp", 1);
        JsonObject layer = new JsonObject();
        layer.addProperty("dim_feedforward", memoryFeedforward);
        JsonObject attention = new JsonObject();
        attention.addProperty("num_layers", memoryLayers);
        attention.add("layer", layer);
        JsonObject memoryEncoder = new JsonObject();
        memoryEncoder.addProperty("out_dim", memDim);
        JsonObject model = new JsonObject();
        model.add("image_encoder", encoder);
        model.add("memory_attention", attention);
        model.add("memory_encoder", memoryEncoder);
        model.addProperty("image_size", imageSize);
        model.addProperty("num_maskmem", numMaskmem);
        JsonObject root = new JsonObject();
        root.addProperty("model_family", "sam2.1");
        root.add("model", model);
        return root;
    }

    private static JsonArray array(int[] values) {
        JsonArray a = new JsonArray();
        for (int v : values) {
            a.add(v);
        }
        return a;
    }

    private static JsonObject object(JsonObject parent, String name) {
        JsonElement e = parent.get(name);
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException("SAM 2 configuration has no \"" + name + "\" section");
        }
        return e.getAsJsonObject();
    }

    private static int intOr(JsonObject o, String name, int fallback) {
        return o.has(name) && !o.get(name).isJsonNull() ? o.get(name).getAsInt() : fallback;
    }

    private static int[] intsOr(JsonObject o, String name, int[] fallback) {
        if (!o.has(name) || o.get(name).isJsonNull()) {
            return fallback;
        }
        JsonArray a = o.getAsJsonArray(name);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }
}
