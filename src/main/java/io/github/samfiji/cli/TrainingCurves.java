package io.github.samfiji.cli;

import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.training.FineTuner;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** A PNG of the training curves (training loss and validation Dice per epoch), for headless runs. */
final class TrainingCurves {

    private static final int WIDTH = 720;
    private static final int HEIGHT = 420;
    private static final int MARGIN = 60;

    private TrainingCurves() {
    }

    static void write(List<FineTuner.EpochRecord> history, Path file, boolean overwrite) throws IOException {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int x0 = MARGIN;
        int y0 = HEIGHT - MARGIN;
        int x1 = WIDTH - MARGIN;
        int y1 = MARGIN / 2;
        g.drawRect(x0, y1, x1 - x0, y0 - y1);
        int n = history.size();
        double maxLoss = 1e-9;
        for (FineTuner.EpochRecord r : history) {
            maxLoss = Math.max(maxLoss, r.trainLoss());
        }
        g.drawString("epoch (1.." + n + ")", (x0 + x1) / 2 - 30, HEIGHT - MARGIN / 3);
        g.setColor(new Color(200, 60, 40));
        g.drawString(String.format("training loss (0..%.3g, left)", maxLoss), x0, y1 - 6 + MARGIN / 2 - 12);
        g.setColor(new Color(30, 90, 200));
        g.drawString("validation Dice (0..1, right)", x1 - 180, y1 - 6 + MARGIN / 2 - 12);
        g.setStroke(new BasicStroke(2f));
        int[] px = new int[n];
        int[] pyLoss = new int[n];
        for (int i = 0; i < n; i++) {
            px[i] = n == 1 ? (x0 + x1) / 2 : x0 + (int) Math.round((x1 - x0) * i / (double) (n - 1));
            pyLoss[i] = y0 - (int) Math.round((y0 - y1) * history.get(i).trainLoss() / maxLoss);
        }
        g.setColor(new Color(200, 60, 40));
        g.drawPolyline(px, pyLoss, n);
        g.setColor(new Color(30, 90, 200));
        int prevX = -1;
        int prevY = -1;
        for (int i = 0; i < n; i++) {
            double d = history.get(i).validationScore();
            if (Double.isNaN(d)) {
                continue;
            }
            int y = y0 - (int) Math.round((y0 - y1) * Math.max(0, Math.min(1, d)));
            g.fillOval(px[i] - 3, y - 3, 6, 6);
            if (prevX >= 0) {
                g.drawLine(prevX, prevY, px[i], y);
            }
            prevX = px[i];
            prevY = y;
        }
        g.dispose();
        OutputFiles.write(file, overwrite, temp -> {
            if (!ImageIO.write(image, "png", temp.toFile())) {
                throw new IOException("no PNG writer available");
            }
        });
    }
}
