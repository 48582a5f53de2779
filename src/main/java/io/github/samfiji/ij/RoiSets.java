package io.github.samfiji.ij;

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
