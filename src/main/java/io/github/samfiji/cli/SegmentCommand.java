package io.github.samfiji.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import io.github.samfiji.imagejio.ImageFiles;
import io.github.samfiji.imagejio.StackSlices;
import io.github.samfiji.evaluation.LabelMetrics;
import io.github.samfiji.evaluation.SegmentationMetrics;
import io.github.samfiji.imagejio.MaskRois;
import io.github.samfiji.imagejio.RoiSets;
import ij.gui.Roi;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.MaskGeometry;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.io.OutputFiles;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.inference.sam2.Sam2ImageEmbedding;
import io.github.samfiji.inference.sam2.Sam2ImagePredictor;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.inference.sam2.Sam2Prediction;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code segment}: one object from point/box/mask prompts; writes masks, low-res logits, a RoiSet and a JSON. */
@Command(name = "segment", mixinStandardHelpOptions = true,
        description = {"Segment one object of an image from prompts.",
            "Coordinates are pixels of the original image, x right, y down. Writes PREFIX.masks.tif (8-bit, one slice "
                + "per candidate, 255 = object), PREFIX.lowres.tif (usable as --mask-input), PREFIX.rois.zip (the "
                + "chosen mask as a RoiSet), PREFIX.json, and with --logits PREFIX.logits.tif.",
            "With a SAM 2.1 checkpoint (sam2.1_hiera_*.pt, or another with --config) PREFIX.logits.tif is always "
                + "written, the JSON gives \"iou\" and the 0-based \"chosen\" candidate, and no prompt at all gives "
                + "the model's prompt-free prediction."})
public final class SegmentCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--image", required = true, description = "image file (TIFF, PNG, JPEG, DICOM, ...)")
    Path image;

    @Option(names = "--slice", defaultValue = "1", description = "1-based stack slice to segment (default ${DEFAULT-VALUE})")
    int slice;

    @Option(names = "--point", paramLabel = "x,y[,label]",
            description = "a point; label 1 = object (default), 0 = background; repeat for several")
    List<String> points = new ArrayList<>();

    @Option(names = "--box", paramLabel = "x0,y0,x1,y1", description = "a box around the object")
    String box;

    @Option(names = "--mask-input", paramLabel = "LOWRES.tif[:N]",
            description = "low-resolution logits of a previous call (its PREFIX.lowres.tif); slice N, default its chosen candidate")
    String maskInput;

    @Option(names = "--multimask", description = "return 3 candidate masks instead of 1")
    boolean multimask;

    @Option(names = "--truth", paramLabel = "MASK",
            description = "ground-truth mask of the object (non-zero = object): Dice, IoU and HD95 of the result are "
                    + "reported, and for a box prompt those of the ellipse inscribed in the box, a trivial baseline")
    Path truth;

    @Option(names = "--box-from-truth", description = "prompt with the tight box around the --truth object (for "
            + "evaluating box-prompted segmentation on annotated images)")
    boolean boxFromTruth;


    @Option(names = "--logits", description = "also write PREFIX.logits.tif: the full-size float logits of every "
            + "candidate (4 bytes a pixel each; 1.6 GB for a 20000 x 20000 image)")
    boolean writeLogits;

    @Option(names = "--prob", description = "also write PREFIX.prob.tif: each candidate's 32-bit probability map (the "
            + "sigmoid of its logits), slice for slice as the masks")
    boolean writeProbabilities;

    @Mixin
    OutputOptions output;

    private Path probabilitiesFile() {
        return writeProbabilities ? output.imageFile(".prob", image) : null;
    }

    @Override
    public Integer call() throws Exception {
        Path masksFile = output.imageFile(".masks", image);
        Path logitsFile = writeLogits ? output.imageFile(".logits", image) : null;
        Path lowresFile = output.imageFile(".lowres", image);
        Path jsonFile = output.file(".json");
        Path roisFile = output.file(".rois.zip");
        output.requireWritable(java.util.stream.Stream.of(masksFile, logitsFile, lowresFile, jsonFile, roisFile,
                        probabilitiesFile())
                .filter(java.util.Objects::nonNull).toArray(Path[]::new));
        boolean overwrite = output.overwrite;
        Prompt.Builder prompt = Prompt.builder();
        for (String p : points) {
            double[] v = numbers(p, "--point", 2, 3);
            prompt.point(v[0], v[1], v.length == 3 ? label(v[2]) : 1);
        }
        if (box != null) {
            double[] v = numbers(box, "--box", 4, 4);
            prompt.box(v[0], v[1], v[2], v[3]);
        }
        ImagePlus imp = ImageFiles.open(image);
        Rgb8Image rgb = StackSlices.of(imp).planeInput(slice);
        boolean[] truthMask = truth == null ? null : readTruth(truth, imp.getWidth(), imp.getHeight());
        if (boxFromTruth) {
            if (truthMask == null || box != null) {
                throw new IllegalArgumentException("--box-from-truth needs --truth and no --box");
            }
            int[] b = io.github.samfiji.inference.MaskGeometry.bounds(truthMask, imp.getWidth());
            if (b == null) {
                throw new IllegalArgumentException("--truth " + truth.getFileName() + " has no object to take a box from");
            }
            prompt.box(b[0], b[1], b[2], b[3]);
        }
        long start = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.loadAny(model.checkpoint, model.config)) {
            double loadMs = (System.nanoTime() - start) / 1e6;
            if (loaded instanceof LoadedModel.Sam2 sam2) {
                segmentSam2(sam2.model(), prompt, rgb, loadMs, truthMask, imp, masksFile, lowresFile, jsonFile, roisFile);
                return 0;
            }
            SamModel sam = ((LoadedModel.Sam1) loaded).model();
            if (maskInput != null) {
                prompt.maskInput(readMaskInput(maskInput, sam.promptEncoder().maskInputSize()));
            }
            Prompt built = prompt.build();
            if (built.isEmpty()) {
                throw new IllegalArgumentException("no prompt given: add --point x,y[,label], --box x0,y0,x1,y1 or --mask-input");
            }
            SamPredictor predictor = new SamPredictor(sam);
            try (ImageEmbedding embedding = predictor.encode(rgb)) {
                Prediction prediction = predictor.predict(embedding, built, multimask);
                write(prediction, masksFile, logitsFile, lowresFile);
                boolean[] chosen = prediction.mask(prediction.best());
                Roi roi = MaskRois.toRoi(chosen, prediction.width(), prediction.height());
                List<Roi> rois = new ArrayList<>();
                if (roi != null) {
                    roi.setName(image.getFileName() + "-1-" + slice);
                    roi.setProperty("sam.predicted_iou", Float.toString(prediction.iou()[prediction.best()]));
                    rois.add(roi);
                }
                RoiSets.write(roisFile, rois, overwrite);
                JsonObject json = describe(prediction, loadMs, embedding.encodeMillis());
                if (truthMask != null) {
                    json.add("against_truth", compare(chosen, truthMask, built.box(), imp));
                }
                OutputFiles.writeJson(jsonFile, overwrite, json);
                System.out.printf("%s: %d candidate(s), chosen %d (predicted IoU %.3f); wrote %s.*%n", image.getFileName(),
                        prediction.count(), prediction.best() + 1, prediction.iou()[prediction.best()], output.out);
            }
        }
        return 0;
    }

    /**
     * SAM 2.1: as SAM 1, except that no prompt at all is allowed (the model's prompt-free prediction), the logits are
     * always written (the SAM 2 parity contract compares them), and the JSON gives {@code iou} and the 0-based
     * {@code chosen} candidate with the object score, as the reference image predictor returns them.
     */
    private void segmentSam2(Sam2Model sam, Prompt.Builder prompt, Rgb8Image rgb, double loadMs, boolean[] truthMask,
                             ImagePlus imp, Path masksFile, Path lowresFile, Path jsonFile, Path roisFile)
            throws IOException {
        Path logitsFile = output.imageFile(".logits", image);
        output.requireWritable(logitsFile);
        if (maskInput != null) {
            prompt.maskInput(readMaskInput(maskInput, sam.config().lowResSize()));
        }
        Sam2ImagePredictor predictor = new Sam2ImagePredictor(sam);
        try (Sam2ImageEmbedding embedding = predictor.encode(rgb)) {
            Prompt built = prompt.build();
            Sam2Prediction result = predictor.predict(embedding, built, multimask);
            Prediction prediction = result.masks();
            write(prediction, masksFile, logitsFile, lowresFile);
            List<Roi> rois = new ArrayList<>();
            Roi roi = MaskRois.toRoi(prediction.mask(prediction.best()), prediction.width(), prediction.height());
            if (roi != null) {
                roi.setName(image.getFileName() + "-1-" + slice);
                roi.setProperty("sam.predicted_iou", Float.toString(prediction.iou()[prediction.best()]));
                rois.add(roi);
            }
            RoiSets.write(roisFile, rois, output.overwrite);
            JsonObject json = new JsonObject();
            json.addProperty("image", image.toString());
            json.addProperty("slice", slice);
            json.addProperty("checkpoint", model.checkpoint.toString());
            json.addProperty("model_family", "sam2.1");
            json.addProperty("width", prediction.width());
            json.addProperty("height", prediction.height());
            json.addProperty("multimask", multimask);
            JsonArray iou = new JsonArray();
            for (float v : prediction.iou()) {
                iou.add(v);
            }
            json.add("iou", iou);
            json.addProperty("chosen", prediction.best());
            json.addProperty("chosen_note", "0-based candidate (slice of the output stacks) with the highest predicted IoU");
            JsonArray tokens = new JsonArray();
            for (int t : result.tokens()) {
                tokens.add(t);
            }
            json.add("decoder_tokens", tokens);
            json.addProperty("object_score_logit", result.objectScoreLogit());
            JsonObject timings = new JsonObject();
            timings.addProperty("model_load_ms", loadMs);
            timings.addProperty("encode_ms", embedding.encodeMillis());
            timings.addProperty("decode_ms", prediction.decodeMillis());
            json.add("timings", timings);
            if (truthMask != null) {
                json.add("against_truth", compare(prediction.mask(prediction.best()), truthMask, built.box(), imp));
            }
            OutputFiles.writeJson(jsonFile, output.overwrite, json);
            System.out.printf("%s: %d candidate(s), chosen %d (predicted IoU %.3f); wrote %s.*%n", image.getFileName(),
                    prediction.count(), prediction.best() + 1, prediction.iou()[prediction.best()], output.out);
        }
    }

    /** A mask file of the image's size: non-zero pixels (of its first slice) are the object. */
    static boolean[] readTruth(Path file, int width, int height) throws IOException {
        ImagePlus t = ImageFiles.open(file);
        if (t.getWidth() != width || t.getHeight() != height) {
            throw new IllegalArgumentException("mask " + file.getFileName() + " is " + t.getWidth() + " x "
                    + t.getHeight() + " but the image is " + width + " x " + height);
        }
        ij.process.ImageProcessor ip = t.getProcessor();
        boolean[] m = new boolean[width * height];
        for (int i = 0; i < m.length; i++) {
            m[i] = ip.getf(i) != 0;
        }
        return m;
    }

    /** Dice, IoU and HD95 of the mask against the truth, and of the box's inscribed ellipse (the trivial baseline). */
    private JsonObject compare(boolean[] mask, boolean[] truthMask, Prompt.Box box, ImagePlus imp) {
        int w = imp.getWidth();
        int h = imp.getHeight();
        ij.measure.Calibration cal = imp.getCalibration();
        SegmentationMetrics metrics = new SegmentationMetrics().withBinary(true).withSpacing(cal.pixelWidth, cal.pixelHeight);
        JsonObject json = new JsonObject();
        json.addProperty("truth", truth.toString());
        LabelMetrics sam = metrics.evaluate(asImage(mask, w, h), asImage(truthMask, w, h)).get(0);
        addMetrics(json, "sam", sam);
        System.out.printf("against %s: Dice %.4f, IoU %.4f, HD95 %.2f%n", truth.getFileName(), sam.dice(), sam.iou(),
                sam.hd95());
        if (box != null) {
            boolean[] ellipse = MaskGeometry.inscribedEllipse(w, h, box.x0(), box.y0(), box.x1(), box.y1());
            LabelMetrics baseline = metrics.evaluate(asImage(ellipse, w, h), asImage(truthMask, w, h)).get(0);
            addMetrics(json, "box_ellipse_baseline", baseline);
            System.out.printf("the ellipse inscribed in the box (baseline): Dice %.4f, IoU %.4f%n", baseline.dice(),
                    baseline.iou());
        }
        return json;
    }

    private static void addMetrics(JsonObject json, String name, LabelMetrics m) {
        JsonObject o = new JsonObject();
        o.addProperty("dice", m.dice());
        o.addProperty("iou", m.iou());
        if (!Double.isNaN(m.hd95())) {
            o.addProperty("hd95", m.hd95());
        }
        json.add(name, o);
    }

    private static net.imglib2.img.array.ArrayImg<net.imglib2.type.numeric.integer.UnsignedByteType, ?> asImage(
            boolean[] mask, int w, int h) {
        byte[] b = new byte[mask.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = mask[i] ? (byte) 1 : 0;
        }
        return net.imglib2.img.array.ArrayImgs.unsignedBytes(b, w, h);
    }


    private void write(Prediction p, Path masksFile, Path logitsFile, Path lowresFile) throws IOException {
        int w = p.width();
        int h = p.height();
        ImageStack masks = new ImageStack(w, h);
        List<float[]> logits = new ArrayList<>();
        List<float[]> low = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < p.count(); i++) {
            boolean[] m = p.mask(i);
            byte[] pixels = new byte[m.length];
            for (int k = 0; k < m.length; k++) {
                pixels[k] = m[k] ? (byte) 255 : 0;
            }
            String label = String.format("candidate %d, predicted IoU %.4f", i + 1, p.iou()[i]);
            masks.addSlice(label, new ByteProcessor(w, h, pixels));
            logits.add(p.logits()[i]);
            low.add(p.lowRes()[i]);
            labels.add(label);
        }
        ImageFiles.save(new ImagePlus(output.out.getFileName() + " masks", masks), masksFile, output.overwrite);
        if (logitsFile != null) {
            ImageFiles.save(ImageFiles.floatStack("logits", w, h, logits, labels), logitsFile, output.overwrite);
        }
        Path probFile = probabilitiesFile();
        if (probFile != null) {
            List<float[]> probabilities = logits.stream()
                    .map(io.github.samfiji.inference.SemanticClasses::probabilities).toList();
            ImagePlus maps = ImageFiles.floatStack("probabilities", w, h, probabilities, labels);
            maps.setDisplayRange(0, 1);
            ImageFiles.save(maps, probFile, output.overwrite);
        }
        ImagePlus lowres = ImageFiles.floatStack("low-res logits", p.lowResSize(), p.lowResSize(), low, labels);
        lowres.setProperty("Info", "sam.chosen=" + (p.best() + 1) + "\n");
        ImageFiles.save(lowres, lowresFile, output.overwrite);
    }

    private JsonObject describe(Prediction p, double loadMs, double encodeMs) {
        JsonObject json = new JsonObject();
        json.addProperty("image", image.toString());
        json.addProperty("slice", slice);
        json.addProperty("checkpoint", model.checkpoint.toString());
        json.addProperty("width", p.width());
        json.addProperty("height", p.height());
        json.addProperty("multimask", multimask);
        JsonArray iou = new JsonArray();
        for (float v : p.iou()) {
            iou.add(v);
        }
        json.add("predicted_iou", iou);
        json.addProperty("chosen", p.best() + 1);
        json.addProperty("chosen_note", "1-based slice of the output stacks with the highest predicted IoU");
        JsonObject timings = new JsonObject();
        timings.addProperty("model_load_ms", loadMs);
        timings.addProperty("encode_ms", encodeMs);
        timings.addProperty("decode_ms", p.decodeMillis());
        json.add("timings", timings);
        return json;
    }

    private static float[] readMaskInput(String spec, int size) throws IOException {
        int colon = spec.lastIndexOf(':');
        String file = spec;
        Integer slice = null;
        if (colon > 1 && spec.substring(colon + 1).matches("\\d+")) {
            file = spec.substring(0, colon);
            slice = Integer.parseInt(spec.substring(colon + 1));
        }
        ImagePlus imp = ImageFiles.open(Path.of(file));
        if (imp.getWidth() != size || imp.getHeight() != size) {
            throw new IllegalArgumentException("--mask-input " + file + " is " + imp.getWidth() + " x " + imp.getHeight()
                    + " but this model takes " + size + " x " + size + " low-resolution logits (a PREFIX.lowres.tif)");
        }
        if (slice == null) {
            slice = chosenSlice(imp);
        }
        if (slice < 1 || slice > imp.getStackSize()) {
            throw new IllegalArgumentException("--mask-input slice " + slice + " does not exist in " + file);
        }
        Object pixels = imp.getStack().getProcessor(slice).convertToFloatProcessor().getPixels();
        return ((float[]) pixels).clone();
    }

    private static int chosenSlice(ImagePlus imp) {
        Object info = imp.getProperty("Info");
        if (info != null) {
            for (String line : info.toString().split("\n")) {
                if (line.startsWith("sam.chosen=")) {
                    return Integer.parseInt(line.substring("sam.chosen=".length()).trim());
                }
            }
        }
        return 1;
    }

    static double[] numbers(String text, String option, int min, int max) {
        String[] parts = text.split(",");
        if (parts.length < min || parts.length > max) {
            throw new IllegalArgumentException(option + " '" + text + "' needs " + (min == max ? min : min + " or " + max)
                    + " comma-separated numbers");
        }
        double[] v = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " '" + text + "': '" + parts[i] + "' is not a number");
            }
        }
        return v;
    }

    private static int label(double v) {
        if (v != 0 && v != 1) {
            throw new IllegalArgumentException("point label must be 1 (object) or 0 (background), got " + v);
        }
        return (int) v;
    }
}
