package dev.tuneforge.events;

import java.util.Map;

/**
 * A user (through the gateway) or a pipeline asks for a fine-tuning job.
 *
 * @param method          {@code lora} or {@code full}
 * @param hyperparameters recipe values by name; absent ones take defaults or {@code auto}
 * @param modelName       the registry name the result is registered under
 * @param pipelineId      the pipeline that triggered the job, or null
 * @param priority        higher runs first among queued jobs; null means 0
 * @param runtime         the worker runtime to train on ({@code djl} or {@code torch}); null means trainer-service's
 *                        default ({@code tuneforge.trainer.default-runtime})
 * @param sweepId         the sweep this job is a trial of, or null
 * @param sweepTrial      its trial's index in the sweep (0-based), or null
 * @param trigger         why a pipeline started the job, for its audit trail, or null (a user's request):
 *                        {@code {"type": "new_data", "dataset_version": n}} or
 *                        {@code {"type": "drift", "event_id": the DriftDetected's id, "window_id", "model_version",
 *                        "metrics": [the detected metrics]}}
 */
public record TrainingRequested(
        String projectId,
        String jobId,
        String baseModel,
        String datasetId,
        int datasetVersion,
        String method,
        Map<String, Object> hyperparameters,
        String modelName,
        String requestedBy,
        String pipelineId,
        Integer priority,
        String runtime,
        String sweepId,
        Integer sweepTrial,
        Map<String, Object> trigger) implements TuneforgeEvent {

    public TrainingRequested(String projectId, String jobId, String baseModel, String datasetId, int datasetVersion,
                             String method, Map<String, Object> hyperparameters, String modelName, String requestedBy,
                             String pipelineId, Integer priority, String runtime, String sweepId, Integer sweepTrial) {
        this(projectId, jobId, baseModel, datasetId, datasetVersion, method, hyperparameters, modelName, requestedBy,
                pipelineId, priority, runtime, sweepId, sweepTrial, null);
    }

    public TrainingRequested(String projectId, String jobId, String baseModel, String datasetId, int datasetVersion,
                             String method, Map<String, Object> hyperparameters, String modelName, String requestedBy,
                             String pipelineId, Integer priority, String runtime) {
        this(projectId, jobId, baseModel, datasetId, datasetVersion, method, hyperparameters, modelName, requestedBy,
                pipelineId, priority, runtime, null, null);
    }

    public TrainingRequested(String projectId, String jobId, String baseModel, String datasetId, int datasetVersion,
                             String method, Map<String, Object> hyperparameters, String modelName, String requestedBy,
                             String pipelineId) {
        this(projectId, jobId, baseModel, datasetId, datasetVersion, method, hyperparameters, modelName, requestedBy,
                pipelineId, null, null);
    }

    public TrainingRequested(String projectId, String jobId, String baseModel, String datasetId, int datasetVersion,
                             String method, Map<String, Object> hyperparameters, String modelName, String requestedBy,
                             String pipelineId, Integer priority) {
        this(projectId, jobId, baseModel, datasetId, datasetVersion, method, hyperparameters, modelName, requestedBy,
                pipelineId, priority, null);
    }

    @Override
    public String aggregateId() {
        return jobId;
    }
}
