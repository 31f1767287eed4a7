package dev.tuneforge.events;

import java.util.Map;

/**
 * A pipeline binds a dataset, a base model, a recipe and a gate, with retraining triggers.
 *
 * @param status {@code active}, {@code paused} or {@code deleted}
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
        String status) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return pipelineId;
    }
}
