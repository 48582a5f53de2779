package io.github.samfiji.training;

import io.github.samfiji.model.Param;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a fine-tuning run keeps from epoch to epoch, the same for both model families: the history, the best validation
 * score with its epoch and weights, the epochs since it (early stopping), and the state to save after an epoch so that
 * a resumed run continues exactly.
 */
final class EpochBook {

    private final FineTuneOptions options;
    private final Map<String, Param> trainable;
    private final List<FineTuner.EpochRecord> history = new ArrayList<>();
    private Map<String, float[]> best;
    private double bestScore = Double.NEGATIVE_INFINITY;
    private int bestEpoch;
    private int sinceBest;

    /** A new run: the starting weights are the best so far until an epoch validates. */
    EpochBook(FineTuneOptions options, Map<String, Param> trainable) {
        this.options = options;
        this.trainable = trainable;
        this.best = TrainableTensors.snapshot(trainable);
    }

    /**
     * Continues from a saved state: the trained tensors and the optimizer's moments put back, this book's counters
     * restored; returns the first epoch left to run.
     */
    int resume(TrainingState state, AdamW optimizer) {
        TrainableTensors.restore(trainable, state.weights());
        optimizer.restore(TrainableTensors.inOrder(trainable, state.firstMoments()),
                TrainableTensors.inOrder(trainable, state.secondMoments()), state.optimizerSteps());
        history.addAll(state.history());
        best = state.best();
        bestScore = state.bestScore();
        bestEpoch = state.bestEpoch();
        sinceBest = state.sinceBest();
        return state.epoch() + 1;
    }

    /** Whether the epoch is one that validates (every {@code validateEvery} epochs, and the last). */
    boolean validates(int epoch) {
        return epoch % options.validateEvery() == 0 || epoch == options.epochs();
    }

    /**
     * Adds an epoch. When it validated and beats every epoch before, its weights become the best and the listener
     * hears of it (which writes the best model).
     */
    void add(FineTuner.EpochRecord record, boolean validated, FineTuner.Listener listener) {
        history.add(record);
        if (!validated) {
            return;
        }
        if (record.validationScore() > bestScore) {
            bestScore = record.validationScore();
            bestEpoch = record.epoch();
            sinceBest = 0;
            best = TrainableTensors.snapshot(trainable);
            listener.onNewBest(record);
        } else {
            sinceBest += options.validateEvery();
        }
    }

    /** Whether early stopping says stop: that many epochs without a better validation score. */
    boolean patienceSpent() {
        return options.patience() > 0 && sinceBest >= options.patience();
    }

    List<FineTuner.EpochRecord> history() {
        return List.copyOf(history);
    }

    Map<String, float[]> best() {
        return best;
    }

    /**
     * The state after {@code epoch} for resuming: this book as it is now; the weights and the optimizer's moments read
     * when the state is asked for.
     */
    Supplier<TrainingState> stateAfter(int epoch, long iteration, AdamW optimizer) {
        double score = bestScore;
        int at = bestEpoch;
        int since = sinceBest;
        List<FineTuner.EpochRecord> sofar = history();
        Map<String, float[]> bestWeights = best;
        return () -> new TrainingState(epoch, iteration, optimizer.steps(), score, at, since, sofar,
                TrainableTensors.snapshot(trainable), bestWeights,
                TrainableTensors.named(trainable, optimizer.state(true)),
                TrainableTensors.named(trainable, optimizer.state(false)));
    }

    FineTuner.Result result(boolean stoppedEarly, boolean cancelled, long iteration, double seconds) {
        return new FineTuner.Result(history(), bestScore, bestEpoch, stoppedEarly, cancelled, iteration, seconds);
    }
}
