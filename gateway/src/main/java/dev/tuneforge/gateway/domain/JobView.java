package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;
import java.util.Set;

/**
 * A fine-tuning job as the API shows it, projected from TrainingRequested and trainer-service's events.
 *
 * @param state    {@code queued}, {@code running}, {@code paused}, {@code succeeded}, {@code failed} or
 *                 {@code cancelled}
 * @param trigger  why its pipeline started it (TrainingRequested's): {@code {"type": "new_data", "dataset_version"}}
 *                 or {@code {"type": "drift", "event_id", "window_id", "model_version", "metrics"}}, naming the
 *                 DriftDetected that started it; null for a job a user asked for
 * @param progress the last TrainingProgress, null before the first
 * @param evalId   the job's evaluation (EvalPassed/EvalFailed), null until it is evaluated
 * @param evalOutcome {@code passed} or {@code failed}: the evaluation gate's verdict
 */
public record JobView(
        String id,
        String state,
        String baseModel,
        String datasetId,
        Integer datasetVersion,
        String method,
        JsonNode hyperparameters,
        String modelName,
        Integer priority,
        String pipelineId,
        JsonNode trigger,
        Integer attempt,
        String runtime,
        String retryReason,
        Long resumedFromStep,
        Progress progress,
        Long lastCheckpointStep,
        Long bestStep,
        String artifactKey,
        String artifactSha256,
        JsonNode metrics,
        String failureCode,
        String failureMessage,
        OffsetDateTime createdAt,
        OffsetDateTime updatedAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        String evalId,
        String evalOutcome) {

    public static final Set<String> STATES = Set.of("queued", "running", "paused", "succeeded", "failed", "cancelled");
    /** A job in one of these states never changes again. */
    public static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

    /** The latest progress report; validation fields are those of the latest evaluation. */
    public record Progress(long step, long totalSteps, double percent, double epoch, double trainLoss,
                           double learningRate, double tokensPerSecond, Long etaSeconds, Double validLoss,
                           Double validTokenAccuracy) {
    }

    /** One point of the loss curve. */
    public record Metric(int attempt, long step, long totalSteps, double epoch, double trainLoss, double learningRate,
                         double tokensPerSecond, Double validLoss, Double validTokenAccuracy, OffsetDateTime time) {
    }

    public record Checkpoint(long step, String objectKey, String sha256, OffsetDateTime createdAt) {
    }

    public boolean isFinal() {
        return FINAL.contains(state);
    }
}
