package io.github.samfiji.training;

import io.github.samfiji.image.PillowResize;
import io.github.samfiji.image.Rgb8Image;
import java.util.List;
import java.util.Random;

/**
 * Four training pictures tiled 2 x 2 into one, for interactive training. Medical training sets mostly hold one
 * salient object per image, near the middle: a decoder can then score well by returning "the object" whatever the
 * prompt says. On a mosaic there are up to four objects at four places and a prompt names one of them, so only a model
 * that reads its prompt lowers the loss.
 */
final class Mosaic {

    /** Share of interactive training samples replaced by a mosaic. */
    static final double PROBABILITY = 0.5;

    private Mosaic() {
    }

    /**
     * {@code first} and three other samples drawn from {@code all} with {@code random}, each scaled so its longest
     * side is half the input size and placed at the top left of its quadrant (the rest of a quadrant black, as the
     * padding of a non-square picture), on a square canvas of the input size.
     */
    static SampleTensors.Resized of(SampleTensors.Resized first, List<SampleTensors.Resized> all, int inputSize,
                                    Random random) {
        int half = inputSize / 2;
        byte[] rgb = new byte[inputSize * inputSize * 3];
        byte[] mask = new byte[inputSize * inputSize];
        for (int q = 0; q < 4; q++) {
            SampleTensors.Resized tile = q == 0 ? first : all.get(random.nextInt(all.size()));
            Rgb8Image image = tile.image();
            int w = image.width();
            int h = image.height();
            double scale = half / (double) Math.max(w, h);
            int tw = Math.max(1, Math.min(half, (int) Math.round(w * scale)));
            int th = Math.max(1, Math.min(half, (int) Math.round(h * scale)));
            byte[] small = PillowResize.resize(image, tw, th).toBytes();
            byte[] grey = new byte[w * h];
            for (int i = 0; i < grey.length; i++) {
                grey[i] = tile.mask()[i] != 0 ? (byte) 255 : 0;
            }
            byte[] smallMask = PillowResize.resizeGrey(grey, w, h, tw, th);
            int ox = (q % 2) * half;
            int oy = (q / 2) * half;
            for (int y = 0; y < th; y++) {
                System.arraycopy(small, y * tw * 3, rgb, ((oy + y) * inputSize + ox) * 3, tw * 3);
                for (int x = 0; x < tw; x++) {
                    mask[(oy + y) * inputSize + ox + x] = (byte) ((smallMask[y * tw + x] & 0xff) >= 128 ? 1 : 0);
                }
            }
        }
        return new SampleTensors.Resized(new Rgb8Image(inputSize, inputSize, rgb), mask);
    }
}
