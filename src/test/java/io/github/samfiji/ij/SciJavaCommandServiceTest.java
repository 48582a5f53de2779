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
            FineTuneCommand.class, FineTuneOpenImageCommand.class, ModelManagerCommand.class, PretrainCommand.class);

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

    private static String runMacro(String macro) {
        return new ij.macro.Interpreter().run("setBatchMode(true);\n" + macro, null);
    }

    @Test
    void segmentWithPromptAndEvaluateThroughTheServiceEqualTheMacroPath(@TempDir Path temp) throws Exception {
        ImageJMenus.registerCommands();
        String sample = Path.of("samples/fixture-image.png").toAbsolutePath().toString();
        String model = Path.of("samples/sam_tiny.pth").toAbsolutePath().toString();
        try (Context context = new Context(CommandService.class)) {
            CommandService commands = context.service(CommandService.class);
            // Segment with Prompt: a box selection, the label image as output.
            ImagePlus image = IJ.openImage(sample);
            image.setRoi(20, 15, 60, 40);
            Map<String, Object> inputs = new HashMap<>();
            inputs.put("image", image);
            inputs.put("installed", ModelFolder.FILE_BELOW);
            inputs.put("model", new File(model));
            inputs.put("prompts", SegmentWithPromptCommand.FROM_SELECTION);
            inputs.put("multimask", true);
            inputs.put("candidate", SegmentWithPromptCommand.BEST);
            inputs.put("addToManager", false);
            inputs.put("labelImage", true);
            ImagePlus viaService = (ImagePlus) commands.run(SegmentWithPromptCommand.class, true, inputs).get()
                    .getOutput("labels");
            assertNotNull(viaService);
            Path macroLabels = temp.resolve("macro-labels.tif");
            CommandDialog.lastError = null;
            runMacro("close('*'); open('" + sample + "'); makeRectangle(20, 15, 60, 40);\n"
                    + "run('Segment with Prompt', 'model=[" + model + "] prompts=[" + SegmentWithPromptCommand.FROM_SELECTION
                    + "] multimask candidate=[" + SegmentWithPromptCommand.BEST + "] add label');\n"
                    + "selectImage('fixture-image-labels'); saveAs('Tiff', '" + macroLabels + "');");
            assertEquals(null, CommandDialog.lastError);
            short[] expected = (short[]) IJ.openImage(macroLabels.toString()).getProcessor().getPixels();
            assertArrayEquals(expected, (short[]) viaService.getProcessor().getPixels());
            int object = 0;
            for (short v : expected) {
                object += v != 0 ? 1 : 0;
            }
            assertTrue(object > 0, "the box gave an object");

            // Evaluate Segmentation on two open images (chosen by title), CSV from the service and from a macro.
            ImagePlus truth = new ImagePlus("truth", viaService.getProcessor().duplicate());
            ij.process.ImageProcessor shifted = viaService.getProcessor().duplicate();
            shifted.translate(3, 2);
            ImagePlus pred = new ImagePlus("pred", shifted);
            truth.show();
            pred.show();
            Path serviceCsv = temp.resolve("service.csv");
            Map<String, Object> evaluate = new HashMap<>();
            evaluate.put("prediction", "pred");
            evaluate.put("truth", "truth");
            evaluate.put("probability", "None");
            evaluate.put("bootstrap", 20);
            evaluate.put("seed", 3);
            evaluate.put("csv", serviceCsv.toFile());
            commands.run(EvaluateSegmentationCommand.class, true, evaluate).get();
            Path macroCsv = temp.resolve("macro.csv");
            String done = runMacro("run('Evaluate Segmentation', 'prediction=pred ground=truth probability=None"
                    + " threshold=0.5 bootstrap=20 seed=3 csv=[" + macroCsv + "]');\nreturn 'done';");
            assertEquals("done", done, "macro error: " + CommandDialog.lastError);
            assertEquals(java.nio.file.Files.readAllLines(macroCsv), java.nio.file.Files.readAllLines(serviceCsv));
        } finally {
            ImageJMenus.closeEverything();
        }
    }
}
