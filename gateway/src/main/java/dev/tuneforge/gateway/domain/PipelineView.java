package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;
import java.util.Set;

/**
 * A retraining pipeline as the API shows it: its last PipelineConfigured.
 *
 * @param status  {@code active}, {@code paused} or {@code deleted}
 * @param runtime the runtime its jobs train on; null: trainer-service's default
 */
public record PipelineView(
        String id,
        String status,
        String datasetId,
        String baseModel,
        String modelName,
        String method,
        JsonNode hyperparameters,
        JsonNode gate,
        JsonNode triggers,
        String runtime,
        OffsetDateTime createdAt,
        OffsetDateTime updatedAt) {

    public static final Set<String> STATUSES = Set.of("active", "paused", "deleted");
}
