package io.github.samfiji.evaluation;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pairs files of two folders by name stem: {@code case01.tif} matches {@code case01.png}. The stem is the name
 * without its image extension ({@code .tif}, {@code .tiff}, {@code .ome.tif}, {@code .png}, ..., and {@code .zip}
 * for ROI sets); matching is case-sensitive, as file names are. Names without a partner are returned, never
 * dropped quietly.
 */
public final class NameMatching {

    private static final String[] EXTENSIONS = {".ome.tiff", ".ome.tif", ".nii.gz", ".nii", ".hdr", ".tiff", ".tif",
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".pgm", ".dcm", ".fits", ".zip", ".roi"};

    private NameMatching() {
    }

    /**
     * One matched pair.
     *
     * @param stem the shared name stem
     * @param first the file name in the first folder
     * @param second the file name in the second folder
     */
    public record Pair(String stem, String first, String second) {
    }

    /**
     * The outcome of matching.
     *
     * @param pairs matched names, by stem
     * @param unmatchedFirst names of the first folder without a partner
     * @param unmatchedSecond names of the second folder without a partner
     */
    public record Matching(List<Pair> pairs, List<String> unmatchedFirst, List<String> unmatchedSecond) {

        public boolean complete() {
            return unmatchedFirst.isEmpty() && unmatchedSecond.isEmpty();
        }
    }

    /** The name without its image extension. */
    public static String stem(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (String extension : EXTENSIONS) {
            if (lower.endsWith(extension) && lower.length() > extension.length()) {
                return fileName.substring(0, fileName.length() - extension.length());
            }
        }
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }

    /**
     * Matches two lists of file names by stem.
     *
     * @param firstRole what the first names are, for messages (e.g. "prediction")
     * @param secondRole what the second names are
     * @throws EvaluationException when two names of one list share a stem
     */
    public static Matching match(String firstRole, Collection<String> first, String secondRole,
            Collection<String> second) {
        Map<String, String> a = byStem(firstRole, first);
        Map<String, String> b = byStem(secondRole, second);
        List<Pair> pairs = new ArrayList<>();
        List<String> onlyFirst = new ArrayList<>();
        List<String> onlySecond = new ArrayList<>();
        for (Map.Entry<String, String> e : a.entrySet()) {
            String partner = b.get(e.getKey());
            if (partner == null) {
                onlyFirst.add(e.getValue());
            } else {
                pairs.add(new Pair(e.getKey(), e.getValue(), partner));
            }
        }
        for (Map.Entry<String, String> e : b.entrySet()) {
            if (!a.containsKey(e.getKey())) {
                onlySecond.add(e.getValue());
            }
        }
        return new Matching(pairs, onlyFirst, onlySecond);
    }

    private static Map<String, String> byStem(String role, Collection<String> names) {
        Map<String, String> map = new TreeMap<>();
        for (String name : names) {
            String previous = map.put(stem(name), name);
            if (previous != null) {
                throw new EvaluationException(role + " files '" + previous + "' and '" + name
                        + "' have the same name stem, so it is unclear which to match; keep one of them");
            }
        }
        return map;
    }
}
