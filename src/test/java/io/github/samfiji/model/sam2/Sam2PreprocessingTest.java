package io.github.samfiji.model.sam2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.testing.Fixtures;
import io.github.samfiji.testing.NeedsSharedData;
import io.github.samfiji.testing.Npy;
import org.junit.jupiter.api.Test;

/** SAM 2's preprocessing reproduces the reference's float32 input bit for bit. */
class Sam2PreprocessingTest {

    static Rgb8Image fixtureImage() {
        return Sam2Fixture.image();
    }

    @Test
    @NeedsSharedData
    void squashedAntialiasedNormalizedInputIsBitExact() {
        Npy expected = Fixtures.npy("sam2_tiny", "input_preprocessed");
        float[] mine = Sam2Preprocessing.preprocess(fixtureImage(), (int) expected.shape[3]);
        float[] ref = expected.floats();
        int differing = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.floatToIntBits(ref[i]) != Float.floatToIntBits(mine[i])) {
                differing++;
            }
        }
        assertEquals(0, differing, "elements that differ from input_preprocessed");
    }

    @Test
    void resizeToTheSameSizeIsTheIdentityAndAConstantStaysConstant() {
        float[] plane = {1f, 2f, 3f, 4f, 5f, 6f};
        assertArrayEquals(plane, Interpolation.resizeAntialiased(plane, 1, 2, 3, 2, 3));
        float[] flat = new float[7 * 5];
        java.util.Arrays.fill(flat, 0.25f);
        for (float v : Interpolation.resizeAntialiased(flat, 1, 7, 5, 3, 11)) {
            assertEquals(0.25f, v, 1e-7f);
        }
    }

    @Test
    void bicubicMatrixRowsSumToOne() {
        float[] m = Interpolation.bicubicMatrix(7, 32);
        for (int o = 0; o < 32; o++) {
            double sum = 0;
            for (int i = 0; i < 7; i++) {
                sum += m[o * 7 + i];
            }
            assertEquals(1.0, sum, 1e-6);
        }
    }
}
