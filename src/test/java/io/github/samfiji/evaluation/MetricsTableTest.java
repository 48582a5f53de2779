package io.github.samfiji.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTableTest {

    @Test
    void csvHasTheExactColumnsRowsAndSummaries() throws IOException {
        MetricsTable table = MetricsTable.segmentation();
        table.add("a", LabelMetrics.fromCounts(1, 2, 2, 2, 10, Double.NaN, 1, 0.5));
        table.add("b,1", LabelMetrics.fromCounts(1, 0, 0, 0, 16, Double.NaN, Double.NaN, Double.NaN));
        table.add("a", LabelMetrics.fromCounts(2, 1, 0, 0, 15, 0.75, 0, 0));
        StringWriter out = new StringWriter();
        table.write(out, 200, 1);
        String[] lines = out.toString().split("\n", -1);
        assertEquals("image,label,dice,iou,sensitivity,specificity,precision,f1,auc,hd95,assd", lines[0]);
        assertEquals("a,1,0.5,0.3333333333333333,0.5,0.8333333333333334,0.5,0.5,,1,0.5", lines[1]);
        // Both empty: dice, iou, f1 1 by convention; sensitivity, precision, auc and distances empty.
        assertEquals("\"b,1\",1,1,1,,1,,1,,,", lines[2]);
        assertEquals("a,2,1,1,1,1,1,1,0.75,0,0", lines[3]);
        // Label 1 summary: dice mean of 0.5 and 1; sd of two values; median; then the interval.
        assertEquals("mean,1,0.75,0.6666666666666666,0.5,0.9166666666666667,0.5,0.75,,1,0.5", lines[4]);
        assertTrue(lines[5].startsWith("sd,1,0.3535533905932738,"), lines[5]);
        assertTrue(lines[6].startsWith("median,1,0.75,"), lines[6]);
        assertTrue(lines[7].startsWith("ci95_low,1,"), lines[7]);
        assertTrue(lines[8].startsWith("ci95_high,1,"), lines[8]);
        // Label 2: one image, no sd.
        assertEquals("mean,2,1,1,1,1,1,1,0.75,0,0", lines[9]);
        assertEquals("sd,2,,,,,,,,,", lines[10]);
        assertEquals(15, lines.length); // 1 header + 3 rows + 2 x 5 summaries + final newline
        assertEquals("", lines[14]);
    }

    @Test
    void readsBackWhatItWrites() throws IOException {
        MetricsTable table = MetricsTable.segmentation();
        table.add("x", LabelMetrics.fromCounts(3, 7, 1, 2, 90, 0.8123456789012345, 1.25, 0.1));
        table.add("y \"quoted\"", LabelMetrics.fromCounts(3, 0, 4, 0, 96, Double.NaN, Double.NaN, Double.NaN));
        StringWriter out = new StringWriter();
        table.write(out, 50, 3);
        MetricsTable back = MetricsTable.read(new StringReader(out.toString()), "test.csv");
        assertEquals(table.rows(), back.rows());
        assertEquals(List.of(3), back.labels());
    }

    @Test
    void instanceTableHasNoLabelColumn() throws IOException {
        MetricsTable table = MetricsTable.instances();
        table.add("cells", InstanceMetrics.evaluate(TestImages.labels2d(3, 1, 1, 0, 2),
                TestImages.labels2d(3, 1, 1, 0, 2)));
        StringWriter out = new StringWriter();
        table.write(out, 10, 1);
        String[] lines = out.toString().split("\n");
        assertEquals("image,n_truth,n_pred,tp,fp,fn,precision,recall,f1,sa50,sa75,msa,mean_matched_iou", lines[0]);
        assertEquals("cells,2,2,2,0,0,1,1,1,1,1,1,1", lines[1]);
        assertEquals("mean,2,2,2,0,0,1,1,1,1,1,1,1", lines[2]);
        MetricsTable back = MetricsTable.read(new StringReader(out.toString()), "t.csv");
        assertEquals(table.rows(), back.rows());
    }

    @Test
    void badTablesAndNamesAreRefused() {
        MetricsTable table = MetricsTable.segmentation();
        assertThrows(EvaluationException.class, () -> table.add("mean", LabelMetrics.fromCounts(1, 1, 0, 0, 1,
                Double.NaN, 0, 0)));
        table.add("a", LabelMetrics.fromCounts(1, 1, 0, 0, 1, Double.NaN, 0, 0));
        assertThrows(EvaluationException.class, () -> table.add("a", LabelMetrics.fromCounts(1, 1, 0, 0, 1,
                Double.NaN, 0, 0)));
        assertThrows(EvaluationException.class, () -> MetricsTable.read(new StringReader("name,dice\n"), "x.csv"));
        assertThrows(EvaluationException.class, () -> MetricsTable.read(new StringReader(""), "x.csv"));
        EvaluationException cells = assertThrows(EvaluationException.class, () -> MetricsTable.read(
                new StringReader("image,label,dice\na,1\n"), "x.csv"));
        assertEquals("x.csv line 2 has 2 cells but the header has 3", cells.getMessage());
        EvaluationException number = assertThrows(EvaluationException.class, () -> MetricsTable.read(
                new StringReader("image,label,dice\na,1,high\n"), "x.csv"));
        assertEquals("x.csv line 2 column dice: 'high' is not a number", number.getMessage());
    }
}
