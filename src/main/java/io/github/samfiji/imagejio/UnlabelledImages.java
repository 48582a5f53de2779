package io.github.samfiji.imagejio;

import ij.ImagePlus;
import io.github.samfiji.image.ResizeLongestSide;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.imagejio.medical.DicomSeries;
import io.github.samfiji.training.pretrain.UnlabelledImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the images of folders for self-supervised pre-training: every image file (and DICOM series sub-folder), each
 * plane of a stack as one image, with the intensity mapping every command uses. Notes, tables, ROI sets and scripts
 * beside the images are passed over; any other file that is not a readable image is an error naming it.
 */
public final class UnlabelledImages {

    /** Files that sit beside images but are not images (notes, tables, ROI sets, scripts). */
    private static final List<String> NOT_IMAGES = List.of(".txt", ".csv", ".json", ".md", ".xml", ".log", ".zip",
            ".roi", ".ijm", ".py", ".sh");

    private UnlabelledImages() {
    }

    private static boolean isImageCandidate(Path p) {
        String name = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (NOT_IMAGES.stream().anyMatch(name::endsWith)) {
            return false;
        }
        // The .img half of an Analyze .hdr/.img pair is read through its .hdr.
        int img = name.indexOf(".img");
        return img < 0 || !Files.exists(p.resolveSibling(p.getFileName().toString().substring(0, img) + ".hdr"));
    }

    /**
     * @param longestSide resize each plane at once so its longest side is this (the encoder input size; saves memory
     *                    with large folders); 0 keeps the original size
     */
    public static List<UnlabelledImage> fromFolders(List<Path> folders, int longestSide) throws IOException {
        if (folders.isEmpty()) {
            throw new IllegalArgumentException("give at least one images folder");
        }
        List<UnlabelledImage> out = new ArrayList<>();
        for (Path folder : folders) {
            if (!Files.isDirectory(folder)) {
                throw new IOException("not a folder: " + folder);
            }
            List<Path> entries;
            try (Stream<Path> s = Files.list(folder)) {
                entries = s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
            }
            int before = out.size();
            for (Path p : entries) {
                if (Files.isDirectory(p) ? !DicomSeries.looksLikeSeries(p) : !isImageCandidate(p)) {
                    continue;
                }
                ImagePlus image = ImageFiles.open(p);
                StackSlices planes = StackSlices.of(image);
                String stem = p.getFileName().toString();
                for (int z = 0; z < planes.depth(); z++) {
                    Rgb8Image plane = planes.slice(z);
                    if (longestSide > 0 && Math.max(plane.width(), plane.height()) != longestSide) {
                        plane = ResizeLongestSide.apply(plane, longestSide);
                    }
                    out.add(new UnlabelledImage(planes.depth() == 1 ? stem : stem + "#" + (z + 1), plane));
                }
            }
            if (out.size() == before) {
                throw new IllegalArgumentException("no images in " + folder);
            }
        }
        return out;
    }
}
