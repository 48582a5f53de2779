package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ij.IJ;
import ij.gui.Roi;
import ij.macro.Interpreter;
import ij.plugin.frame.RoiManager;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.image.ImageConversion;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.imagejio.ImageWrapping;
import io.github.samfiji.imagejio.MaskRois;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.SamConfig;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.testing.NeedsDisplay;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Preprocessing choice of the model options: forcing MedSAM's gives MedSAM's mask, not SAM's. */
@NeedsDisplay
class PreprocessingChoiceMacroTest {

    private static final String SAMPLE = Path.of("samples/fixture-image.png").toAbsolutePath().toString();
    private static final Path MODEL = Path.of("samples/sam_tiny.pth").toAbsolutePath();

    @TempDir
    Path temp;

    @BeforeAll
    static void registerMenuCommands() {
        ImageJMenus.registerCommands();
    }

    @AfterEach
    void closeImages() {
        ImageJMenus.closeEverything();
        ModelCache.release();
    }

    private boolean[] segmented(String preprocessing) {
        Path zip = temp.resolve(preprocessing.replace(' ', '_') + ".zip");
        CommandDialog.lastError = null;
        new Interpreter().run("setBatchMode(true); open('" + SAMPLE + "'); roiManager('reset');\n"
                + "makeRectangle(30, 29, 48, 48);\n"
                + "run('Segment with Prompt', 'model=[" + MODEL + "] preprocessing=[" + preprocessing + "] "
                + "prompts=[Image selection] candidate=[Best predicted IoU] add');\n"
                + "roiManager('save', '" + zip + "');", null);
        assertEquals(null, CommandDialog.lastError);
        RoiManager hidden = new RoiManager(true);
        hidden.open(zip.toString());
        Roi roi = hidden.getRoisAsArray()[0];
        return MaskRois.toMask(roi, 97, 150);
    }

    private static boolean[] expected(SamConfig.Preprocessing preprocessing) throws Exception {
        Rgb8Image rgb = ImageConversion.toRgb8(ImageWrapping.wrapPlane(IJ.openImage(SAMPLE), 1));
        try (SamModel model = ModelLoader.load(MODEL, null, preprocessing)) {
            SamPredictor predictor = new SamPredictor(model);
            try (ImageEmbedding e = predictor.encode(rgb)) {
                return predictor.predict(e, new Prompt(null, new Prompt.Box(30, 29, 77, 76), null), false).mask(0);
            }
        }
    }

    @Test
    void medsamChoiceGivesMedSamsMaskAndTheDefaultSams() throws Exception {
        boolean[] medsam = expected(SamConfig.Preprocessing.MEDSAM);
        boolean[] sam = expected(SamConfig.Preprocessing.SAM);
        assertFalse(java.util.Arrays.equals(medsam, sam), "the two preprocessings give different masks here");
        assertArrayEquals(medsam, segmented(PreprocessingChoice.MEDSAM));
        assertArrayEquals(sam, segmented(PreprocessingChoice.AS_MODEL));
    }
}
