package dev.tuneforge.registry.domain;

import java.time.Instant;
import java.util.Map;

/**
 * A registered version and its model card, frozen at registration: where its artifact is, what it was
 * trained from and how, and what its evaluation said.
 *
 * @param status {@code candidate}, {@code promoted} (has been champion) or {@code rejected}
 */
public record ModelVersion(
        String projectId,
        String modelName,
        int version,
        String jobId,
        String evalId,
        String status,
        String artifactKey,
        String artifactSha256,
        String sourceArtifactKey,
        String baseModel,
        String method,
        Map<String, Object> hyperparameters,
        String datasetId,
        Integer datasetVersion,
        String datasetSha256,
        String reportKey,
        Map<String, Double> metrics,
        String gate,
        String reason,
        String requestedBy,
        String pipelineId,
        String registeredBy,
        Instant registeredAt) {

    public static final String CANDIDATE = "candidate";
    public static final String PROMOTED = "promoted";
    public static final String REJECTED = "rejected";
    public static final String ARCHIVED = "archived";

    public boolean archived() {
        return ARCHIVED.equals(status);
    }

    public boolean rejected() {
        return REJECTED.equals(status);
    }
}
