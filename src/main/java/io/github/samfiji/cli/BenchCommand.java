package io.github.samfiji.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.samfiji.checkpoint.LoadedModel;
import io.github.samfiji.checkpoint.ModelLoader;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.AmgSettings;
import io.github.samfiji.inference.AutomaticMaskGenerator;
import io.github.samfiji.inference.Embedding;
import io.github.samfiji.inference.PromptPredictor;
import io.github.samfiji.inference.sam2.Sam2ImageEmbedding;
import io.github.samfiji.inference.sam2.Sam2VolumePropagator;
import io.github.samfiji.model.sam2.Sam2Config;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.io.Progress;
import io.github.samfiji.inference.StackEmbeddings;
import io.github.samfiji.inference.VolumePropagator;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.Presets;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TorchRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: encoder time, decoder time per prompt and memory for a preset with random weights at its real
 * input size, or for a checkpoint. Medians after warm-up. A 2048^3 matMul timed in the same run is the reference
 * that makes figures comparable across machines.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time the encoder and decoder and measure memory (median of N runs after warm-up).")
public final class BenchCommand implements Callable<Integer> {

    static final class ModelChoice {
        @Option(names = "--preset", description = "with random weights: vit_b, vit_l, vit_h, vit_t, or sam2.1_hiera_t, "
                + "sam2.1_hiera_s, sam2.1_hiera_b+, sam2.1_hiera_l")
        String preset;

        @Option(names = "--checkpoint", description = "a model file (either family)")
        Path checkpoint;
    }

    @ArgGroup(multiplicity = "1")
    ModelChoice model;

    @Option(names = "--config", description = "JSON configuration for --checkpoint")
    Path config;

    @Option(names = "--runs", defaultValue = "5", description = "timed encoder runs (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "untimed runs first (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--prompts", defaultValue = "50", description = "timed prompts (default ${DEFAULT-VALUE})")
    int prompts;

    @Option(names = "--image-size", description = "side of the random test image (default: the encoder input size)")
    Integer imageSize;

    @Option(names = "--soak-encodes", defaultValue = "0", description = "extra encodes to show memory stays flat")
    int soakEncodes;

    @Option(names = "--soak-prompts", defaultValue = "0", description = "extra prompts to show memory stays flat")
    int soakPrompts;

    @Option(names = "--amg", description = "also time automatic mask generation (segment everything)")
    boolean amg;

    @Option(names = "--amg-points", defaultValue = "32", description = "AMG grid points per side (default ${DEFAULT-VALUE})")
    int amgPoints;

    @Option(names = "--amg-batch", defaultValue = "0", description = "AMG points decoded together (default: automatic)")
    int amgBatch;

    @Option(names = "--amg-all", description = "AMG with both filters off, so every mask goes through the whole pipeline")
    boolean amgAll;

    @Option(names = "--propagate-slices", defaultValue = "0",
            description = "also time 3D propagation through a stack of this many slices (SAM 2.1: memory tracking "
                    + "from a box on the middle slice, forward and back, slices encoded beforehand)")
    int propagateSlices;

    @Option(names = "--reference", paramLabel = "REF_BENCH_PY",
            description = "the reference bench (ref_bench.py of the original SAM/MobileSAM code, SAM 1 presets only): "
                    + "run after ours with the same preset, runs and AMG choice, and print each figure as a ratio")
    Path reference;

    @Option(names = "--python", defaultValue = "/usr/bin/python3",
            description = "Python with PyTorch for --reference (default ${DEFAULT-VALUE})")
    String python;

    @Override
    public Integer call() throws Exception {
        boolean sam2Preset = model.preset != null && Sam2Config.presets().containsKey(model.preset);
        if (reference != null && (model.preset == null || sam2Preset)) {
            throw new IllegalArgumentException("--reference needs a SAM 1 --preset (vit_b, vit_l, vit_h or vit_t): the "
                    + "reference bench builds the same model with random weights");
        }
        if (reference != null && !Files.isRegularFile(reference)) {
            throw new IllegalArgumentException("reference bench not found: " + reference);
        }
        long start = System.nanoTime();
        LoadedModel loaded;
        String name;
        if (sam2Preset) {
            Sam2Model sam2 = new Sam2Model(Sam2Config.presets().get(model.preset));
            sam2.initializeRandom(42);
            loaded = new LoadedModel.Sam2(sam2);
            name = model.preset + " (random weights)";
        } else if (model.preset != null) {
            SamModel sam = new SamModel(Presets.get(model.preset));
            sam.initializeRandom(42);
            loaded = new LoadedModel.Sam1(sam);
            name = model.preset + " (random weights)";
        } else {
            loaded = ModelLoader.loadAny(model.checkpoint, config);
            name = model.checkpoint.getFileName().toString();
        }
        try (LoadedModel m = loaded) {
            double loadMs = ms(start);
            int inputSize = m instanceof LoadedModel.Sam1 s1 ? s1.model().config().imageSize()
                    : ((LoadedModel.Sam2) m).model().config().imageSize();
            NDManager owner = m instanceof LoadedModel.Sam1 s1 ? s1.model().manager()
                    : ((LoadedModel.Sam2) m).model().manager();
            long parameters = m instanceof LoadedModel.Sam1 s1 ? s1.model().parameterCount()
                    : ((LoadedModel.Sam2) m).model().parameterCount();
            int side = imageSize != null ? imageSize : inputSize;
            Rgb8Image image = randomImage(side, side, 7);
            double matmulMs = referenceMatMulMillis();
            PromptPredictor predictor = PromptPredictor.of(m);
            List<Double> encodes = new ArrayList<>();
            Embedding embedding = null;
            for (int i = 0; i < warmup + runs; i++) {
                if (embedding != null) {
                    embedding.close();
                }
                long t = System.nanoTime();
                embedding = predictor.encode(image, Progress.NONE);
                if (i >= warmup) {
                    encodes.add(ms(t));
                }
                progress("encode", i + 1, warmup + runs);
            }
            Random random = new Random(1);
            // A click: three candidates decoded, the best one shown as a full-size mask. Then, separately, the full-size
            // logits of all three (what the reference's predict returns).
            List<Double> decodes = new ArrayList<>();
            List<Double> fullDecodes = new ArrayList<>();
            for (int i = 0; i < prompts + 2; i++) {
                Prompt p = randomPrompt(random, side);
                long t = System.nanoTime();
                Prediction shown = predictor.predict(embedding, p, true);
                shown.mask(shown.best());
                if (i >= 2) {
                    decodes.add(ms(t));
                }
                t = System.nanoTime();
                predictor.predict(embedding, p, true).logits();
                if (i >= 2) {
                    fullDecodes.add(ms(t));
                }
            }
            List<String> extra = new ArrayList<>();
            double amgMs = Double.NaN;
            if (amg) {
                AutomaticMaskGenerator.Result r = benchAmg(predictor, image);
                amgMs = r.decodeMillis();
                extra.add(String.format("AMG %dx%d points (" + (amgAll ? "no filters" : "published filters")
                        + "): decode %.0f ms = %.1f x reference (%.1f ms/point), %d masks kept; its encode %.0f ms",
                        amgPoints, amgPoints, r.decodeMillis(), r.decodeMillis() / matmulMs,
                        r.decodeMillis() / r.pointsDecoded(), r.masks().size(), r.encodeMillis()));
            }
            if (propagateSlices > 0) {
                extra.addAll(m instanceof LoadedModel.Sam1 s1
                        ? benchPropagation(new SamPredictor(s1.model()), side, matmulMs)
                        : benchTracking(((LoadedModel.Sam2) m).model(), predictor, side, matmulMs));
            }
            long rssAfterTiming = Memory.rssKb();
            int arraysBefore = owner.getManagedArrays().size();
            for (int i = 0; i < soakPrompts; i++) {
                predictor.predict(embedding, randomPrompt(random, side), true);
                if ((i + 1) % 100 == 0) {
                    progress("soak prompts (RSS " + Memory.mb(Memory.rssKb()) + " MB)", i + 1, soakPrompts);
                }
            }
            long rssAfterPrompts = Memory.rssKb();
            for (int i = 0; i < soakEncodes; i++) {
                embedding.close();
                embedding = predictor.encode(image, Progress.NONE);
                progress("soak encodes (RSS " + Memory.mb(Memory.rssKb()) + " MB)", i + 1, soakEncodes);
            }
            long rssAfterEncodes = Memory.rssKb();
            int arraysAfter = owner.getManagedArrays().size();
            embedding.close();
            double enc = median(encodes);
            double dec = median(decodes);
            long peakKb = Memory.peakRssKb();
            System.err.println();
            System.out.printf("date                       %s%n", java.time.LocalDate.now());
            System.out.printf("model                      %s (%s)%n", name, m.family());
            System.out.printf("parameters                 %,d%n", parameters);
            System.out.printf("image                      %d x %d (encoder input %d)%n", side, side, inputSize);
            System.out.printf("threads                    %s%n", System.getProperty("ai.djl.pytorch.num_threads"));
            System.out.printf("model load ms              %.0f%n", loadMs);
            System.out.printf("reference matMul 2048^3 ms %.1f%n", matmulMs);
            System.out.printf("encoder ms (median of %d)   %.1f   = %.1f x reference%n", runs, enc, enc / matmulMs);
            System.out.printf("decoder ms/prompt (median of %d) %.2f   = %.3f x reference  (best mask at full size)%n",
                    prompts, dec, dec / matmulMs);
            System.out.printf("decoder ms/prompt, all 3 full-size logits %.2f%n", median(fullDecodes));
            extra.forEach(System.out::println);
            System.out.printf("peak RSS MB                %s%n", Memory.mb(peakKb));
            System.out.printf("RSS MB after timing        %s%n", Memory.mb(rssAfterTiming));
            if (soakPrompts > 0 || soakEncodes > 0) {
                System.out.printf("RSS MB after %d prompts    %s%n", soakPrompts, Memory.mb(rssAfterPrompts));
                System.out.printf("RSS MB after %d encodes     %s%n", soakEncodes, Memory.mb(rssAfterEncodes));
                System.out.printf("live native arrays         %d before soak, %d after%n", arraysBefore, arraysAfter);
            }
            if (reference != null) {
                ReferenceBench.Figures ref = ReferenceBench.run(python, reference, model.preset, runs,
                        amg ? (amgAll ? "--amg-all" : "--amg") : null);
                ReferenceBench.print(ref, enc, median(fullDecodes), amgMs, peakKb / 1024.0);
            }
        }
        return 0;
    }

    /** AMG over a grid of amgPoints^2 points with the family's published filters. */
    private AutomaticMaskGenerator.Result benchAmg(PromptPredictor predictor, Rgb8Image image) {
        progress("amg", 0, 1);
        AmgSettings settings = predictor.amgDefaults().pointsPerSide(amgPoints).pointsPerBatch(amgBatch);
        if (amgAll) {
            settings.predIouThresh(0).stabilityScoreThresh(0);
        }
        AutomaticMaskGenerator.Result r = new AutomaticMaskGenerator(predictor, settings).generate(image, Progress.NONE);
        progress("amg", 1, 1);
        return r;
    }

    /**
     * SAM 2.1 memory tracking: the slices are encoded first (timed apart), then one object is tracked from a box on
     * the middle slice forward and back; each tracked slice costs memory attention, the decoder and the memory encoder.
     */
    private List<String> benchTracking(Sam2Model sam2, PromptPredictor predictor, int side, double matmulMs) {
        Random random = new Random(3);
        long[] seeds = random.longs(propagateSlices).toArray();
        List<Embedding> slices = new ArrayList<>();
        try {
            long e0 = System.nanoTime();
            for (int z = 0; z < propagateSlices; z++) {
                slices.add(predictor.encode(randomImage(side, side, seeds[z]), Progress.NONE));
                progress("tracking: encode slice", z + 1, propagateSlices);
            }
            double encodeMs = ms(e0);
            Prompt box = Prompt.builder().box(side / 4.0, side / 4.0, 3 * side / 4.0, 3 * side / 4.0).build();
            long t0 = System.nanoTime();
            Sam2VolumePropagator.trackOnStore(sam2, z -> (Sam2ImageEmbedding) slices.get(z), propagateSlices, side,
                    side, java.util.Map.of(1, java.util.Map.of(propagateSlices / 2, box)), java.util.Map.of(),
                    Progress.NONE);
            double trackMs = ms(t0);
            // The prompted slice is decoded once; every other slice is tracked once (forward or back).
            int tracked = Math.max(1, propagateSlices - 1);
            return List.of(String.format("tracking %d slices (memory): encode %.0f ms/slice (= %.1f x reference), "
                    + "memory attention + decode + memory encode %.1f ms/slice (= %.2f x reference)",
                    propagateSlices, encodeMs / propagateSlices, encodeMs / propagateSlices / matmulMs,
                    trackMs / tracked, trackMs / tracked / matmulMs));
        } finally {
            slices.forEach(Embedding::close);
        }
    }

    /** Propagation from a box on the middle slice of a stack of random slices, threshold 0 (stops only when empty). */
    private List<String> benchPropagation(SamPredictor predictor, int side, double matmulMs) {
        Random random = new Random(3);
        long[] seeds = random.longs(propagateSlices).toArray();
        VolumePropagator.Result r;
        long t0 = System.nanoTime();
        double encodeMs;
        try (StackEmbeddings stack = new StackEmbeddings(predictor, z -> randomImage(side, side, seeds[z]),
                propagateSlices, null, "bench")) {
            long e0 = System.nanoTime();
            for (int z = 0; z < propagateSlices; z++) {
                stack.get(z, Progress.NONE);
                progress("propagation: encode slice", z + 1, propagateSlices);
            }
            encodeMs = ms(e0);
            Prompt box = Prompt.builder().box(side / 4.0, side / 4.0, 3 * side / 4.0, 3 * side / 4.0).build();
            long d0 = System.nanoTime();
            r = new VolumePropagator(new VolumePropagator.Settings(VolumePropagator.Projection.MASK, 0, 0.05)).propagate(
                    VolumePropagator.withModel(predictor, stack, side, side),
                    List.of(new VolumePropagator.SlicePrompt(propagateSlices / 2, box)), Progress.NONE);
            double decodeMs = ms(d0);
            int reached = r.slices().size();
            return List.of(String.format("propagation %d slices: encode %.0f ms/slice (= %.1f x reference), "
                    + "propagate %.1f ms/slice (= %.2f x reference) over %d slices reached; total %.1f s",
                    propagateSlices, encodeMs / propagateSlices, encodeMs / propagateSlices / matmulMs,
                    decodeMs / reached, decodeMs / reached / matmulMs, reached, ms(t0) / 1000));
        }
    }

    private static Prompt randomPrompt(Random random, int side) {
        double x = random.nextDouble() * (side - 1);
        double y = random.nextDouble() * (side - 1);
        double w = 10 + random.nextDouble() * side / 4;
        return Prompt.builder().point(x, y, 1)
                .box(Math.max(0, x - w), Math.max(0, y - w), Math.min(side, x + w), Math.min(side, y + w)).build();
    }

    static Rgb8Image randomImage(int width, int height, long seed) {
        byte[] rgb = new byte[width * height * 3];
        new Random(seed).nextBytes(rgb);
        return new Rgb8Image(width, height, rgb);
    }

    /** Median time of a 2048 x 2048 by 2048 x 2048 float matMul on the same engine and threads. */
    private static double referenceMatMulMillis() {
        try (NDManager m = TorchRuntime.newManager()) {
            NDArray a = m.randomNormal(new Shape(2048, 2048));
            NDArray b = m.randomNormal(new Shape(2048, 2048));
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                long t = System.nanoTime();
                a.matMul(b).close();
                if (i > 0) {
                    times.add(ms(t));
                }
            }
            return median(times);
        }
    }

    private static void progress(String what, int done, int total) {
        System.err.printf("%s %d/%d%n", what, done, total);
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    /** Resident memory of this process from /proc (Linux); -1 elsewhere. */
    static final class Memory {
        static long rssKb() {
            return field("VmRSS:");
        }

        static long peakRssKb() {
            return field("VmHWM:");
        }

        private static long field(String key) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith(key)) {
                        return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                return -1;
            }
            return -1;
        }

        static String mb(long kb) {
            return kb < 0 ? "n/a" : String.format("%.0f", kb / 1024.0);
        }
    }

}
