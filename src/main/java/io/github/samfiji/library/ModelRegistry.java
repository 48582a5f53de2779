package io.github.samfiji.library;

import io.github.samfiji.model.SamConfig.Preprocessing;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SAM-family checkpoints this plugin knows how to download, with their authors' addresses, sizes and checksums.
 *
 * <p>Where the values come from (checked 2026-11-30 against several independent public registries and download
 * scripts that list the same file): SAM's SHA-256 sums and sizes agree across many projects, and the MD5 sums in
 * wide use agree with them for the same files; MobileSAM's MD5 and size likewise. MedSAM's SHA-256 and size are
 * given identically by several projects for the Zenodo file. MedicoSAM's authors publish only an xxh128 hash (which
 * changed between their releases) and no size: this registry does not verify it, it says so, and a download is
 * accepted when it is a PyTorch checkpoint (a zip file). Meta publishes no sizes or checksums for SAM 2.1 (its download
 * script fetches the files unchecked): those entries are not verified either. MedSAM2 is not listed: its released
 * files were not reachable here to check which configuration (input size) each needs.
 */
public final class ModelRegistry {

    // Constants, so that SciJava @Parameter choices can list them.
    public static final String SAM_VIT_B = "sam_vit_b";
    public static final String SAM_VIT_L = "sam_vit_l";
    public static final String SAM_VIT_H = "sam_vit_h";
    public static final String MOBILE_SAM = "mobile_sam";
    public static final String MEDSAM_VIT_B = "medsam_vit_b";
    public static final String MEDICOSAM_VIT_B = "medicosam_vit_b";
    public static final String SAM2_1_HIERA_T = "sam2.1_hiera_t";
    public static final String SAM2_1_HIERA_S = "sam2.1_hiera_s";
    public static final String SAM2_1_HIERA_B_PLUS = "sam2.1_hiera_b+";
    public static final String SAM2_1_HIERA_L = "sam2.1_hiera_l";

    /** Meta's SAM 2.1 download folder (the address of its download_ckpts.sh). */
    private static final String SAM2_1_BASE = "https://dl.fbaipublicfiles.com/segment_anything_2/092824/";
    private static final String SAM2_1_NOTE = "NOT VERIFIED: Meta publishes no size or checksum for its SAM 2.1 "
            + "files; the download is only checked to be a PyTorch checkpoint, and loading checks every tensor's name "
            + "and shape against the model";

    private static final List<KnownModel> MODELS = List.of(
            new KnownModel(SAM_VIT_B, "SAM ViT-B (Meta AI)", "sam_vit_b_01ec64.pth",
                    URI.create("https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth"), 375_042_383L,
                    Checksum.parse("sha256:ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912"),
                    "size and SHA-256 as listed by several independent registries"),
            new KnownModel(SAM_VIT_L, "SAM ViT-L (Meta AI)", "sam_vit_l_0b3195.pth",
                    URI.create("https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth"), 1_249_524_607L,
                    Checksum.parse("sha256:3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622"),
                    "size and SHA-256 as listed by several independent registries"),
            new KnownModel(SAM_VIT_H, "SAM ViT-H (Meta AI)", "sam_vit_h_4b8939.pth",
                    URI.create("https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth"), 2_564_550_879L,
                    Checksum.parse("sha256:a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e"),
                    "size and SHA-256 as listed by several independent registries"),
            new KnownModel(MOBILE_SAM, "MobileSAM ViT-T (TinyViT encoder)", "mobile_sam.pt",
                    URI.create("https://github.com/ChaoningZhang/MobileSAM/raw/master/weights/mobile_sam.pt"), 40_728_226L,
                    Checksum.parse("md5:f3c0d8cda613564d499310dab6c812cd"),
                    "MD5 as listed by several independent registries and mirrors of this file"),
            new KnownModel(MEDSAM_VIT_B, "MedSAM ViT-B (medical images)", "medsam_vit_b.pth",
                    URI.create("https://zenodo.org/records/10689643/files/medsam_vit_b.pth?download=1"), 375_049_145L,
                    Checksum.parse("sha256:34b34b78c1d18cb8c6bf84cf9c00e135d6d6c965699f3c0e31ef1bc9dcb5be74"),
                    "size and SHA-256 as listed by several independent projects for the Zenodo record",
                    Preprocessing.MEDSAM),
            new KnownModel(MEDICOSAM_VIT_B, "MedicoSAM ViT-B (medical images)", "vit_b_medicosam.pt",
                    URI.create("https://owncloud.gwdg.de/index.php/s/AB69HGhj8wuozXQ/download"), -1, null,
                    "NOT VERIFIED: the authors publish no size and only an xxh128 hash, which changed between their "
                            + "releases; the download is only checked to be a PyTorch checkpoint"),
            new KnownModel(SAM2_1_HIERA_T, "SAM 2.1 Hiera-T (Meta AI; images and stacks as videos)",
                    "sam2.1_hiera_tiny.pt", URI.create(SAM2_1_BASE + "sam2.1_hiera_tiny.pt"), -1, null, SAM2_1_NOTE),
            new KnownModel(SAM2_1_HIERA_S, "SAM 2.1 Hiera-S (Meta AI; images and stacks as videos)",
                    "sam2.1_hiera_small.pt", URI.create(SAM2_1_BASE + "sam2.1_hiera_small.pt"), -1, null, SAM2_1_NOTE),
            new KnownModel(SAM2_1_HIERA_B_PLUS, "SAM 2.1 Hiera-B+ (Meta AI; images and stacks as videos)",
                    "sam2.1_hiera_base_plus.pt", URI.create(SAM2_1_BASE + "sam2.1_hiera_base_plus.pt"), -1, null,
                    SAM2_1_NOTE),
            new KnownModel(SAM2_1_HIERA_L, "SAM 2.1 Hiera-L (Meta AI; images and stacks as videos)",
                    "sam2.1_hiera_large.pt", URI.create(SAM2_1_BASE + "sam2.1_hiera_large.pt"), -1, null, SAM2_1_NOTE));

    private ModelRegistry() {
    }

    public static List<KnownModel> all() {
        return MODELS;
    }

    public static List<String> ids() {
        List<String> ids = new ArrayList<>();
        for (KnownModel m : MODELS) {
            ids.add(m.id());
        }
        return ids;
    }

    public static Optional<KnownModel> find(String id) {
        for (KnownModel m : MODELS) {
            if (m.id().equalsIgnoreCase(id) || m.fileName().equalsIgnoreCase(id)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** The known model of this id or file name; a clear error listing the known ones otherwise. */
    public static KnownModel require(String id) throws ModelException {
        return find(id).orElseThrow(() -> new ModelException("unknown model '" + id + "'; known models: "
                + String.join(", ", ids()) + " (or add a local file instead)"));
    }

    /** The known model published under this file name, if any. */
    public static Optional<KnownModel> byFileName(String fileName) {
        for (KnownModel m : MODELS) {
            if (m.fileName().equals(fileName)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
