package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A hyperparameter sweep as the API shows it: its request ({@code SweepRequested}), its outcome ({@code SweepFinished})
 * and, in {@code GET /api/v1/sweeps/{id}}, every trial (null in lists).
 *
 * @param status   {@code running}, {@code succeeded} (it has a best trial) or {@code failed} ({@code reason} says why)
 * @param bestJobId the best trial's job: the sweep's candidate for the gate
 */
public record SweepView(
        String id,
        String status,
        String datasetId,
        Integer datasetVersion,
        String baseModel,
        String modelName,
        String method,
        JsonNode hyperparameters,
        JsonNode searchSpace,
        String strategy,
        Integer maxTrials,
        Integer parallelism,
        Long seed,
        JsonNode medianStop,
        String runtime,
        JsonNode gate,
        String reason,
        String bestJobId,
        List<Trial> trials,
        OffsetDateTime createdAt,
        OffsetDateTime updatedAt,
        OffsetDateTime finishedAt) {

    public static final Set<String> STATUSES = Set.of("running", "succeeded", "failed");

    /**
     * One trial.
     *
     * @param parameters    its values of the search space's parameters
     * @param state         {@code pending} (not requested yet), its job's state ({@code queued}, {@code running},
     *                      {@code paused}, {@code succeeded}, {@code failed}, {@code cancelled}), or
     *                      {@code stopped_early} (the median rule stopped it)
     * @param jobId         its job, once requested
     * @param bestValidLoss its lowest validation loss so far
     * @param reason        why it was stopped early or failed
     * @param best          whether it is the sweep's best trial
     */
    public record Trial(int index, Map<String, Object> parameters, String state, String jobId, Double bestValidLoss,
                        boolean stoppedEarly, String reason, boolean best) {
    }

    public SweepView withTrials(List<Trial> all) {
        return new SweepView(id, status, datasetId, datasetVersion, baseModel, modelName, method, hyperparameters,
                searchSpace, strategy, maxTrials, parallelism, seed, medianStop, runtime, gate, reason, bestJobId, all,
                createdAt, updatedAt, finishedAt);
    }
}
