package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import io.github.samfiji.testing.NeedsDisplay;
import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/**
 * Inside Fiji the commands are SciJava plugins, found through the plugin index and run by the CommandService (with its
 * pre- and post-processors), not only through our ImageJ 1 menu wrappers. Every command must be discoverable there,
 * and one run through the service must give what the command line gives for the same image and settings.
 */
@NeedsDisplay
class SciJavaCommandServiceTest {

    private static final List<Class<?>> COMMANDS = List.of(SegmentWithPromptCommand.class, AutoSegmentCommand.class,
            Propagate3DCommand.class, EvaluateSegmentationCommand.class, InteractiveEvaluationCommand.class,
            FineTuneCommand.class, FineTuneOpenImageCommand.class, ModelManagerCommand.class);

    @Test
    void everyCommandIsAPluginAndAutoSegmentRunsThroughTheService(@TempDir Path temp) throws Exception {
        try (Context context = new Context(CommandService.class)) {
            CommandService commands = context.service(CommandService.class);
            for (Class<?> c : COMMANDS) {
                CommandInfo info = commands.getCommand(c.getName());
                assertNotNull(info, c.getSimpleName() + " is in the plugin index");
                assertTrue(info.getLabel() != null && !info.getLabel().isBlank(), c.getSimpleName() + " has a label");
            }

            String sample = Path.of("samples/fixture-image.png").toAbsolutePath().toString();
            String model = Path.of("samples/sam_tiny.pth").toAbsolutePath().toString();
            ImagePlus image = IJ.openImage(sample);
            Map<String, Object> inputs = new HashMap<>();
            inputs.put("image", image);
            inputs.put("installed", ModelFolder.FILE_BELOW);
            inputs.put("model", new File(model));
            inputs.put("mode", AutoSegmentCommand.AMG);
            inputs.put("classModels", "");
            inputs.put("pointsPerSide", 8);
            inputs.put("predIouThresh", 0.0);
            inputs.put("stabilityScoreThresh", 0.0);
            inputs.put("addToManager", false);
            inputs.put("labelImage", true);
            CommandModule module = commands.run(AutoSegmentCommand.class, true, inputs).get();
            ImagePlus labels = (ImagePlus) module.getOutput("labels");
            assertNotNull(labels, "the label image is the command's output");

            assertEquals(0, io.github.samfiji.cli.SamFijiCli.run("auto", "--checkpoint", model, "--image", sample,
                    "--points-per-side", "8", "--pred-iou-thresh", "0", "--stability-score-thresh", "0",
                    "--out", temp.resolve("cli").toString()));
            ImagePlus fromCli = IJ.openImage(temp.resolve("cli.labels.tif").toString());
            assertArrayEquals((short[]) fromCli.getProcessor().getPixels(), (short[]) labels.getProcessor().getPixels());
        } finally {
            WindowManager.closeAllWindows();
        }
    }
}
