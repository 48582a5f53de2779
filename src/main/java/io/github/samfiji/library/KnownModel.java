package io.github.samfiji.library;

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
 */
public record KnownModel(String id, String title, String fileName, URI url, long size, Checksum checksum, String note) {

    public boolean hasSize() {
        return size >= 0;
    }

    /** The size for people: "375 MB", or "size unknown". */
    public String sizeText() {
        return hasSize() ? Units.bytes(size) : "size unknown";
    }
}
