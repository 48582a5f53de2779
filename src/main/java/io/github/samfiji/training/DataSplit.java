package io.github.samfiji.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Train / validation / test parts of a data set, split by group (image or volume), never by slice.
 */
public record DataSplit(List<TrainingSample> train, List<TrainingSample> validation, List<TrainingSample> test) {

    /**
     * Seeded 7:1:2 split of the groups (shuffled, then cut at 70% and 80%, rounded, with at least one group in the
     * training and validation parts when there are three or more groups).
     */
    public static DataSplit bySeed(List<TrainingSample> samples, long seed) {
        List<String> groups = new ArrayList<>(groupsOf(samples).keySet());
        Collections.sort(groups);
        Collections.shuffle(groups, new Random(seed));
        int n = groups.size();
        int nTrain = (int) Math.round(n * 0.7);
        int nVal = (int) Math.round(n * 0.1);
        if (n >= 3) {
            nTrain = Math.max(1, nTrain);
            nVal = Math.max(1, nVal);
            if (nTrain + nVal >= n) {
                nTrain = n - nVal - 1;
            }
        }
        return of(samples, Set.copyOf(groups.subList(0, nTrain)), Set.copyOf(groups.subList(nTrain, nTrain + nVal)));
    }

    /** A split given by the user as lists of group names (the test part is everything else). */
    public static DataSplit byLists(List<TrainingSample> samples, List<String> trainGroups, List<String> valGroups) {
        Map<String, List<TrainingSample>> groups = groupsOf(samples);
        for (List<String> names : List.of(trainGroups, valGroups)) {
            for (String g : names) {
                if (!groups.containsKey(g)) {
                    throw new IllegalArgumentException("split list names '" + g + "', which is not among the images");
                }
            }
        }
        for (String g : trainGroups) {
            if (valGroups.contains(g)) {
                throw new IllegalArgumentException("'" + g + "' is in both the training and the validation list");
            }
        }
        return of(samples, Set.copyOf(trainGroups), Set.copyOf(valGroups));
    }

    private static DataSplit of(List<TrainingSample> samples, Set<String> train, Set<String> val) {
        List<TrainingSample> tr = new ArrayList<>();
        List<TrainingSample> va = new ArrayList<>();
        List<TrainingSample> te = new ArrayList<>();
        for (TrainingSample s : samples) {
            (train.contains(s.group()) ? tr : val.contains(s.group()) ? va : te).add(s);
        }
        return new DataSplit(List.copyOf(tr), List.copyOf(va), List.copyOf(te));
    }

    static Map<String, List<TrainingSample>> groupsOf(List<TrainingSample> samples) {
        Map<String, List<TrainingSample>> out = new LinkedHashMap<>();
        for (TrainingSample s : samples) {
            out.computeIfAbsent(s.group(), k -> new ArrayList<>()).add(s);
        }
        return out;
    }

    /**
     * The annotated subset for an annotation budget: the training groups in one seeded order, of which the first
     * floor(fraction · n) are kept (a budget that rounds to no image is an error). The order depends only on the
     * seed, so smaller budgets are subsets of larger ones (nested).
     */
    public static List<TrainingSample> budget(List<TrainingSample> train, double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("annotation budget must be in (0, 1], got " + fraction);
        }
        List<String> groups = seededOrder(train, seed);
        int keep = (int) Math.floor(fraction * groups.size() + 1e-9);
        return keepGroups(train, groups.subList(0, keep), "budget " + fraction);
    }

    /** Few-shot: the first {@code count} training groups in the same seeded order as {@link #budget}. */
    public static List<TrainingSample> fewShot(List<TrainingSample> train, int count, long seed) {
        if (count < 1) {
            throw new IllegalArgumentException("few-shot count must be at least 1, got " + count);
        }
        List<String> groups = seededOrder(train, seed);
        return keepGroups(train, groups.subList(0, Math.min(count, groups.size())), "few-shot " + count);
    }

    private static List<String> seededOrder(List<TrainingSample> train, long seed) {
        List<String> groups = new ArrayList<>(groupsOf(train).keySet());
        Collections.sort(groups);
        Collections.shuffle(groups, new Random(seed ^ 0x5DEECE66DL));
        return groups;
    }

    private static List<TrainingSample> keepGroups(List<TrainingSample> train, List<String> groups, String what) {
        Set<String> keep = Set.copyOf(groups);
        List<TrainingSample> out = new ArrayList<>();
        for (TrainingSample s : train) {
            if (keep.contains(s.group())) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(what + " leaves no training images (the training split has "
                    + groupsOf(train).size() + " image(s)/volume(s))");
        }
        return out;
    }

    /** Training slices without any foreground are left out: they teach the automatic mode nothing about shape. */
    public static List<TrainingSample> withForeground(List<TrainingSample> samples) {
        List<TrainingSample> out = new ArrayList<>();
        for (TrainingSample s : samples) {
            if (s.hasForeground()) {
                out.add(s);
            }
        }
        return out;
    }
}
