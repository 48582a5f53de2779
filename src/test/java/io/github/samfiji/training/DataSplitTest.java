package io.github.samfiji.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.image.Rgb8Image;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DataSplitTest {

    /** 20 volumes of 3 slices each; the middle slice of each has foreground. */
    private static List<TrainingSample> volumes() {
        List<TrainingSample> out = new ArrayList<>();
        for (int v = 0; v < 20; v++) {
            for (int z = 0; z < 3; z++) {
                byte[] mask = new byte[4];
                mask[0] = (byte) (z == 1 ? 1 : 0);
                out.add(new TrainingSample("vol" + v + "#" + z, "vol" + v, Rgb8Image.fromGrey(2, 2, new byte[4]), mask));
            }
        }
        return out;
    }

    private static Set<String> groups(List<TrainingSample> s) {
        Set<String> g = new HashSet<>();
        s.forEach(x -> g.add(x.group()));
        return g;
    }

    @Test
    void splitsSevenOneTwoByVolumeNeverBySliceAndIsSeeded() {
        DataSplit split = DataSplit.bySeed(volumes(), 7);
        assertEquals(14, groups(split.train()).size());
        assertEquals(2, groups(split.validation()).size());
        assertEquals(4, groups(split.test()).size());
        assertEquals(42, split.train().size(), "all slices of a volume go together");
        Set<String> all = new HashSet<>(groups(split.train()));
        all.retainAll(groups(split.test()));
        assertTrue(all.isEmpty(), "no volume in two splits");
        assertEquals(groups(split.test()), groups(DataSplit.bySeed(volumes(), 7).test()), "same seed, same split");
        assertTrue(!groups(split.test()).equals(groups(DataSplit.bySeed(volumes(), 8).test())), "other seed, other split");
    }

    @Test
    void budgetsAreNestedAndEmptySlicesAreLeftOut() {
        List<TrainingSample> train = DataSplit.bySeed(volumes(), 1).train();
        Set<String> previous = new HashSet<>();
        for (double budget : new double[] {0.1, 0.25, 0.5, 1.0}) {
            Set<String> kept = groups(DataSplit.budget(train, budget, 3));
            assertEquals((int) Math.floor(budget * 14 + 1e-9), kept.size(), "budget " + budget);
            assertTrue(kept.containsAll(previous), "budget " + budget + " contains the smaller ones");
            previous = kept;
        }
        assertEquals(3, groups(DataSplit.fewShot(train, 3, 3)).size());
        assertEquals(14, DataSplit.withForeground(train).size(), "one slice with foreground per volume");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataSplit.budget(train, 0.05, 3));
        assertTrue(e.getMessage().contains("leaves no training images"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataSplit.byLists(volumes(), List.of("vol1"), List.of("nope")));
    }
}
