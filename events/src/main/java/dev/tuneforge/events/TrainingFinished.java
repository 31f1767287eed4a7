package dev.tuneforge.events;

import java.util.Map;

/**
 * The job produced a model: a PEFT adapter ({@code method=lora}) or a full model in HF layout.
 *
 * @param artifactKey S3 prefix of the adapter or model directory
 * @param metrics     final training metrics (train loss, best validation loss, ...)
 * @param runtime     the worker runtime that trained it ({@code djl}, {@code torch}); null from producers older than
 *                    the field, which only ran {@code djl}
 * @param sweepId     the sweep the job is a trial of, or null: eval-service evaluates a trial only as its sweep's best
 */
public record TrainingFinished(
        String projectId,
        String jobId,
        String modelName,
        String baseModel,
        String datasetId,
        int datasetVersion,
        String method,
        String artifactKey,
        String artifactSha256,
        long bestStep,
        Map<String, Double> metrics,
        String pipelineId,
        String runtime,
        String sweepId) implements TuneforgeEvent {

    public TrainingFinished(String projectId, String jobId, String modelName, String baseModel, String datasetId,
                            int datasetVersion, String method, String artifactKey, String artifactSha256, long bestStep,
                            Map<String, Double> metrics, String pipelineId, String runtime) {
        this(projectId, jobId, modelName, baseModel, datasetId, datasetVersion, method, artifactKey, artifactSha256,
                bestStep, metrics, pipelineId, runtime, null);
    }

    public TrainingFinished(String projectId, String jobId, String modelName, String baseModel, String datasetId,
                            int datasetVersion, String method, String artifactKey, String artifactSha256, long bestStep,
                            Map<String, Double> metrics, String pipelineId) {
        this(projectId, jobId, modelName, baseModel, datasetId, datasetVersion, method, artifactKey, artifactSha256,
                bestStep, metrics, pipelineId, null);
    }

    @Override
    public String aggregateId() {
        return jobId;
    }
}
