package io.github.samfiji.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.Peft;
import io.github.samfiji.model.TorchRuntime;
import io.github.samfiji.model.sam2.Sam2Model;
import io.github.samfiji.model.sam2.Sam2Peft;
import io.github.samfiji.model.sam2.Sam2Preprocessing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tunes a SAM 2.1 model, on images (the objectives of {@link FineTuner}: prompt-free, or interactive with box
 * and point prompts and correction rounds) or on stacks as videos ({@link Sam2Clips}). Parts and methods are those
 * of {@link Strategy}: the mask decoder alone or with the Hiera encoder, all weights, LoRA or adapters ({@link Sam2Peft});
 * video training also trains the memory encoder, memory attention and the object-pointer projections. Progress,
 * cancelling, early stopping, augmentation and exact resumption work as for SAM 1 ({@link FineTuner.Listener},
 * {@link TrainingState}). Masks are learned and scored on the decoder's grid (input / 4 a side), onto which the
 * image is squashed as SAM 2.1's predictor squashes it.
 */
public final class Sam2FineTuner implements AutoCloseable {

    /** Video training: clips of {@code clipLength} consecutive slices, first slices prompted by one of {@code prompts}. */
    public record Video(int clipLength, List<Sam2Clips.PromptKind> prompts) {
        /** The prompts drawn for a clip's first slice unless chosen otherwise. */
        public static final String DEFAULT_PROMPTS = "box,point,mask";

        public Video {
            if (clipLength < 1) {
                throw new IllegalArgumentException("--clip-length must be at least 1 (got " + clipLength + ")");
            }
            prompts = List.copyOf(prompts);
        }

        /** From the command line's words: a length and a comma-separated list of box, point, mask. */
        public static Video of(int clipLength, String prompts) {
            return new Video(clipLength, Sam2Clips.PromptKind.parse(prompts));
        }

        public String label() {
            return "clips of " + clipLength + " slices, first slice prompted by "
                    + String.join("/", prompts.stream().map(p -> p.name().toLowerCase(java.util.Locale.ROOT)).toList());
        }
    }

    private final Sam2Model model;
    private final Sam2Heads heads;
    private final FineTuneOptions options;
    private final FineTuner.Objective objective;
    private final Video video;
    /** The recipe's augmentation ({@link Augmentation}), or null; a clip's slices all get the same draws. */
    private final Augmentation augmentation;
    private final Map<String, Param> trainable;
    private final List<Param> params;
    private final NDManager manager;
    private final List<NDArray> accumulated = new ArrayList<>();
    private final AdamW optimizer;
    private long iteration;

    public Sam2FineTuner(Sam2Model model, Strategy strategy, FineTuneOptions options, FineTuner.Objective objective,
                         Video video) {
        this.model = model;
        this.heads = new Sam2Heads(model);
        this.options = options;
        this.objective = objective;
        this.video = video;
        this.augmentation = options.augment()
                ? new Augmentation(true, objective == FineTuner.Objective.INTERACTIVE && video == null) : null;
        this.trainable = prepare(model, strategy, video != null, options.seed());
        if (trainable.isEmpty()) {
            throw new IllegalArgumentException("strategy " + strategy.label() + " leaves nothing to train in this model");
        }
        this.params = List.copyOf(trainable.values());
        this.manager = model.manager().newSubManager();
        for (Param p : params) {
            p.value().setRequiresGradient(true);
            accumulated.add(manager.zeros(p.shape()));
        }
        this.optimizer = new AdamW(params, options.weightDecay(), manager);
    }

    /** Attaches the strategy's LoRA (unless the model carries it from an earlier run) and returns what trains. */
    static Map<String, Param> prepare(Sam2Model model, Strategy strategy, boolean video, long seed) {
        Peft peft = strategy.peft();
        String present = Sam2Peft.attachedMethod(model);
        if (present != null && (peft == null || !peft.method().equals(present))) {
            // A model fine-tuned before (its JSON attached the tensors on loading): training continues on them.
            throw new IllegalArgumentException("this model already carries " + present + " tensors from an earlier "
                    + "fine-tuning; continue it with --method " + present);
        }
        if (present == null && peft != null) {
            Sam2Peft.attach(model, peft, seed, true);
        }
        Map<String, Param> out = new LinkedHashMap<>();
        model.namedParams().forEach((name, p) -> {
            if (!p.isBuffer() && isTrainable(name, strategy, video)) {
                out.put(name, p);
            }
        });
        return out;
    }

    /**
     * Which tensors learn: see the class comment; LoRA and adapters keep the base weights of encoder and decoder
     * transformer frozen (the decoder's other weights train, as for SAM 1).
     */
    static boolean isTrainable(String name, Strategy strategy, boolean video) {
        if (video && (name.startsWith("memory_attention.") || name.startsWith("memory_encoder.")
                || name.startsWith("obj_ptr_proj.") || name.startsWith("obj_ptr_tpos_proj.")
                || name.equals("maskmem_tpos_enc") || name.equals("no_obj_ptr") || name.equals("no_obj_embed_spatial"))) {
            return true;
        }
        if (strategy.promptEncoder() && name.startsWith("sam_prompt_encoder.")) {
            return true;
        }
        boolean lora = strategy.method() != Strategy.Method.VANILLA; // LoRA or adapters: their tensors train
        if (name.startsWith("sam_mask_decoder.") || name.equals("no_mem_embed")) {
            return !lora || Peft.isAdded(name) || !name.startsWith("sam_mask_decoder.transformer.");
        }
        if (name.startsWith("image_encoder.") && strategy.parts() == Strategy.Parts.ENCODER_DECODER) {
            return !lora || Peft.isAdded(name);
        }
        return false;
    }

    public Map<String, Param> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    public long trainableCount() {
        return params.stream().mapToLong(p -> p.shape().size()).sum();
    }

    public long iteration() {
        return iteration;
    }

    /** A training unit: one image, or one clip (slices in the order tracked, the first prompted). */
    record Unit(List<TrainingSample> slices, Sam2Clips.PromptKind prompt) {
    }

    /** Forward and backward of one micro-batch; adds its gradients to the accumulators and returns its loss. */
    double accumulate(List<Unit> batch, Random random) {
        Engine engine = TorchRuntime.engine();
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            double value;
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray total = null;
                for (Unit u : batch) {
                    NDArray loss = unitLoss(u, random, m);
                    total = total == null ? loss : total.add(loss);
                }
                NDArray loss = total.div(m.full(new ai.djl.ndarray.types.Shape(), (float) batch.size()));
                value = loss.getFloat();
                collector.backward(Ops.divScalar(loss, options.accumulation()));
            }
            for (int i = 0; i < params.size(); i++) {
                NDArray v = params.get(i).value();
                NDArray grad = v.getGradient();
                accumulated.get(i).addi(grad);
                JniUtils.zeroGrad((PtNDArray) v);
            }
            return value;
        }
    }

    /** The loss of one unit, with gradients. */
    NDArray unitLoss(Unit u, Random random, NDManager m) {
        List<TrainingSample> slices = u.slices();
        if (augmentation != null) {
            // One seed per unit: every slice of a clip is flipped and jittered alike.
            long seed = random.nextLong();
            slices = new ArrayList<>();
            for (TrainingSample s : u.slices()) {
                Augmentation.Pair p = augmentation.apply(s.image(), s.mask(), new Random(seed));
                slices.add(new TrainingSample(s.name(), s.group(), p.image(), p.mask()));
            }
        }
        if (video != null) {
            List<float[]> inputs = new ArrayList<>();
            List<float[]> targets = new ArrayList<>();
            for (TrainingSample s : slices) {
                inputs.add(input(heads, s));
                targets.add(target(s, heads.low));
            }
            return Sam2Clips.loss(heads, inputs, targets, u.prompt(), random, m);
        }
        TrainingSample s = slices.get(0);
        NDList features = heads.encode(input(heads, s), m);
        NDArray pix = heads.withoutMemory(features.get(2));
        float[] target = target(s, heads.low);
        if (objective == FineTuner.Objective.INTERACTIVE) {
            InteractiveObjective.PromptedDecoder decoder = (points, box, mask) -> {
                NDList out = heads.decode(pix, features, heads.prompts(points, box, mask, m), m);
                return new NDList(out.get(0).get(new NDIndex(":, 0:1")), out.get(1).get(new NDIndex(":, 0:1")),
                        out.get(2));
            };
            return InteractiveObjective.loss(List.of(decoder), new float[][] {target}, heads.low, heads.size, m, random);
        }
        return Losses.diceCrossEntropy(automaticLogits(heads, features, pix, m),
                Ops.constant(m, target, new ai.djl.ndarray.types.Shape(1, 1, heads.low, heads.low)));
    }

    /** The prompt-free single-mask logits (1, 1, low, low) of an image's features. */
    static NDArray automaticLogits(Sam2Heads heads, NDList features, NDArray pix, NDManager m) {
        NDList out = heads.decode(pix, features, heads.prompts(List.of(), null, null, m), m);
        return out.get(0).get(new NDIndex(":, 0:1"));
    }

    /** One optimizer step over the accumulated gradients, which are then cleared. */
    void applyStep(double lr) {
        TorchRuntime.withoutGradients(() -> {
            optimizer.step(accumulated, lr);
            for (NDArray a : accumulated) {
                a.subi(a);
            }
            return null;
        });
        iteration++;
    }

    /** The units of one epoch, in training order, drawn from {@code random}. */
    List<Unit> epochUnits(List<TrainingSample> train, Random random) {
        List<Unit> units = new ArrayList<>();
        if (video == null) {
            for (TrainingSample s : DataSplit.withForeground(train)) {
                units.add(new Unit(List.of(s), null));
            }
        } else {
            for (List<TrainingSample> volume : volumes(train)) {
                List<Integer> starts = new ArrayList<>();
                for (int z = 0; z < volume.size(); z++) {
                    if (any(target(volume.get(z), heads.low))) {
                        starts.add(z);
                    }
                }
                Collections.shuffle(starts, random);
                // About one clip per clip length of slices with the object: each such slice is seen once per epoch.
                int count = (int) Math.ceil(starts.size() / (double) video.clipLength());
                for (int start : starts.subList(0, count)) {
                    int sign = random.nextBoolean() ? 1 : -1;
                    List<TrainingSample> clip = new ArrayList<>();
                    for (int z = start; z >= 0 && z < volume.size() && clip.size() < video.clipLength(); z += sign) {
                        clip.add(volume.get(z));
                    }
                    units.add(new Unit(clip, video.prompts().get(random.nextInt(video.prompts().size()))));
                }
            }
        }
        Collections.shuffle(units, random);
        return units;
    }

    /**
     * Trains on {@code train}, validating on {@code validation}; ends with the best weights in the model.
     * {@code resume} (may be null) continues a run from its state after an epoch: every epoch's order, clips and
     * prompts come from generators seeded by the seed and the epoch, so the result equals the uninterrupted run's.
     */
    public FineTuner.Result fit(List<TrainingSample> train, List<TrainingSample> validation,
                                FineTuner.Listener listener, TrainingState resume) {
        if (DataSplit.withForeground(train).isEmpty()) {
            throw new IllegalArgumentException("no training image has any foreground in its mask: nothing to learn");
        }
        int perStep = options.batchSize() * options.accumulation();
        int unitsPerEpoch = epochUnits(train, new Random(options.seed())).size();
        int stepsPerEpoch = Math.max(1, (int) Math.ceil(unitsPerEpoch / (double) perStep));
        LearningRate schedule = new LearningRate(options.learningRate(), options.warmup(), options.decay(),
                (long) stepsPerEpoch * options.epochs());
        EpochBook book = new EpochBook(options, trainable);
        int firstEpoch = 1;
        if (resume != null) {
            iteration = resume.iteration();
            firstEpoch = book.resume(resume, optimizer);
        }
        boolean cancelled = false;
        boolean stoppedEarly = book.patienceSpent();
        long start = System.nanoTime();
        long totalSteps = (long) stepsPerEpoch * (options.epochs() - firstEpoch + 1);
        long startIteration = iteration;
        epochs:
        for (int epoch = firstEpoch; epoch <= options.epochs() && !stoppedEarly; epoch++) {
            long epochStart = System.nanoTime();
            Random random = new Random(options.seed() * 1_000_003L + epoch);
            Random promptRandom = new Random(options.seed() * 31 + 7 + epoch * 1_000_003L);
            List<Unit> units = epochUnits(train, random);
            double lossSum = 0;
            int lossCount = 0;
            for (int at = 0; at < units.size(); at += perStep) {
                if (listener.isCancelled()) {
                    cancelled = true;
                    break epochs;
                }
                double loss = 0;
                int micro = 0;
                for (int a = at; a < Math.min(units.size(), at + perStep); a += options.batchSize()) {
                    loss += accumulate(units.subList(a, Math.min(units.size(), Math.min(at + perStep,
                            a + options.batchSize()))), promptRandom);
                    micro++;
                }
                applyStep(schedule.at(iteration));
                loss /= micro;
                lossSum += loss;
                lossCount++;
                double elapsed = (System.nanoTime() - start) / 1e9;
                long done = iteration - startIteration;
                listener.onIteration(iteration, epoch, loss, schedule.at(iteration - 1),
                        elapsed / done * (totalSteps - done));
            }
            double score = Double.NaN;
            boolean validate = book.validates(epoch);
            if (validate) {
                score = validation.isEmpty() ? -lossSum / Math.max(1, lossCount) : mean(evaluate(validation));
            }
            FineTuner.EpochRecord record = new FineTuner.EpochRecord(epoch, iteration, lossSum / Math.max(1, lossCount),
                    score, (System.nanoTime() - epochStart) / 1e9);
            book.add(record, validate, listener);
            double elapsed = (System.nanoTime() - start) / 1e9;
            listener.onEpoch(record, elapsed / (epoch - firstEpoch + 1) * (options.epochs() - epoch));
            listener.onHistory(book.history());
            listener.onEpochEnd(book.stateAfter(epoch, iteration, optimizer));
            stoppedEarly = book.patienceSpent();
        }
        restore(book.best());
        return book.result(stoppedEarly, cancelled, iteration, (System.nanoTime() - start) / 1e9);
    }

    /** Dice per image or volume (see {@link #evaluate(Sam2Model, List, FineTuner.Objective, boolean)}). */
    double[] evaluate(List<TrainingSample> samples) {
        return evaluate(model, samples, objective, video != null);
    }

    /**
     * Dice per image or volume on the decoder's grid, without gradients. Images: the prompt-free mask (automatic) or
     * the mask from the tight box of the label (interactive; slices without object left out), slices of one volume
     * pooled. Video: per volume, the object tracked through every slice from one tight box on the slice where it is
     * largest, pooled over the volume (a 3D Dice).
     */
    public static double[] evaluate(Sam2Model model, List<TrainingSample> samples, FineTuner.Objective objective,
                                    boolean video) {
        Sam2Heads heads = new Sam2Heads(model);
        int low = heads.low;
        float cell = heads.size / (float) low;
        List<Double> perGroup = new ArrayList<>();
        for (List<TrainingSample> volume : volumes(samples)) {
            long[] counts = new long[3]; // both, predicted, truth
            boolean scored = false;
            if (video) {
                int prompted = -1;
                int largest = 0;
                List<float[]> targets = new ArrayList<>();
                for (int z = 0; z < volume.size(); z++) {
                    float[] t = target(volume.get(z), low);
                    targets.add(t);
                    int area = count(t);
                    if (area > largest) {
                        largest = area;
                        prompted = z;
                    }
                }
                if (prompted < 0) {
                    continue;
                }
                float[][] logits = Sam2Clips.propagate(heads, z -> input(heads, volume.get(z)), volume.size(), prompted,
                        tightBox(targets.get(prompted), low, cell));
                for (int z = 0; z < volume.size(); z++) {
                    add(counts, logits[z], targets.get(z));
                }
                scored = true;
            } else {
                for (TrainingSample s : volume) {
                    float[] t = target(s, low);
                    if (objective == FineTuner.Objective.INTERACTIVE && count(t) == 0) {
                        continue;
                    }
                    float[] logits = TorchRuntime.withoutGradients(() -> {
                        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
                            NDList features = heads.encode(input(heads, s), m);
                            NDArray pix = heads.withoutMemory(features.get(2));
                            if (objective == FineTuner.Objective.AUTOMATIC) {
                                return automaticLogits(heads, features, pix, m).toFloatArray();
                            }
                            NDList out = heads.decode(pix, features,
                                    heads.prompts(List.of(), tightBox(t, low, cell), null, m), m);
                            return out.get(0).get(new NDIndex(":, 0:1")).toFloatArray();
                        }
                    });
                    add(counts, logits, t);
                    scored = true;
                }
            }
            if (scored) {
                // Nothing predicted where nothing is (prompt-free, an empty volume) counts as perfect.
                perGroup.add(counts[1] + counts[2] == 0 ? 1 : 2.0 * counts[0] / (counts[1] + counts[2]));
            }
        }
        return perGroup.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void add(long[] counts, float[] logits, float[] target) {
        for (int i = 0; i < target.length; i++) {
            boolean p = logits[i] > 0;
            boolean g = target[i] > 0.5f;
            counts[0] += p && g ? 1 : 0;
            counts[1] += p ? 1 : 0;
            counts[2] += g ? 1 : 0;
        }
    }

    /** The tight box of a label on the decoder's grid, in input pixels. */
    static float[] tightBox(float[] target, int low, float cell) {
        int x0 = low;
        int y0 = low;
        int x1 = -1;
        int y1 = -1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] > 0.5f) {
                x0 = Math.min(x0, i % low);
                x1 = Math.max(x1, i % low);
                y0 = Math.min(y0, i / low);
                y1 = Math.max(y1, i / low);
            }
        }
        return new float[] {x0 * cell, y0 * cell, (x1 + 1) * cell, (y1 + 1) * cell};
    }

    /** The samples grouped by image or volume, slices in their order. */
    static List<List<TrainingSample>> volumes(List<TrainingSample> samples) {
        Map<String, List<TrainingSample>> groups = new LinkedHashMap<>();
        for (TrainingSample s : samples) {
            groups.computeIfAbsent(s.group(), g -> new ArrayList<>()).add(s);
        }
        return new ArrayList<>(groups.values());
    }

    /** The normalized input (3, S, S) of an image squashed to the model's square input, as the SAM 2.1 predictor. */
    private static float[] input(Sam2Heads heads, TrainingSample s) {
        return Sam2Preprocessing.preprocess(s.image(), heads.size);
    }

    /** The label squashed to the decoder's grid: each cell takes the label at its centre. */
    static float[] target(TrainingSample s, int low) {
        int w = s.width();
        int h = s.height();
        float[] out = new float[low * low];
        for (int y = 0; y < low; y++) {
            int sy = Math.min(h - 1, (int) ((y + 0.5) * h / low));
            for (int x = 0; x < low; x++) {
                int sx = Math.min(w - 1, (int) ((x + 0.5) * w / low));
                out[y * low + x] = s.mask()[sy * w + sx] != 0 ? 1f : 0f;
            }
        }
        return out;
    }

    private static boolean any(float[] t) {
        return count(t) > 0;
    }

    private static int count(float[] t) {
        int n = 0;
        for (float v : t) {
            n += v > 0.5f ? 1 : 0;
        }
        return n;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    /** The accumulated gradients by tensor name (for tests). */
    Map<String, float[]> gradients() {
        Map<String, float[]> out = new LinkedHashMap<>();
        int i = 0;
        for (String name : trainable.keySet()) {
            out.put(name, accumulated.get(i++).toFloatArray());
        }
        return out;
    }

    /** Copies of the trainable tensors' values. */
    public Map<String, float[]> snapshot() {
        return TrainableTensors.snapshot(trainable);
    }

    /** Puts saved values back into the trainable tensors (in place, so gradients stay attached). */
    public void restore(Map<String, float[]> values) {
        TrainableTensors.restore(trainable, values);
    }

    @Override
    public void close() {
        for (Param p : params) {
            p.value().setRequiresGradient(false);
        }
        optimizer.close();
        manager.close();
    }
}
