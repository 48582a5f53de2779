package io.github.samfiji.imagejio;

import ij.gui.Roi;
import ij.io.RoiEncoder;
import io.github.samfiji.io.OutputFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes ROI sets in the ROI Manager's format (a zip of .roi files), atomically. */
public final class RoiSets {

    private RoiSets() {
    }

    /**
     * Reads a RoiSet (.zip of .roi entries) or a single .roi file, without the ROI Manager (so it works headless);
     * the ROIs in file order.
     */
    public static List<Roi> read(Path file) throws IOException {
        String name = file.getFileName().toString();
        List<Roi> rois = new java.util.ArrayList<>();
        if (name.toLowerCase(java.util.Locale.ROOT).endsWith(".roi")) {
            rois.add(decode(Files.readAllBytes(file), name, name));
            return rois;
        }
        try (java.io.InputStream in = Files.newInputStream(file);
             java.util.zip.ZipInputStream zip = new java.util.zip.ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                if (!entry.isDirectory() && entry.getName().toLowerCase(java.util.Locale.ROOT).endsWith(".roi")) {
                    rois.add(decode(zip.readAllBytes(), entry.getName(), name));
                }
            }
        }
        return rois;
    }

    private static Roi decode(byte[] bytes, String entry, String file) throws IOException {
        Roi roi = new ij.io.RoiDecoder(bytes, entry).getRoi();
        if (roi == null) {
            throw new IOException(entry + " in " + file + " is not a readable ImageJ ROI");
        }
        return roi;
    }

    /** Writes {@code rois} to {@code file}; entry names come from the ROI names, made unique. */
    public static void write(Path file, List<Roi> rois, boolean overwrite) throws IOException {
        OutputFiles.write(file, overwrite, temp -> {
            try (OutputStream out = Files.newOutputStream(temp); ZipOutputStream zip = new ZipOutputStream(out)) {
                Set<String> used = new HashSet<>();
                for (int i = 0; i < rois.size(); i++) {
                    Roi roi = rois.get(i);
                    String base = roi.getName() == null ? "roi-" + (i + 1) : roi.getName().replaceAll("[/\\\\:]", "_");
                    String name = base;
                    for (int k = 2; !used.add(name); k++) {
                        name = base + "-" + k;
                    }
                    zip.putNextEntry(new ZipEntry(name + ".roi"));
                    zip.write(RoiEncoder.saveAsByteArray(roi));
                    zip.closeEntry();
                }
            }
        });
    }
}
