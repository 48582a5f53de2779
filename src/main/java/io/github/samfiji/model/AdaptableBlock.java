package io.github.samfiji.model;

import java.util.List;

/** An image-encoder block that LoRA and adapters attach to, whatever the encoder (ViT or TinyViT). */
interface AdaptableBlock {

    /** Attaches LoRA (B = 0) to the query and value rows of the block's attention; returns the added updates. */
    List<LowRank> addQueryValueLoRA(int rank, float scale);

    /** Adds a residual adapter after the attention and a parallel one beside the MLP (finetune-SAM's layout). */
    void addAdapters();
}
