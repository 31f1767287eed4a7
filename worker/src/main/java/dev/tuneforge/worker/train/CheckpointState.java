package dev.tuneforge.worker.train;

import java.util.List;
import java.util.Map;

/**
 * Where a run stands, as a checkpoint records it besides the weights and optimizer moments. The data
 * position is the step: the plan is rebuilt from the same seed, so {@code (epoch, stepInEpoch)} and the
 * shuffled order follow from it, and the recorded fingerprint proves it is the same plan. Dropout
 * draws are seeded from (seed, step, micro-batch), so no generator state needs saving.
 *
 * @param bestValidLoss null until a validation has run
 */
public record CheckpointState(
        long globalStep,
        int epoch,
        int stepInEpoch,
        long seed,
        String planFingerprint,
        long optimizerStep,
        long schedulerStep,
        long bestStep,
        Double bestValidLoss,
        int evalsWithoutImprovement,
        List<Map<String, Object>> logHistory) {

    public CheckpointState {
        logHistory = List.copyOf(logHistory);
    }
}
