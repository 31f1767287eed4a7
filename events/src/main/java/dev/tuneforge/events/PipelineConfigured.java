package dev.tuneforge.events;

import java.util.Map;

/**
 * A pipeline binds a dataset, a base model, a recipe and a gate, with retraining triggers.
 *
 * @param status  {@code active}, {@code paused} or {@code deleted}
 * @param runtime the worker runtime its jobs train on ({@code djl}, {@code torch}); null means trainer-service's
 *                default at each retraining
 */
public record PipelineConfigured(
        String projectId,
        String pipelineId,
        String datasetId,
        String baseModel,
        String modelName,
        String method,
        Map<String, Object> hyperparameters,
        Map<String, Object> gate,
        Map<String, Object> triggers,
        String status,
        String runtime) implements TuneforgeEvent {

    public PipelineConfigured(String projectId, String pipelineId, String datasetId, String baseModel, String modelName,
                              String method, Map<String, Object> hyperparameters, Map<String, Object> gate,
                              Map<String, Object> triggers, String status) {
        this(projectId, pipelineId, datasetId, baseModel, modelName, method, hyperparameters, gate, triggers, status,
                null);
    }

    @Override
    public String aggregateId() {
        return pipelineId;
    }
}
