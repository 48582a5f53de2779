package io.github.samfiji.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.github.samfiji.model.Param;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW with decoupled weight decay, step for step as PyTorch's {@code torch.optim.AdamW} (amsgrad off): the
 * weight first shrinks by lr·wd, then moves by lr·m̂/(√v̂ + eps). Only the parameters given are touched, so frozen
 * weights stay bit-identical. Moments live in their own manager, freed by {@link #close()}.
 */
public final class AdamW implements AutoCloseable {

    private final List<Param> params;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private long steps;

    public AdamW(List<Param> params, double weightDecay, NDManager parent) {
        this(params, 0.9, 0.999, 1e-8, weightDecay, parent);
    }

    public AdamW(List<Param> params, double beta1, double beta2, double eps, double weightDecay, NDManager parent) {
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
        for (Param p : this.params) {
            firstMoments.add(manager.zeros(p.shape()));
            secondMoments.add(manager.zeros(p.shape()));
        }
    }

    public long steps() {
        return steps;
    }

    /** One update with learning rate {@code lr}; {@code gradients} are in the order of the parameters. */
    public void step(List<NDArray> gradients, double lr) {
        if (gradients.size() != params.size()) {
            throw new IllegalArgumentException(gradients.size() + " gradients for " + params.size() + " parameters");
        }
        steps++;
        double correction1 = 1 - Math.pow(beta1, steps);
        double correction2 = 1 - Math.pow(beta2, steps);
        double stepSize = lr / correction1;
        double sqrtCorrection2 = Math.sqrt(correction2);
        for (int i = 0; i < params.size(); i++) {
            NDArray w = params.get(i).value();
            NDArray g = gradients.get(i);
            NDArray m = firstMoments.get(i);
            NDArray v = secondMoments.get(i);
            // No gradients are recorded here; the scope frees the temporaries of each update.
            try (NDScope scope = new NDScope()) {
                if (weightDecay != 0) {
                    w.muli((float) (1 - lr * weightDecay));
                }
                m.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
                v.muli((float) beta2).addi(g.mul(g).muli((float) (1 - beta2)));
                NDArray denom = v.sqrt().divi((float) sqrtCorrection2).addi((float) eps);
                w.subi(m.div(denom).muli((float) stepSize));
            }
        }
    }

    /** Moments as flat float arrays (for checkpoints to resume from). */
    public List<float[]> state(boolean first) {
        List<float[]> out = new ArrayList<>();
        for (NDArray a : first ? firstMoments : secondMoments) {
            out.add(a.toFloatArray());
        }
        return out;
    }

    /** Restores moments and the step count saved by {@link #state(boolean)}. */
    public void restore(List<float[]> first, List<float[]> second, long stepCount) {
        for (int i = 0; i < params.size(); i++) {
            firstMoments.get(i).set(first.get(i));
            secondMoments.get(i).set(second.get(i));
        }
        steps = stepCount;
    }

    @Override
    public void close() {
        manager.close();
    }
}
