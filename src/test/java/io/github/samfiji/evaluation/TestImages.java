package io.github.samfiji.evaluation;

import net.imglib2.img.array.ArrayImg;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.basictypeaccess.array.DoubleArray;
import net.imglib2.img.basictypeaccess.array.IntArray;
import net.imglib2.type.numeric.integer.IntType;
import net.imglib2.type.numeric.real.DoubleType;

/** Small images for tests, values given row by row (x fastest), slice after slice. */
final class TestImages {

    private TestImages() {
    }

    static ArrayImg<IntType, IntArray> labels(long[] dims, int... values) {
        return ArrayImgs.ints(values.clone(), dims);
    }

    static ArrayImg<IntType, IntArray> labels2d(int width, int height, int... values) {
        return labels(new long[] {width, height}, values);
    }

    static ArrayImg<DoubleType, DoubleArray> scores(long[] dims, double... values) {
        return ArrayImgs.doubles(values.clone(), dims);
    }
}
