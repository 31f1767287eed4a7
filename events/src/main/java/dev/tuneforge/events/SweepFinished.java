package dev.tuneforge.events;

import java.util.List;
import java.util.Map;

/**
 * Every trial of a sweep has ended. The best trial (the lowest best validation loss among the trials that succeeded)
 * is the sweep's candidate: {@code best} is that trial's own {@code TrainingFinished}, which eval-service evaluates as
 * it evaluates any finished job (it evaluates no trial's {@code TrainingFinished} on its own).
 *
 * @param status {@code succeeded} (a best trial) or {@code failed} (no trial succeeded, or the search space could not be
 *               expanded: {@code reason} says why)
 * @param gate   the sweep's gate (null: the default), for the evaluation of {@code best}
 */
public record SweepFinished(
        String projectId,
        String sweepId,
        String modelName,
        String status,
        String reason,
        String bestJobId,
        TrainingFinished best,
        List<Trial> trials,
        Map<String, Object> gate) implements TuneforgeEvent {

    /**
     * One trial as it ended.
     *
     * @param parameters    the trial's values of the search space's parameters
     * @param state         {@code succeeded}, {@code failed}, {@code cancelled} or {@code stopped_early}
     * @param bestValidLoss its lowest validation loss, null without validations
     * @param reason        why it was stopped early or failed, else null
     */
    public record Trial(int index, String jobId, Map<String, Object> parameters, String state, Double bestValidLoss,
                        String reason) {
    }

    @Override
    public String aggregateId() {
        return sweepId;
    }
}
