package io.github.samfiji.training.pretrain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.samfiji.image.ResizeLongestSide;
import io.github.samfiji.image.Rgb8Image;
import io.github.samfiji.inference.SamPredictor;
import io.github.samfiji.model.Ops;
import io.github.samfiji.model.Param;
import io.github.samfiji.model.SamModel;
import io.github.samfiji.model.TorchRuntime;
import io.github.samfiji.training.AdamW;
import io.github.samfiji.training.FineTuner;
import io.github.samfiji.training.LearningRate;
import io.github.samfiji.training.TrainableTensors;
import io.github.samfiji.training.TrainingState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Self-supervised pre-training of a SAM image encoder by masked image modelling ({@link ReconstructionHead}): each
 * step masks a random share of every image's patches and trains encoder and head with AdamW to reconstruct them.
 * Every epoch's order and masks come from a generator seeded by the seed and the epoch, and the validation images get
 * the same masks every epoch, so a resumed run computes exactly what the uninterrupted one would have and
 * validation losses of different epochs are comparable. Progress, cancellation and the per-epoch state for resuming
 * go through {@link FineTuner.Listener} (its validation score is here the validation reconstruction loss).
 */
public final class Pretrainer implements AutoCloseable {

    /** How a run ended; {@code validationLoss} is that of the last epoch (NaN without validation images). */
    public record Result(List<FineTuner.EpochRecord> history, long iterations, double seconds, boolean cancelled,
                         double validationLoss) {
    }

    private final SamModel model;
    private final PretrainOptions options;
    private final ReconstructionHead head;
    private final Map<String, Param> trainable = new LinkedHashMap<>();
    private final List<Param> params;
    private final NDManager manager;
    private final AdamW optimizer;
    private long iteration;

    public Pretrainer(SamModel model, PretrainOptions options) {
        this.model = model;
        this.options = options;
        this.head = ReconstructionHead.of(model, options);
        model.namedParams().forEach((name, p) -> {
            if (name.startsWith("image_encoder.") && !p.isBuffer()
                    && head.trainsEncoderTensor(name.substring("image_encoder.".length()))) {
                trainable.put(name, p);
            }
        });
        trainable.putAll(head.prefixedParams());
        this.params = List.copyOf(trainable.values());
        this.manager = model.manager().newSubManager();
        for (Param p : params) {
            p.value().setRequiresGradient(true);
        }
        this.optimizer = new AdamW(params, options.weightDecay(), manager);
    }

    public ReconstructionHead head() {
        return head;
    }

    /** Tensors trained (encoder and head), by name; the head's under {@link ReconstructionHead#PREFIX}. */
    public Map<String, Param> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    public long trainableCount() {
        return params.stream().mapToLong(p -> p.shape().size()).sum();
    }

    /** Normalized, padded model inputs (B, 3, S, S) of images already resized to the input size. */
    public NDArray inputs(List<Rgb8Image> resized, NDManager m) {
        int s = model.config().imageSize();
        float[] all = new float[resized.size() * 3 * s * s];
        for (int i = 0; i < resized.size(); i++) {
            System.arraycopy(SamPredictor.preprocess(resized.get(i), s, model.config()), 0, all, i * 3 * s * s, 3 * s * s);
        }
        return Ops.constant(m, all, new Shape(resized.size(), 3, s, s));
    }

    /** An image resized as the encoder sees it (longest side = input size), unless it already is. */
    public Rgb8Image resized(Rgb8Image image) {
        int s = model.config().imageSize();
        return Math.max(image.width(), image.height()) == s ? image : ResizeLongestSide.apply(image, s);
    }

    /** One optimizer step on a batch with the given masks; returns the loss before the step. */
    double step(List<Rgb8Image> batch, boolean[][] masked, double lr) {
        Engine engine = TorchRuntime.engine();
        double value;
        try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray inputs = inputs(batch, m);
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray loss = head.loss(inputs, masked);
                value = loss.getFloat();
                collector.backward(loss);
            }
            List<NDArray> gradients = new ArrayList<>();
            for (Param p : params) {
                gradients.add(p.value().getGradient());
            }
            TorchRuntime.withoutGradients(() -> {
                optimizer.step(gradients, lr);
                return null;
            });
            for (Param p : params) {
                JniUtils.zeroGrad((PtNDArray) p.value());
            }
        }
        iteration++;
        return value;
    }

    /** The reconstruction loss of a batch with the given masks, without training. */
    public double loss(List<Rgb8Image> batch, boolean[][] masked) {
        return TorchRuntime.withoutGradients(() -> {
            try (NDManager m = model.manager().newSubManager(); NDScope scope = new NDScope()) {
                return (double) head.loss(inputs(batch, m), masked).getFloat();
            }
        });
    }

    /** The masks of the validation images: the same at every epoch (and in every run with this seed). */
    boolean[] validationMask(int index) {
        return PatchMasking.draw(head.patchCount(), options.maskRatio(), new Random(options.seed() * 31 + 1_000_003L * (index + 1)));
    }

    /** Mean reconstruction loss over the validation images (each with its fixed mask); NaN when there are none. */
    public double validationLoss(List<Rgb8Image> validation) {
        if (validation.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (int start = 0; start < validation.size(); start += options.batchSize()) {
            int end = Math.min(validation.size(), start + options.batchSize());
            boolean[][] masks = new boolean[end - start][];
            for (int i = start; i < end; i++) {
                masks[i - start] = validationMask(i);
            }
            // Every image has the same number of masked patches, so batch means weigh by image count.
            sum += loss(validation.subList(start, end), masks) * (end - start);
        }
        return sum / validation.size();
    }

    /**
     * Trains on {@code train} (images already resized, see {@link #resized}); validates on {@code validation} after
     * every epoch. Continues from {@code resume} when given (null: from the start).
     */
    public Result fit(List<Rgb8Image> train, List<Rgb8Image> validation, FineTuner.Listener listener,
                      TrainingState resume) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training images");
        }
        int stepsPerEpoch = (int) Math.ceil(train.size() / (double) options.batchSize());
        LearningRate schedule = new LearningRate(options.learningRate(), options.warmup(), options.decay(),
                (long) stepsPerEpoch * options.epochs());
        List<FineTuner.EpochRecord> history = new ArrayList<>();
        int firstEpoch = 1;
        if (resume != null) {
            restore(resume.weights());
            optimizer.restore(inOrder(resume.firstMoments()), inOrder(resume.secondMoments()), resume.optimizerSteps());
            iteration = resume.iteration();
            history.addAll(resume.history());
            firstEpoch = resume.epoch() + 1;
        }
        long start = System.nanoTime();
        long startIteration = iteration;
        long totalSteps = (long) stepsPerEpoch * Math.max(0, options.epochs() - firstEpoch + 1);
        boolean cancelled = false;
        double lastValidation = history.isEmpty() ? Double.NaN : history.get(history.size() - 1).validationScore();
        epochs:
        for (int epoch = firstEpoch; epoch <= options.epochs(); epoch++) {
            long epochStart = System.nanoTime();
            Random random = new Random(options.seed() * 1_000_003L + epoch);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < train.size(); i++) {
                order.add(i);
            }
            Collections.shuffle(order, random);
            double lossSum = 0;
            for (int s = 0; s < stepsPerEpoch; s++) {
                if (listener.isCancelled()) {
                    cancelled = true;
                    break epochs;
                }
                List<Rgb8Image> batch = new ArrayList<>();
                for (int k = s * options.batchSize(); k < Math.min(train.size(), (s + 1) * options.batchSize()); k++) {
                    batch.add(train.get(order.get(k)));
                }
                boolean[][] masks = new boolean[batch.size()][];
                for (int i = 0; i < masks.length; i++) {
                    masks[i] = PatchMasking.draw(head.patchCount(), options.maskRatio(), random);
                }
                double loss = step(batch, masks, schedule.at(iteration));
                lossSum += loss;
                long done = iteration - startIteration;
                double elapsed = (System.nanoTime() - start) / 1e9;
                listener.onIteration(iteration, epoch, loss, schedule.at(iteration - 1), elapsed / done * (totalSteps - done));
            }
            lastValidation = validationLoss(validation);
            FineTuner.EpochRecord record = new FineTuner.EpochRecord(epoch, iteration, lossSum / stepsPerEpoch,
                    lastValidation, (System.nanoTime() - epochStart) / 1e9);
            history.add(record);
            double elapsed = (System.nanoTime() - start) / 1e9;
            listener.onEpoch(record, elapsed / (epoch - firstEpoch + 1) * (options.epochs() - epoch));
            listener.onHistory(List.copyOf(history));
            int finished = epoch;
            double validationNow = lastValidation;
            listener.onEpochEnd(() -> new TrainingState(finished, iteration, optimizer.steps(),
                    Double.isNaN(validationNow) ? 0 : validationNow, finished, 0, List.copyOf(history), snapshot(),
                    Map.of(), TrainableTensors.named(trainable, optimizer.state(true)),
                    TrainableTensors.named(trainable, optimizer.state(false))));
        }
        return new Result(List.copyOf(history), iteration, (System.nanoTime() - start) / 1e9, cancelled, lastValidation);
    }

    /** Copies of the trainable tensors' values. */
    public Map<String, float[]> snapshot() {
        return TrainableTensors.snapshot(trainable);
    }

    /** Puts saved values back into the trainable tensors (in place, so gradients stay attached). */
    private void restore(Map<String, float[]> values) {
        TrainableTensors.restore(trainable, values);
    }

    private List<float[]> inOrder(Map<String, float[]> values) {
        return TrainableTensors.inOrder(trainable, values);
    }

    /** Ends training: gradients detached from the encoder, the head and optimizer state freed. */
    @Override
    public void close() {
        for (Param p : params) {
            p.value().setRequiresGradient(false);
        }
        optimizer.close();
        manager.close();
        head.close();
    }
}
