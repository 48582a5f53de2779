package io.github.samfiji.dist;

import java.util.List;

/**
 * One file of an update site as {@code db.xml.gz} records it.
 *
 * @param filename     its path inside the ImageJ/Fiji folder, e.g. {@code jars/linux64/foo.jar}
 * @param timestamp    its version, yyyyMMddHHmmss; the site stores the file as {@code filename-timestamp}
 * @param checksum     the updater's checksum ({@link UpdaterChecksum})
 * @param filesize     bytes
 * @param platforms    the updater platforms it is for (linux64, win64, macos-arm64, ...); empty: all
 * @param dependencies the files it needs (their filenames)
 * @param description  one line for the updater's window; may be null
 */
public record SiteFile(String filename, long timestamp, String checksum, long filesize, List<String> platforms,
                       List<String> dependencies, String description) {

    /** The name of the file on the update site. */
    public String siteName() {
        return filename + "-" + timestamp;
    }

    public boolean isFor(String platform) {
        return platforms.isEmpty() || platforms.contains(platform);
    }
}
