package io.github.samfiji.library;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The registry's entries are well-formed and say what they cannot verify. */
class ModelRegistryTest {

    @Test
    void entriesAreWellFormed() {
        Set<String> ids = new HashSet<>();
        Set<String> files = new HashSet<>();
        for (KnownModel m : ModelRegistry.all()) {
            assertTrue(ids.add(m.id()), "unique id " + m.id());
            assertTrue(files.add(m.fileName()), "unique file name " + m.fileName());
            assertTrue(CheckpointFiles.isModelName(m.fileName()), m.fileName());
            assertEquals("https", m.url().getScheme(), m.id());
            if (m.checksum() != null) {
                int hexLength = switch (m.checksum().algorithm()) {
                    case "md5" -> 32;
                    case "sha1" -> 40;
                    default -> 64;
                };
                assertEquals(hexLength, m.checksum().hex().length(), m.id());
                assertTrue(m.hasSize(), m.id() + ": a published checksum comes with a size here");
            } else {
                assertTrue(m.note().startsWith("NOT VERIFIED"), m.id() + " says it is not verified: " + m.note());
            }
        }
        assertEquals(Set.of("sam_vit_b", "sam_vit_l", "sam_vit_h", "mobile_sam", "medsam_vit_b", "medicosam_vit_b",
                "sam2.1_hiera_t", "sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l"), ids);
    }

    @Test
    void findsByIdOrFileNameAndNamesTheKnownOnes() throws Exception {
        assertEquals("sam_vit_h_4b8939.pth", ModelRegistry.require("SAM_VIT_H").fileName());
        assertEquals(ModelRegistry.MOBILE_SAM, ModelRegistry.require("mobile_sam.pt").id());
        // SAM 2.1 by the reference's config name or by its published file name.
        assertEquals("sam2.1_hiera_base_plus.pt", ModelRegistry.require("sam2.1_hiera_b+").fileName());
        assertEquals(ModelRegistry.SAM2_1_HIERA_T, ModelRegistry.require("sam2.1_hiera_tiny.pt").id());
        ModelException e = assertThrows(ModelException.class, () -> ModelRegistry.require("vit_q"));
        assertTrue(e.getMessage().contains("known models: sam_vit_b, sam_vit_l, sam_vit_h, mobile_sam"), e.getMessage());
    }

    @Test
    void checksumsParseAndCheckTheirFormat() {
        assertEquals("sha256:ab", Checksum.parse("SHA256:AB").toString());
        assertThrows(IllegalArgumentException.class, () -> Checksum.parse("xxh128:40169f1e"));
        assertThrows(IllegalArgumentException.class, () -> Checksum.parse("md5:not-hex"));
        assertThrows(IllegalArgumentException.class, () -> Checksum.parse("0123abcd"));
    }
}
