package io.github.samfiji.image;

import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.ARGBType;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.view.Views;

/**
 * Makes SAM's 8-bit RGB input from an imglib2 image of any real or ARGB type: a 2D grey plane (replicated to R, G,
 * B), a 2D ARGB plane, or an X x Y x 3 colour image. Values are mapped to 0..255 as {@link IntensityMapping} says.
 * The source is read through a cursor on its interval (non-zero origins are fine) and never modified.
 */
public final class ImageConversion {

    private ImageConversion() {
    }

    public static Rgb8Image toRgb8(RandomAccessibleInterval<?> image) {
        return toRgb8(image, IntensityMapping.AUTO);
    }

    @SuppressWarnings("unchecked")
    public static Rgb8Image toRgb8(RandomAccessibleInterval<?> image, IntensityMapping mapping) {
        int n = image.numDimensions();
        boolean colourStack = n == 3 && image.dimension(2) == 3;
        if (n != 2 && !colourStack) {
            throw new IllegalArgumentException("expected a 2D plane or an X x Y x 3 colour image, got "
                    + n + " dimensions " + java.util.Arrays.toString(image.dimensionsAsLongArray()));
        }
        long w = image.dimension(0);
        long h = image.dimension(1);
        if (w * h > Integer.MAX_VALUE / 3) {
            throw new IllegalArgumentException("plane of " + w + " x " + h + " pixels is too large");
        }
        int width = (int) w;
        int height = (int) h;
        Object type = image.getType();
        if (type instanceof ARGBType) {
            if (n != 2) {
                throw new IllegalArgumentException("an ARGB image must be a 2D plane");
            }
            return fromArgb((RandomAccessibleInterval<ARGBType>) image, width, height);
        }
        if (!(type instanceof RealType)) {
            throw new IllegalArgumentException("unsupported pixel type " + type.getClass().getSimpleName());
        }
        RandomAccessibleInterval<? extends RealType<?>> real = (RandomAccessibleInterval<? extends RealType<?>>) image;
        int channels = colourStack ? 3 : 1;
        float[] values = new float[width * height * channels];
        Cursor<? extends RealType<?>> c = Views.flatIterable(real).cursor();
        for (int i = 0; c.hasNext(); i++) {
            values[i] = c.next().getRealFloat();
        }
        RealType<?> t = (RealType<?>) type;
        boolean eightBit = t instanceof UnsignedByteType;
        double[] range = mapping.mode() == IntensityMapping.Mode.AUTO && eightBit ? new double[] {0, 255}
                : mapping.range(values, t.getMinValue(), t.getMaxValue());
        byte[] rgb = new byte[width * height * 3];
        int plane = width * height;
        for (int p = 0; p < plane; p++) {
            for (int ch = 0; ch < 3; ch++) {
                // Flat iteration runs x fastest, then y, then the channel axis.
                float v = values[channels == 1 ? p : ch * plane + p];
                rgb[p * 3 + ch] = (byte) (eightBit && range[0] == 0 && range[1] == 255 ? (int) v
                        : IntensityMapping.map(v, range[0], range[1]));
            }
        }
        return new Rgb8Image(width, height, rgb);
    }

    private static Rgb8Image fromArgb(RandomAccessibleInterval<ARGBType> image, int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        Cursor<ARGBType> c = Views.flatIterable(image).cursor();
        for (int i = 0; c.hasNext(); i++) {
            int v = c.next().get();
            rgb[i * 3] = (byte) ARGBType.red(v);
            rgb[i * 3 + 1] = (byte) ARGBType.green(v);
            rgb[i * 3 + 2] = (byte) ARGBType.blue(v);
        }
        return new Rgb8Image(width, height, rgb);
    }
}
