package dev.tuneforge.worker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.tuneforge.worker.model.ScalarTensor;

/**
 * TRL's {@code sigmoid} DPO loss with label smoothing (conservative DPO), per pair:
 * {@code r = beta * ((logp(chosen) - ref(chosen)) - (logp(rejected) - ref(rejected)))} and
 * {@code loss = -(1 - eps) * log sigmoid(r) - eps * log sigmoid(-r)}.
 *
 * <p>{@code -log sigmoid(x)} is computed as {@code softplus(-x)}, libtorch's, which never forms {@code exp} of a
 * large number: a pair the model already orders by a wide margin costs about 0, not NaN. Beta and the smoothing
 * weights are {@link ScalarTensor}s because autograd keeps them for backward.
 */
public final class DpoLoss {

    private final double beta;
    private final double labelSmoothing;

    public DpoLoss(double beta, double labelSmoothing) {
        this.beta = beta;
        this.labelSmoothing = labelSmoothing;
    }

    /**
     * @param losses  {@code [pairs]} each pair's loss
     * @param rewards {@code [pairs]} each pair's {@code r}, the chosen reward minus the rejected one
     */
    public record Pairs(NDArray losses, NDArray rewards) { }

    /** All arguments {@code [pairs]}; the policy's may carry gradients, the reference's are constants. */
    public Pairs of(NDArray chosen, NDArray rejected, NDArray referenceChosen, NDArray referenceRejected) {
        NDArray chosenRatio = chosen.sub(referenceChosen);
        NDArray rejectedRatio = rejected.sub(referenceRejected);
        NDArray r = chosenRatio.sub(rejectedRatio).mul(ScalarTensor.of(chosenRatio, (float) beta));
        NDArray loss = Activation.softPlus(r.neg());
        if (labelSmoothing > 0) {
            loss = loss.mul(ScalarTensor.of(loss, (float) (1 - labelSmoothing)))
                    .add(Activation.softPlus(r).mul(ScalarTensor.of(loss, (float) labelSmoothing)));
        }
        return new Pairs(loss, r);
    }
}
