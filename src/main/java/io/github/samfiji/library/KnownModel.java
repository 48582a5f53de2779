package io.github.samfiji.library;

import io.github.samfiji.model.SamConfig.Preprocessing;
import java.net.URI;

/**
 * A published model checkpoint: where its authors publish it, its file name, and what a download is checked
 * against.
 *
 * @param id        short name used on the command line and in macros
 * @param title     what users read
 * @param fileName  the name it is installed under (the published one)
 * @param url       the authors' download address
 * @param size      its size in bytes, or -1 when no size is published
 * @param checksum  its published checksum, or null when none could be verified (then only size and format are
 *                  checked)
 * @param note      provenance of size and checksum, shown to the user
 * @param preprocessing the input its authors trained it with (MedSAM's differs from SAM's); written into a JSON
 *                  description beside the file when it is installed, so every command uses it
 */
public record KnownModel(String id, String title, String fileName, URI url, long size, Checksum checksum, String note,
                         Preprocessing preprocessing) {

    public KnownModel {
        if (preprocessing == null) {
            throw new IllegalArgumentException("preprocessing profile missing");
        }
    }

    /** A model used with SAM's preprocessing. */
    public KnownModel(String id, String title, String fileName, URI url, long size, Checksum checksum, String note) {
        this(id, title, fileName, url, size, checksum, note, Preprocessing.SAM);
    }

    /**
     * The JSON description installed beside the file ({@code name.json}), or null when the model needs none (the
     * architecture is read from the checkpoint; only a preprocessing other than SAM's must be said).
     */
    public String sidecarJson() {
        return preprocessing == Preprocessing.SAM ? null
                : "{\n  \"note\": \"installed by sam-fiji for the published " + fileName + "\",\n  \"preprocessing\": \""
                        + preprocessing.id() + "\"\n}\n";
    }

    public boolean hasSize() {
        return size >= 0;
    }

    /** The size for people: "375 MB", or "size unknown". */
    public String sizeText() {
        return hasSize() ? Units.bytes(size) : "size unknown";
    }
}
