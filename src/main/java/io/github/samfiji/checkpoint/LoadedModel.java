package io.github.samfiji.checkpoint;

import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.sam2.Sam2Model;

/**
 * A model of either family that {@link ModelLoader#loadAny} recognises in a checkpoint: SAM 1 (SAM, MobileSAM,
 * MedSAM, sam-fiji fine-tunes) or SAM 2.1. The two have different predictors, so callers switch on the family once and
 * keep using their family's own classes. Closing it frees the model's native memory.
 */
public sealed interface LoadedModel extends AutoCloseable permits LoadedModel.Sam1, LoadedModel.Sam2 {

    /** A short family name for messages and JSON: "sam" or "sam2.1". */
    String family();

    @Override
    void close();

    record Sam1(SamModel model) implements LoadedModel {
        @Override
        public String family() {
            return "sam";
        }

        @Override
        public void close() {
            model.close();
        }
    }

    record Sam2(Sam2Model model) implements LoadedModel {
        @Override
        public String family() {
            return "sam2.1";
        }

        @Override
        public void close() {
            model.close();
        }
    }
}
