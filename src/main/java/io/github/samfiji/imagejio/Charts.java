package io.github.samfiji.imagejio;

import ij.ImagePlus;
import ij.gui.Plot;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.training.FineTuner;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The charts of training and studies as ImageJ plots: Fiji shows them in a window (a live one while training runs),
 * the command line writes them as PNG. One drawing for both.
 */
public final class Charts {

    private static final Color[] PALETTE = {new Color(30, 90, 200), new Color(200, 60, 40), new Color(40, 150, 70),
        new Color(150, 60, 170), new Color(220, 140, 20), new Color(90, 90, 90)};

    private Charts() {
    }

    /** Training loss and the validation score per epoch ({@code validationLabel}: "Dice" or "score"). */
    public static Plot trainingCurves(List<FineTuner.EpochRecord> history, String validationLabel) {
        double[] epoch = new double[history.size()];
        double[] loss = new double[history.size()];
        double[] validation = new double[history.size()];
        for (int i = 0; i < epoch.length; i++) {
            epoch[i] = history.get(i).epoch();
            loss[i] = history.get(i).trainLoss();
            validation[i] = history.get(i).validationScore();
        }
        Plot plot = new Plot("Fine-tune SAM: training curves", "epoch", "value");
        plot.setColor(PALETTE[1]);
        plot.setLineWidth(2);
        plot.addPoints(epoch, loss, Plot.LINE);
        plot.setColor(PALETTE[0]);
        plot.addPoints(epoch, validation, Plot.CONNECTED_CIRCLES);
        plot.setLegend("training loss\tvalidation " + validationLabel, Plot.AUTO_POSITION);
        plot.setLimitsToFit(false);
        return plot;
    }

    /** One strategy's points of a study: budgets with mean test Dice and its 95% interval. */
    public record Series(String name, double[] budget, double[] mean, double[] ciLow, double[] ciHigh) {
    }

    /** Test Dice against annotation budget, one line per strategy, with the baselines as dashed levels. */
    public static Plot diceVersusBudget(List<Series> series, double otsu, double allForeground) {
        Plot plot = new Plot("Study: test Dice against annotation budget",
                "annotation budget (fraction of the training split)", "test Dice, mean and 95% CI");
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double b : s.budget()) {
                low = Math.min(low, b);
                high = Math.max(high, b);
            }
        }
        double pad = high > low ? 0.05 * (high - low) : 0.05;
        plot.setLimits(low - pad, high + pad, 0, 1);
        StringBuilder legend = new StringBuilder();
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            plot.setColor(PALETTE[k % PALETTE.length]);
            plot.setLineWidth(2);
            plot.addPoints(s.budget(), s.mean(), Plot.CONNECTED_CIRCLES);
            for (int i = 0; i < s.budget().length; i++) {
                plot.drawLine(s.budget()[i], s.ciLow()[i], s.budget()[i], s.ciHigh()[i]);
            }
            legend.append(k == 0 ? "" : "\t").append(s.name());
        }
        plot.setLineWidth(1);
        plot.setColor(Color.GRAY);
        if (!Double.isNaN(otsu)) {
            plot.drawDottedLine(low - pad, otsu, high + pad, otsu, 4);
            plot.addText(String.format(java.util.Locale.ROOT, "Otsu %.2f", otsu), low, otsu);
        }
        if (!Double.isNaN(allForeground)) {
            plot.drawDottedLine(low - pad, allForeground, high + pad, allForeground, 4);
            plot.addText(String.format(java.util.Locale.ROOT, "all foreground %.2f", allForeground), low,
                    allForeground);
        }
        if (!series.isEmpty()) {
            plot.setLegend(legend.toString(), Plot.AUTO_POSITION);
        }
        return plot;
    }

    /** The plot as a PNG, written atomically; works without a display. */
    public static void savePng(Plot plot, Path file, boolean overwrite) throws IOException {
        ImagePlus image = plot.getImagePlus();
        java.awt.image.BufferedImage pixels = image.getBufferedImage();
        OutputFiles.write(file, overwrite, temp -> {
            if (!ImageIO.write(pixels, "png", temp.toFile())) {
                throw new IOException("no PNG writer available");
            }
        });
    }
}
