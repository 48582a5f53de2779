package io.github.samfiji.ij;

import io.github.samfiji.model.SamConfig;

/**
 * The "Preprocessing" choice of the model options: as the model's configuration says (MedSAM's for an installed
 * medsam_vit_b, SAM's otherwise), or forced to SAM's or MedSAM's (for a MedSAM-style checkpoint without its JSON).
 */
final class PreprocessingChoice {

    static final String AS_MODEL = "As the model says";
    static final String SAM = "sam";
    static final String MEDSAM = "medsam";
    static final String DESCRIPTION = "how images are fed to the model: SAM's (longest side, mean/std, padding) or "
            + "MedSAM's (squashed to a square, min-max scaled); 'As the model says' uses its configuration";

    private PreprocessingChoice() {
    }

    /** The profile chosen, or null for the model's own. */
    static SamConfig.Preprocessing of(String choice) {
        if (choice == null || choice.isBlank() || choice.equals(AS_MODEL)) {
            return null;
        }
        return SamConfig.Preprocessing.of(choice);
    }
}
