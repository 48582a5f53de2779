package io.github.samfiji.imagejio;

import ij.ImagePlus;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.image.IntensityMapping;
import io.github.samfiji.image.Rgb8Image;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

/**
 * The z-planes of a stack (or of one channel and time point of a hyperstack) as the model's RGB input. One
 * intensity range serves the whole volume (for 8-bit and RGB data the identity; otherwise the 0.5-99.5
 * percentiles of all planes), so that a tissue's brightness means the same on every slice, as the volume studies
 * normalize each volume. Every command that hands a plane of an ImageJ image to the model goes through this class,
 * so a slice gets the same input whether it is prompted, propagated, segmented automatically or trained on.
 */
public final class StackSlices {

    private final ImagePlus image;
    private final int[] stackIndex;
    private final IntensityMapping mapping;

    private StackSlices(ImagePlus image, int[] stackIndex, IntensityMapping mapping) {
        this.image = image;
        this.stackIndex = stackIndex;
        this.mapping = mapping;
    }

    /**
     * The planes to step through: every plane of a single-channel stack whose planes are all slices or all time
     * points; otherwise the z-planes at the image's current channel and frame.
     */
    public static StackSlices of(ImagePlus image) {
        int[] index;
        if (image.getNChannels() == 1 && (image.getNSlices() == 1 || image.getNFrames() == 1)) {
            index = new int[image.getStackSize()];
            for (int z = 0; z < index.length; z++) {
                index[z] = z + 1;
            }
        } else {
            index = new int[image.getNSlices()];
            for (int z = 0; z < index.length; z++) {
                index[z] = image.getStackIndex(image.getChannel(), z + 1, image.getFrame());
            }
        }
        return new StackSlices(image, index, volumeMapping(image, index));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static IntensityMapping volumeMapping(ImagePlus image, int[] index) {
        int type = image.getType();
        if (type == ImagePlus.GRAY8 || type == ImagePlus.COLOR_RGB || type == ImagePlus.COLOR_256) {
            return IntensityMapping.automatic();
        }
        List<RandomAccessibleInterval<RealType>> planes = new ArrayList<>();
        for (int i : index) {
            planes.add((RandomAccessibleInterval<RealType>) ImageWrapping.wrapPlane(image, i));
        }
        IntensityMapping.Range r = IntensityMapping.automatic().range((RandomAccessibleInterval) Views.stack(planes));
        return r.isEmpty() ? IntensityMapping.automatic() : IntensityMapping.fixed(r.lo(), r.hi());
    }

    public int depth() {
        return stackIndex.length;
    }

    /** 1-based stack index of 0-based plane z. */
    public int stackIndex(int z) {
        return stackIndex[z];
    }

    /** The 0-based plane of a 1-based stack index, or -1 when that index is not one of these planes. */
    public int planeOf(int stackIndex) {
        for (int z = 0; z < this.stackIndex.length; z++) {
            if (this.stackIndex[z] == stackIndex) {
                return z;
            }
        }
        return -1;
    }

    /**
     * The model input of one plane (1-based stack index): with the volume's range when the plane is one of the
     * volume's planes, else (another channel of a hyperstack) with its own.
     */
    public Rgb8Image planeInput(int stackIndex) {
        int z = planeOf(stackIndex);
        return z >= 0 ? slice(z)
                : ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, stackIndex), IntensityMapping.automatic());
    }

    public Rgb8Image slice(int z) {
        return ImageConversion.toRgb8(ImageWrapping.wrapPlane(image, stackIndex[z]), mapping);
    }

    public IntFunction<Rgb8Image> asFunction() {
        return this::slice;
    }
}
