package io.github.samfiji.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.samfiji.inference.ImageEmbedding;
import io.github.samfiji.inference.Prediction;
import io.github.samfiji.inference.Prompt;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TorchRuntime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tunes a SAM model for automatic (prompt-free) segmentation: the decoder gets no points, box or mask (the
 * prompt encoder's no-mask embedding), and its single-mask output is trained with Dice + cross-entropy against the
 * mask at the decoder's resolution. AdamW updates only the strategy's trainable tensors.
 */
public final class FineTuner implements AutoCloseable {

    /** Receives progress and may stop the run; the best weights so far are kept either way. */
    public interface Listener {
        default void onIteration(long iteration, int epoch, double loss, double lr, double secondsLeft) {
        }

        default void onEpoch(EpochRecord record, double secondsLeft) {
        }

        /** Called with the model holding the new best weights (e.g. to write them to disk). */
        default void onNewBest(EpochRecord record) {
        }

        default boolean isCancelled() {
            return false;
        }

        /** Called after every finished epoch with all epochs so far (those before a resumption included). */
        default void onHistory(List<EpochRecord> history) {
        }

        /** Called after every finished epoch; {@code state} copies the run's state only when asked. */
        default void onEpochEnd(java.util.function.Supplier<TrainingState> state) {
        }
    }

    /** One epoch's summary; the validation score ({@link Objective#validationLabel}) is NaN on epochs without it. */
    public record EpochRecord(int epoch, long iterations, double trainLoss, double validationScore, double seconds) {
    }

    /** How a run ended. */
    public record Result(List<EpochRecord> history, double bestScore, int bestEpoch, boolean stoppedEarly,
                         boolean cancelled, long iterations, double seconds) {
    }

    private final SamModel model;
    private final Strategy strategy;
    private final FineTuneOptions options;
    private final Map<String, Param> trainable;
    private final List<Param> params;
    private final NDManager manager;
    private final List<NDArray> accumulated = new ArrayList<>();
    private final AdamW optimizer;
    private long iteration;
    private final Objective objective;
    private Random promptRandom;
    /** Embeddings of training samples by number, while a frozen encoder sees unaugmented inputs (else null). */
    private Map<Integer, float[]> embeddingCache;
    private long encoderRuns;
    private boolean reuseEmbeddings = true;

    /** What the model learns to do. */
    public enum Objective {
        /** No prompt at all: an automatic segmenter (Dice + cross-entropy). */
        AUTOMATIC,
        /** Box or point prompts with correction rounds (Dice + IoU regression); see {@link InteractiveObjective}. */
        INTERACTIVE;

        /** What early stopping maximises on the validation images: "Dice" or "score" (see validationScore). */
        public String validationLabel() {
            return this == AUTOMATIC ? "Dice" : "score";
        }

        public static Objective parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "auto", "automatic" -> AUTOMATIC;
                case "interactive" -> INTERACTIVE;
                default -> throw new IllegalArgumentException("unknown --objective '" + s + "' (auto or interactive)");
            };
        }
    }

    /** Attaches the strategy's LoRA/adapters to {@code model} and marks its trainable tensors (automatic objective). */
    public FineTuner(SamModel model, Strategy strategy, FineTuneOptions options) {
        this(model, strategy, options, Objective.AUTOMATIC);
    }

    public FineTuner(SamModel model, Strategy strategy, FineTuneOptions options, Objective objective) {
        this.objective = objective;
        this.promptRandom = new Random(options.seed() * 31 + 7);
        this.model = model;
        this.strategy = strategy;
        this.options = options;
        this.trainable = strategy.prepare(model, options.seed());
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

    public Map<String, Param> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    public long trainableCount() {
        return params.stream().mapToLong(p -> p.shape().size()).sum();
    }

    public long iteration() {
        return iteration;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** Mask logits (B, 1, S/4, S/4) for a batch of preprocessed inputs (B, 3, S, S), without prompts. */
    public static NDArray automaticLogits(SamModel model, NDArray inputs, NDManager m) {
        return automaticLogitsOf(model, model.imageEncoder().forward(inputs), m);
    }

    /** Mask logits (B, 1, S/4, S/4) for image embeddings (B, C, S/16, S/16), without prompts. */
    static NDArray automaticLogitsOf(SamModel model, NDArray embeddings, NDManager m) {
        NDArray pe = model.promptEncoder().densePositionalEncoding(m);
        NDList prompts = model.promptEncoder().forward(null, null, null, null, m);
        long batch = embeddings.getShape().get(0);
        NDList masks = new NDList();
        for (long b = 0; b < batch; b++) {
            NDArray one = embeddings.get(new NDIndex("{}:{}", b, b + 1));
            masks.add(model.maskDecoder().forward(one, pe, prompts.get(0), prompts.get(1), false, null).get(0));
        }
        return masks.size() == 1 ? masks.get(0) : NDArrays.concat(masks, 0);
    }

    /**
     * Forward and backward of one micro-batch; adds its gradients (divided by the accumulation count) to the
     * accumulators. Returns the loss.
     */
    public double accumulate(List<float[][]> batch) {
        return accumulate(batch, null);
    }

    /**
     * As {@link #accumulate(List)}; with {@code ids} (sample numbers, one per batch item) and a frozen encoder the
     * image embeddings are kept after the first computation and reused (the input of a sample without augmentation
     * is the same every epoch, so its embedding is too).
     */
    private double accumulate(List<float[][]> batch, int[] ids) {
        int s = model.config().imageSize();
        int low = s / 4;
        Engine engine = TorchRuntime.engine();
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            boolean haveInputs = batch.stream().allMatch(b -> b[0] != null);
            float[] inputs = haveInputs ? new float[batch.size() * 3 * s * s] : null;
            float[] targets = new float[batch.size() * low * low];
            for (int i = 0; i < batch.size(); i++) {
                if (haveInputs) {
                    System.arraycopy(batch.get(i)[0], 0, inputs, i * 3 * s * s, 3 * s * s);
                }
                System.arraycopy(batch.get(i)[1], 0, targets, i * low * low, low * low);
            }
            NDArray target = Ops.constant(m, targets, new Shape(batch.size(), 1, low, low));
            double lossValue;
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray embeddings = embeddings(inputs, batch.size(), ids, m);
                NDArray loss;
                if (objective == Objective.INTERACTIVE) {
                    float[][] lowTargets = new float[batch.size()][];
                    for (int i = 0; i < batch.size(); i++) {
                        lowTargets[i] = batch.get(i)[1];
                    }
                    loss = InteractiveObjective.loss(model, embeddings, lowTargets, m, promptRandom);
                } else {
                    loss = Losses.diceCrossEntropy(automaticLogitsOf(model, embeddings, m), target);
                }
                lossValue = loss.getFloat();
                collector.backward(Ops.divScalar(loss, options.accumulation()));
            }
            for (int i = 0; i < params.size(); i++) {
                NDArray value = params.get(i).value();
                NDArray grad = value.getGradient();
                accumulated.get(i).addi(grad);
                JniUtils.zeroGrad((PtNDArray) value);
            }
            return lossValue;
        }
    }

    /** The encoder's output for the batch, from the kept embeddings when all are there. */
    private NDArray embeddings(float[] inputs, int count, int[] ids, NDManager m) {
        int s = model.config().imageSize();
        boolean cached = ids != null && embeddingCache != null;
        if (cached && java.util.Arrays.stream(ids).allMatch(embeddingCache::containsKey)) {
            int per = embeddingCache.get(ids[0]).length;
            float[] all = new float[count * per];
            for (int i = 0; i < count; i++) {
                System.arraycopy(embeddingCache.get(ids[i]), 0, all, i * per, per);
            }
            return Ops.constant(m, all, embeddingShape(count));
        }
        if (inputs == null) {
            throw new IllegalStateException("a batch without inputs needs all its embeddings kept");
        }
        NDArray out = model.imageEncoder().forward(Ops.constant(m, inputs, new Shape(count, 3, s, s)));
        encoderRuns++;
        if (cached) {
            float[] all = out.toFloatArray();
            int per = all.length / count;
            for (int i = 0; i < count; i++) {
                embeddingCache.put(ids[i], java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per));
            }
        }
        return out;
    }

    private Shape embeddingShape(int count) {
        int g = model.config().imageSize() / 16;
        return new Shape(count, model.config().decoder().promptEmbedDim(), g, g);
    }

    /** Whether no image-encoder tensor is trained (its output for a given input never changes). */
    boolean encoderFrozen() {
        return trainable.keySet().stream().noneMatch(n -> n.startsWith("image_encoder."));
    }

    /** Turns off keeping embeddings (to check that keeping them changes nothing). */
    void reuseEmbeddings(boolean reuse) {
        reuseEmbeddings = reuse;
    }

    /** How many times the image encoder ran on training batches (for tests and progress). */
    long encoderRuns() {
        return encoderRuns;
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

    /** One full optimizer step (all micro-batches of {@code microBatches}), at the schedule's rate. */
    public double step(List<List<float[][]>> microBatches, LearningRate schedule) {
        return step(microBatches, null, schedule);
    }

    private double step(List<List<float[][]>> microBatches, List<int[]> ids, LearningRate schedule) {
        double loss = 0;
        for (int i = 0; i < microBatches.size(); i++) {
            loss += accumulate(microBatches.get(i), ids == null ? null : ids.get(i));
        }
        applyStep(schedule.at(iteration));
        return loss / microBatches.size();
    }

    /** Trains on {@code train}, validating on {@code validation}; ends with the best weights in the model. */
    public Result fit(List<TrainingSample> train, List<TrainingSample> validation, Listener listener) {
        return fit(train, validation, listener, null);
    }

    /**
     * As {@link #fit(List, List, Listener)}, continuing from {@code resume} (null: from the start). Every epoch's
     * shuffling, augmentation and prompts are drawn from a generator seeded by the seed and the epoch, so a resumed
     * run computes exactly what the uninterrupted run would have.
     */
    public Result fit(List<TrainingSample> train, List<TrainingSample> validation, Listener listener,
                      TrainingState resume) {
        List<TrainingSample> usable = DataSplit.withForeground(train);
        if (usable.isEmpty()) {
            throw new IllegalArgumentException("no training image has any foreground in its mask: nothing to learn");
        }
        int size = model.config().imageSize();
        List<SampleTensors.Resized> resized = new ArrayList<>();
        for (TrainingSample s : usable) {
            resized.add(SampleTensors.resize(s, size, model.config().preprocessing()));
        }
        int perStep = options.batchSize() * options.accumulation();
        int stepsPerEpoch = Math.max(1, (int) Math.ceil(resized.size() / (double) perStep));
        LearningRate schedule = new LearningRate(options.learningRate(), options.warmup(), options.decay(),
                (long) stepsPerEpoch * options.epochs());
        Augmentation augmentation = options.augment() ? new Augmentation(true, objective == Objective.INTERACTIVE) : null;
        long embeddingBytes = 4L * model.config().decoder().promptEmbedDim() * (size / 16) * (size / 16)
                * (resized.size() + validation.size());
        // Interactive training mixes in 2 x 2 mosaics, where the prompt decides which of several objects is meant.
        boolean mosaics = augmentation != null && objective == Objective.INTERACTIVE && resized.size() > 1;
        boolean keepEmbeddings = reuseEmbeddings && encoderFrozen() && augmentation == null
                && embeddingBytes < Runtime.getRuntime().maxMemory() / 4;
        embeddingCache = keepEmbeddings ? new java.util.HashMap<>() : null;
        EpochBook book = new EpochBook(options, trainable);
        int firstEpoch = 1;
        // With a frozen encoder the validation images are encoded once for all epochs.
        Map<TrainingSample, ImageEmbedding> validationEmbeddings = keepEmbeddings ? new java.util.IdentityHashMap<>()
                : null;
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
            promptRandom = new Random(options.seed() * 31 + 7 + epoch * 1_000_003L);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < resized.size(); i++) {
                order.add(i);
            }
            Collections.shuffle(order, random);
            double lossSum = 0;
            int lossCount = 0;
            for (int stepIndex = 0; stepIndex < stepsPerEpoch; stepIndex++) {
                if (listener.isCancelled()) {
                    cancelled = true;
                    break epochs;
                }
                List<List<float[][]>> micro = new ArrayList<>();
                List<int[]> ids = new ArrayList<>();
                for (int a = 0; a < options.accumulation(); a++) {
                    List<float[][]> batch = new ArrayList<>();
                    List<Integer> batchIds = new ArrayList<>();
                    for (int b = 0; b < options.batchSize(); b++) {
                        int k = stepIndex * perStep + a * options.batchSize() + b;
                        if (k < order.size()) {
                            SampleTensors.Resized r = resized.get(order.get(k));
                            if (mosaics && random.nextDouble() < Mosaic.PROBABILITY) {
                                r = Mosaic.of(r, resized, size, random);
                            }
                            // A kept embedding needs only the target: the input would not be looked at.
                            batch.add(embeddingCache != null && embeddingCache.containsKey(order.get(k))
                                    ? new float[][] {null, SampleTensors.target(r.mask(), r.image().width(),
                                            r.image().height(), size)}
                                    : SampleTensors.prepare(r, size, model.config(), augmentation, random));
                            batchIds.add(order.get(k));
                        }
                    }
                    if (!batch.isEmpty()) {
                        micro.add(batch);
                        ids.add(batchIds.stream().mapToInt(Integer::intValue).toArray());
                    }
                }
                double loss = step(micro, ids, schedule);
                lossSum += loss;
                lossCount++;
                double elapsed = (System.nanoTime() - start) / 1e9;
                long done = iteration - startIteration;
                double left = elapsed / done * (totalSteps - done);
                listener.onIteration(iteration, epoch, loss, schedule.at(iteration - 1), left);
            }
            double valDice = Double.NaN;
            boolean validate = book.validates(epoch);
            if (validate) {
                valDice = validation.isEmpty() ? -lossSum / lossCount
                        : validationScore(model, validation, objective, validationEmbeddings);
            }
            EpochRecord record = new EpochRecord(epoch, iteration, lossSum / lossCount, valDice,
                    (System.nanoTime() - epochStart) / 1e9);
            book.add(record, validate, listener);
            double elapsed = (System.nanoTime() - start) / 1e9;
            listener.onEpoch(record, elapsed / (epoch - firstEpoch + 1) * (options.epochs() - epoch));
            listener.onHistory(book.history());
            listener.onEpochEnd(book.stateAfter(epoch, iteration, optimizer));
            stoppedEarly = book.patienceSpent();
        }
        restore(book.best());
        if (validationEmbeddings != null) {
            validationEmbeddings.values().forEach(ImageEmbedding::close);
        }
        embeddingCache = null;
        return book.result(stoppedEarly, cancelled, iteration, (System.nanoTime() - start) / 1e9);
    }

    /** Copies of the trainable tensors' values. */
    public Map<String, float[]> snapshot() {
        return TrainableTensors.snapshot(trainable);
    }

    /** Puts saved values back into the trainable tensors (in place, so gradients stay attached). */
    public void restore(Map<String, float[]> values) {
        TrainableTensors.restore(trainable, values);
    }

    /**
     * Dice of the model's prompt-free prediction per image or volume ({@link VolumeDice}), at the original image size
     * and through the same path as inference ({@link SamPredictor#predictWithoutPrompt}).
     */
    public static VolumeDice.Scores dice(SamModel model, List<TrainingSample> samples) {
        return dice(model, samples, null, null);
    }

    /** As {@link #dice(SamModel, List)}; {@code kept} (may be null) keeps each sample's embedding for later calls. */
    private static VolumeDice.Scores dice(SamModel model, List<TrainingSample> samples,
                                          Map<TrainingSample, ImageEmbedding> kept, PixelScores pixels) {
        SamPredictor predictor = new SamPredictor(model);
        List<boolean[]> predicted = new ArrayList<>();
        for (TrainingSample s : samples) {
            ImageEmbedding e = embedding(predictor, s, kept);
            try {
                Prediction p = predictor.predictWithoutPrompt(e, false);
                predicted.add(p.mask(0));
                if (pixels != null) {
                    pixels.add(s, p.logits()[0]);
                }
            } finally {
                if (kept == null) {
                    e.close();
                }
            }
        }
        return VolumeDice.of(samples, predicted);
    }

    private static ImageEmbedding embedding(SamPredictor predictor, TrainingSample s,
                                            Map<TrainingSample, ImageEmbedding> kept) {
        if (kept == null) {
            return predictor.encode(s.image());
        }
        return kept.computeIfAbsent(s, k -> predictor.encode(k.image()));
    }

    /** As {@link #evaluate(SamModel, List, Objective, Map)}, recording the logits behind the masks in {@code pixels}. */
    static VolumeDice.Scores evaluate(SamModel model, List<TrainingSample> samples, Objective objective,
                                      Map<TrainingSample, ImageEmbedding> kept, PixelScores pixels) {
        return objective == Objective.INTERACTIVE ? promptFollowing(model, samples, kept, false, pixels).dice()
                : dice(model, samples, kept, pixels);
    }

    /** Dice per image or volume for the objective: prompt-free, or from a tight box around each non-empty mask. */
    public static VolumeDice.Scores evaluate(SamModel model, List<TrainingSample> samples, Objective objective) {
        return evaluate(model, samples, objective, null);
    }

    /** As {@link #evaluate(SamModel, List, Objective)}; {@code kept} (may be null) keeps embeddings for later calls. */
    static VolumeDice.Scores evaluate(SamModel model, List<TrainingSample> samples, Objective objective,
                                      Map<TrainingSample, ImageEmbedding> kept) {
        return objective == Objective.INTERACTIVE ? diceWithBox(model, samples, kept)
                : dice(model, samples, kept, null);
    }

    /**
     * Dice of the single-mask prediction from the tight bounding box of each non-empty mask, pooled per image or
     * volume over its prompted slices (slices without object get no prompt and are left out).
     */
    public static VolumeDice.Scores diceWithBox(SamModel model, List<TrainingSample> samples) {
        return diceWithBox(model, samples, null);
    }

    private static VolumeDice.Scores diceWithBox(SamModel model, List<TrainingSample> samples,
                                                 Map<TrainingSample, ImageEmbedding> kept) {
        return promptFollowing(model, samples, kept, false).dice();
    }

    /**
     * How well box prompts are followed: {@code dice}, as {@link #diceWithBox}; {@code backgroundLeftEmpty}, the mean
     * over images of 1 - min(1, area returned for a box that holds only background / the object's area), so 1 when
     * such boxes get empty masks and 0 when they get the object back (NaN when not measured or no box fits).
     */
    public record PromptFollowing(VolumeDice.Scores dice, double backgroundLeftEmpty) {

        /** Their product: near 0 for a model that ignores its prompts, and for one that returns nothing. */
        public double score() {
            return dice.mean() * backgroundLeftEmpty;
        }
    }

    /** As {@link #diceWithBox}, plus (when {@code background}) a background box per image, the same at each call. */
    public static PromptFollowing promptFollowing(SamModel model, List<TrainingSample> samples,
                                                  Map<TrainingSample, ImageEmbedding> kept, boolean background) {
        return promptFollowing(model, samples, kept, background, null);
    }

    /** As above; {@code pixels} (may be null) receives the box-prompted logits. */
    static PromptFollowing promptFollowing(SamModel model, List<TrainingSample> samples,
                                           Map<TrainingSample, ImageEmbedding> kept, boolean background,
                                           PixelScores pixels) {
        SamPredictor predictor = new SamPredictor(model);
        List<TrainingSample> prompted = new ArrayList<>();
        List<boolean[]> predicted = new ArrayList<>();
        double emptySum = 0;
        int emptyCount = 0;
        for (int i = 0; i < samples.size(); i++) {
            TrainingSample s = samples.get(i);
            boolean[] truth = toBoolean(s.mask());
            int[] b = io.github.samfiji.inference.MaskGeometry.bounds(truth, s.width());
            if (b == null) {
                continue;
            }
            ImageEmbedding e = embedding(predictor, s, kept);
            try {
                Prediction p = predictor.predict(e, Prompt.builder().box(b[0], b[1], b[2], b[3]).build(), false);
                prompted.add(s);
                predicted.add(p.mask(0));
                if (pixels != null) {
                    pixels.add(s, p.logits()[0]);
                }
                float[] away = background
                        ? InteractiveObjective.backgroundBox(truth, s.width(), s.height(), new Random(1000L + i)) : null;
                if (away != null) {
                    boolean[] answer = predictor.predict(e, Prompt.builder().box(away[0], away[1], away[2] - 1,
                            away[3] - 1).build(), false).mask(0);
                    emptySum += 1 - Math.min(1.0, count(answer) / (double) count(truth));
                    emptyCount++;
                }
            } finally {
                if (kept == null) {
                    e.close();
                }
            }
        }
        return new PromptFollowing(VolumeDice.of(prompted, predicted),
                emptyCount == 0 ? Double.NaN : emptySum / emptyCount);
    }

    /**
     * The number early stopping maximises. Automatic: prompt-free Dice. Interactive: box Dice times the share of
     * background boxes left empty ({@link PromptFollowing#score}); box Dice alone rewards epochs that return the
     * salient object whatever the prompt, and training picks them.
     */
    static double validationScore(SamModel model, List<TrainingSample> samples, Objective objective,
                                  Map<TrainingSample, ImageEmbedding> kept) {
        if (objective == Objective.AUTOMATIC) {
            return dice(model, samples, kept, null).mean();
        }
        PromptFollowing f = promptFollowing(model, samples, kept, true);
        return Double.isNaN(f.backgroundLeftEmpty()) ? f.dice().mean() : f.score();
    }

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean v : mask) {
            if (v) {
                n++;
            }
        }
        return n;
    }

    static boolean[] toBoolean(byte[] mask) {
        boolean[] out = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            out[i] = mask[i] != 0;
        }
        return out;
    }

    /** Stops training: gradients detached from the weights, optimizer state freed. */
    @Override
    public void close() {
        for (Param p : params) {
            p.value().setRequiresGradient(false);
        }
        optimizer.close();
        manager.close();
    }
}
