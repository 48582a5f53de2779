package io.github.samfiji.image;

import java.util.Objects;

import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.converter.Converters;
import net.imglib2.type.numeric.ARGBType;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.view.Views;

/**
 * Turns an imglib2 image (or a 2D slice / view of one) into the 8-bit RGB image SAM encodes.
 *
 * <p>Accepted inputs (dimension 0 is x, dimension 1 is y; the interval may start anywhere, its min corner becomes
 * pixel (0, 0)):
 * <ul>
 *   <li>2D {@code ARGBType}: red, green and blue are taken as they are (alpha is ignored).</li>
 *   <li>2D {@code RealType} (grey): mapped to 0..255 and replicated into R = G = B. {@code UnsignedByteType} stays
 *       unchanged under the default mapping.</li>
 *   <li>3D {@code RealType} whose last dimension has size 3 (x, y, channel): channels 0, 1, 2 become R, G, B. A last
 *       dimension of size 1 is treated as grey.</li>
 * </ul>
 * Values are brought to 0..255 by an {@link IntensityMapping}; its class documentation states the rules. The default
 * ({@link IntensityMapping#automatic()}) keeps 8-bit data as is and maps everything else (16-bit, 32-bit, float,
 * signed) with the 0.5..99.5 percentile range of the given image. The source is read through cursors on views; it is
 * not copied (except the sample values a percentile needs, when the type has too many values for a histogram).
 */
public final class ImageConversion {

    private ImageConversion() {
    }

    /** Converts with {@link IntensityMapping#automatic()}. */
    public static Rgb8Image toRgb8(RandomAccessibleInterval<?> image) {
        return toRgb8(image, IntensityMapping.automatic());
    }

    /** Converts with the given mapping (for {@code ARGBType}, the mapping applies to the 8-bit channel values). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Rgb8Image toRgb8(RandomAccessibleInterval<?> image, IntensityMapping mapping) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(mapping, "mapping");
        Object type = image.getType();
        if (type instanceof ARGBType) {
            if (image.numDimensions() != 2) {
                throw new IllegalArgumentException("ARGB images must be 2D (x, y); got " + image.numDimensions() + "D");
            }
            RandomAccessibleInterval<ARGBType> argb = (RandomAccessibleInterval<ARGBType>) image;
            // channel 0 of the ARGB converters is alpha; 1..3 are red, green, blue
            RandomAccessibleInterval<UnsignedByteType> channels = Views.stack(
                    Converters.argbChannel(argb, 1), Converters.argbChannel(argb, 2), Converters.argbChannel(argb, 3));
            return fromReal(channels, mapping);
        }
        if (type instanceof RealType) {
            return fromReal((RandomAccessibleInterval) image, mapping);
        }
        throw new IllegalArgumentException("unsupported pixel type " + type.getClass().getName()
                + "; expected a RealType or ARGBType image");
    }

    private static <T extends RealType<T>> Rgb8Image fromReal(RandomAccessibleInterval<T> image,
            IntensityMapping mapping) {
        int nd = image.numDimensions();
        boolean grey;
        if (nd == 2) {
            grey = true;
        } else if (nd == 3 && (image.dimension(2) == 3 || image.dimension(2) == 1)) {
            grey = image.dimension(2) == 1;
        } else {
            throw new IllegalArgumentException("expected a 2D image (x, y) or a 3D image (x, y, c) with 3 channels; got "
                    + describe(image));
        }
        long w = image.dimension(0);
        long h = image.dimension(1);
        if (w * h * 3 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image too large: " + w + "x" + h);
        }
        int width = (int) w;
        int height = (int) h;
        if (mapping.mode() != IntensityMapping.Mode.FIXED
                && !(image.getType() instanceof net.imglib2.type.numeric.IntegerType) && !anyFinite(image)) {
            // Mapping would give a black picture and a confident mask of nothing; say what is wrong instead. (A
            // fixed range, a volume's, maps an empty slice of a finite volume to black, as its other NaN pixels.)
            throw new IllegalArgumentException("the image has no finite pixel value (every pixel is NaN or infinite): "
                    + "nothing to segment; replace the NaN pixels first (Process > Noise > Remove NaNs in Fiji)");
        }
        IntensityMapping.Range range = mapping.range(image);
        byte[] rgb = new byte[width * height * 3];
        if (grey) {
            RandomAccessibleInterval<T> plane = nd == 3 ? Views.hyperSlice(image, 2, image.min(2)) : image;
            Cursor<T> cursor = Views.flatIterable(plane).cursor();
            for (int j = 0; cursor.hasNext(); j += 3) {
                byte v = (byte) range.map(cursor.next().getRealDouble());
                rgb[j] = v;
                rgb[j + 1] = v;
                rgb[j + 2] = v;
            }
        } else {
            for (int c = 0; c < 3; c++) {
                Cursor<T> cursor = Views.flatIterable(Views.hyperSlice(image, 2, image.min(2) + c)).cursor();
                for (int j = c; cursor.hasNext(); j += 3) {
                    rgb[j] = (byte) range.map(cursor.next().getRealDouble());
                }
            }
        }
        return new Rgb8Image(width, height, rgb);
    }

    private static String describe(RandomAccessibleInterval<?> image) {
        StringBuilder s = new StringBuilder();
        for (int d = 0; d < image.numDimensions(); d++) {
            s.append(d == 0 ? "" : " x ").append(image.dimension(d));
        }
        return s.append(" (").append(image.numDimensions()).append("D)").toString();
    }

    private static <T extends RealType<T>> boolean anyFinite(RandomAccessibleInterval<T> image) {
        for (T t : Views.iterable(image)) {
            if (Double.isFinite(t.getRealDouble())) {
                return true;
            }
        }
        return false;
    }
}
