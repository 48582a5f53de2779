package io.github.samfiji.checkpoint;

import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamConfig.DecoderConfig;
import io.github.samfiji.model.SamConfig.EncoderConfig;
import io.github.samfiji.model.SamConfig.TinyVitConfig;
import io.github.samfiji.model.SamConfig.VitConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Works out a checkpoint's architecture from its tensor shapes. Shapes determine almost everything: widths,
 * depths, head counts (from relative-position tables or attention-bias tables), window sizes, which ViT blocks are
 * global, the ViT input size (from the position embedding). What they cannot tell is reported in
 * {@link Result#assumptions()} and taken from the published models: the decoder's head count (8) and TinyViT's
 * input size (1024). A JSON sidecar overrides both.
 */
public final class ArchitectureInference {

    private static final String ENC = "image_encoder.";
    private static final String DEC = "mask_decoder.";

    public record Result(SamConfig config, List<String> assumptions) {
    }

    private ArchitectureInference() {
    }

    /**
     * True for a SAM 2 / 2.1 state dict: its image encoder is a Hiera trunk with an FPN neck, and its decoder has the
     * object-score token, where SAM 1 has {@code image_encoder.patch_embed} / {@code blocks} and {@code mask_decoder}.
     */
    public static boolean isSam2(Map<String, long[]> shapes) {
        return shapes.keySet().stream().anyMatch(k -> k.startsWith(ENC + "trunk."))
                || shapes.containsKey("sam_mask_decoder.obj_score_token.weight");
    }

    public static Result infer(Map<String, long[]> shapes) throws CheckpointException {
        if (isSam2(shapes)) {
            throw new CheckpointException("the checkpoint is a SAM 2.1 model (Hiera encoder); it is loaded by "
                    + "ModelLoader.loadAny, not as a SAM 1 architecture");
        }
        List<String> assumptions = new ArrayList<>();
        EncoderConfig encoder;
        if (shapes.containsKey(ENC + "patch_embed.proj.weight")) {
            encoder = inferVit(shapes);
        } else if (shapes.containsKey(ENC + "patch_embed.seq.0.c.weight")) {
            encoder = inferTinyVit(shapes);
            assumptions.add("TinyViT input size 1024 (shapes do not determine it)");
        } else {
            throw new CheckpointException("the checkpoint has no SAM image encoder (no tensor "
                    + "'image_encoder.patch_embed.*'): it is not a SAM, MobileSAM or MedSAM model");
        }
        long[] notAPoint = require(shapes, "prompt_encoder.not_a_point_embed.weight");
        int dim = (int) notAPoint[1];
        int maskInChans = (int) require(shapes, "prompt_encoder.mask_downscaling.3.weight")[0];
        int maskTokens = (int) require(shapes, DEC + "mask_tokens.weight")[0];
        int depth = count(shapes, DEC + "transformer.layers.");
        int mlpDim = (int) require(shapes, DEC + "transformer.layers.0.mlp.lin1.weight")[0];
        int internal = (int) require(shapes, DEC + "transformer.layers.0.cross_attn_token_to_image.q_proj.weight")[0];
        if (dim % internal != 0) {
            throw new CheckpointException("the checkpoint's decoder width " + dim + " is not a multiple of its attention "
                    + "width " + internal + "; the file was edited or is not a SAM model.");
        }
        int iouDepth = count(shapes, DEC + "iou_prediction_head.layers.");
        int iouHidden = (int) require(shapes, DEC + "iou_prediction_head.layers.0.weight")[0];
        assumptions.add("mask decoder attention heads 8 (shapes do not determine it)");
        DecoderConfig decoder = new DecoderConfig(dim, maskInChans, maskTokens - 1, depth, mlpDim, 8, dim / internal,
                iouDepth, iouHidden);
        return new Result(new SamConfig(encoder, decoder), assumptions);
    }

    private static VitConfig inferVit(Map<String, long[]> s) throws CheckpointException {
        long[] proj = require(s, ENC + "patch_embed.proj.weight");
        int embed = (int) proj[0];
        int inChans = (int) proj[1];
        int patch = (int) proj[2];
        int depth = count(s, ENC + "blocks.");
        long[] pos = optional(s, ENC + "pos_embed");
        boolean relPos = s.containsKey(ENC + "blocks.0.attn.rel_pos_h");
        if (pos == null) {
            throw new CheckpointException("ViT checkpoint without position embedding: its input size cannot be "
                    + "inferred; give a JSON configuration");
        }
        int grid = (int) pos[1];
        int heads;
        int window = 0;
        List<Integer> global = new ArrayList<>();
        if (relPos) {
            long[] rel = require(s, ENC + "blocks.0.attn.rel_pos_h");
            if (embed % rel[1] != 0) {
                throw new CheckpointException("the checkpoint's embedding width " + embed + " is not a multiple of its "
                        + "attention head width " + rel[1] + "; the file was edited or is not a SAM model.");
            }
            heads = (int) (embed / rel[1]);
            for (int i = 0; i < depth; i++) {
                int size = (int) ((require(s, ENC + "blocks." + i + ".attn.rel_pos_h")[0] + 1) / 2);
                if (size == grid) {
                    global.add(i);
                } else if (window == 0 || window == size) {
                    window = size;
                } else {
                    throw new CheckpointException("ViT blocks use different window sizes (" + window + " and " + size
                            + "), which SAM's architecture does not allow");
                }
            }
        } else {
            throw new CheckpointException("ViT checkpoint without relative position tables: the head count cannot "
                    + "be inferred; give a JSON configuration");
        }
        int mlpHidden = (int) require(s, ENC + "blocks.0.mlp.lin1.weight")[0];
        boolean qkvBias = s.containsKey(ENC + "blocks.0.attn.qkv.bias");
        int outChans = (int) require(s, ENC + "neck.0.weight")[0];
        return new VitConfig(grid * patch, patch, inChans, embed, depth, heads, (double) mlpHidden / embed, outChans,
                qkvBias, true, true, window == 0 ? 14 : window, global.stream().mapToInt(Integer::intValue).toArray());
    }

    private static TinyVitConfig inferTinyVit(Map<String, long[]> s) throws CheckpointException {
        int stages = count(s, ENC + "layers.");
        int[] dims = new int[stages];
        int[] depths = new int[stages];
        int[] heads = new int[stages];
        int[] windows = new int[stages];
        double mlpRatio = 4;
        long[] conv1 = require(s, ENC + "layers.0.blocks.0.conv1.c.weight");
        dims[0] = (int) conv1[1];
        double expand = (double) conv1[0] / conv1[1];
        depths[0] = count(s, ENC + "layers.0.blocks.");
        int localConv = 3;
        for (int i = 1; i < stages; i++) {
            String b = ENC + "layers." + i + ".blocks.";
            depths[i] = count(s, b);
            dims[i] = (int) require(s, b + "0.attn.norm.weight")[0];
            long[] bias = require(s, b + "0.attn.attention_biases");
            heads[i] = (int) bias[0];
            windows[i] = (int) Math.round(Math.sqrt(bias[1]));
            if ((long) windows[i] * windows[i] != bias[1]) {
                throw new CheckpointException("TinyViT attention bias table of " + bias[1] + " entries is not a square window");
            }
            mlpRatio = (double) require(s, b + "0.mlp.fc1.weight")[0] / dims[i];
            localConv = (int) require(s, b + "0.local_conv.c.weight")[2];
        }
        // Stage 0 has no attention; the reference still lists a head count and window for it.
        heads[0] = heads.length > 1 ? Math.max(1, heads[1] / 2) : 1;
        windows[0] = windows.length > 1 ? windows[1] : 7;
        long[] head = optional(s, ENC + "head.weight");
        int outChans = (int) require(s, ENC + "neck.0.weight")[0];
        return new TinyVitConfig(1024, (int) require(s, ENC + "patch_embed.seq.0.c.weight")[1],
                head == null ? 0 : (int) head[0], dims, depths, heads, windows, mlpRatio, expand, localConv, outChans);
    }

    /** No SAM-family tensor has a side longer than this (ViT-H's MLP is 5120 wide). */
    static final long MAX_SIDE = 1 << 16;

    private static long[] require(Map<String, long[]> s, String key) throws CheckpointException {
        long[] shape = optional(s, key);
        if (shape == null) {
            throw new CheckpointException("the checkpoint lacks tensor '" + key + "', which every SAM-family model has");
        }
        return shape;
    }

    /**
     * The shape of {@code key}, or null; a shape with fewer axes than the architecture reads or a side outside
     * 1..65536 is refused here, so that no division by zero, overflow or missing axis reaches the user as such.
     */
    private static long[] optional(Map<String, long[]> s, String key) throws CheckpointException {
        long[] shape = s.get(key);
        if (shape == null) {
            return null;
        }
        int rank = EXPECTED_RANK.getOrDefault(key.replaceAll("\\.\\d+\\.", ".N."), 1);
        boolean sidesOk = java.util.Arrays.stream(shape).allMatch(d -> d >= 1 && d <= MAX_SIDE);
        if (shape.length < rank || !sidesOk) {
            throw new CheckpointException("the checkpoint's tensor '" + CheckpointException.brief(key) + "' has shape "
                    + CheckpointException.brief(java.util.Arrays.toString(shape)) + ", which no SAM-family model has; "
                    + "the file was edited or is not a SAM model.");
        }
        return shape;
    }

    /** How many axes the inference reads from each tensor (block numbers written as N). */
    private static final Map<String, Integer> EXPECTED_RANK = Map.ofEntries(
            Map.entry("prompt_encoder.not_a_point_embed.weight", 2),
            Map.entry("image_encoder.patch_embed.proj.weight", 4),
            Map.entry("image_encoder.pos_embed", 4),
            Map.entry("image_encoder.blocks.N.attn.rel_pos_h", 2),
            Map.entry("image_encoder.layers.N.blocks.N.conv1.c.weight", 2),
            Map.entry("image_encoder.layers.N.blocks.N.attn.attention_biases", 2),
            Map.entry("image_encoder.layers.N.blocks.N.local_conv.c.weight", 3),
            Map.entry("image_encoder.patch_embed.seq.N.c.weight", 2));

    /** The largest block index believed: the largest published models have 32 encoder blocks. */
    static final int MAX_INDEX = 1024;

    /**
     * Number of indices under {@code prefix} ("prefix.0.", "prefix.1.", ...), which must run from 0 without a gap.
     * Indices are checked before any model is built from them: a renamed key must not make a model of 100000 blocks.
     */
    private static int count(Map<String, long[]> s, String prefix) throws CheckpointException {
        Pattern p = Pattern.compile(Pattern.quote(prefix) + "(\\d+)\\.");
        java.util.BitSet seen = new java.util.BitSet();
        for (String k : s.keySet()) {
            Matcher m = p.matcher(k);
            if (m.lookingAt()) {
                String digits = m.group(1);
                int index = digits.length() > 6 ? Integer.MAX_VALUE : Integer.parseInt(digits);
                if (index > MAX_INDEX) {
                    throw new CheckpointException("the checkpoint has a tensor named '" + CheckpointException.brief(k)
                            + "', with a block number no SAM model has; the file was edited or is not a SAM model.");
                }
                seen.set(index);
            }
        }
        int count = seen.nextClearBit(0);
        int stray = seen.nextSetBit(count);
        if (stray >= 0) {
            throw new CheckpointException("the checkpoint's blocks '" + CheckpointException.brief(prefix) + "N' run 0 to "
                    + (count - 1) + " and then " + stray + ": block " + count + " is missing; the file is incomplete "
                    + "or was edited.");
        }
        return count;
    }
}
