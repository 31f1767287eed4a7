package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;

/**
 * Where a model version comes from (GET /api/v1/models/{name}/versions/{version}/lineage): version → job → dataset
 * version → the upload it came from, each with its digests. A link the read model does not have is null.
 */
public record ModelLineage(Model model, Job job, DatasetVersion datasetVersion, Upload upload) {

    public record Model(String name, int version, String status, String artifactKey, String artifactSha256,
                        OffsetDateTime registeredAt) {
    }

    public record Job(String id, String state, String method, JsonNode hyperparameters, String requestedBy,
                      OffsetDateTime createdAt, OffsetDateTime finishedAt, String artifactKey, String artifactSha256,
                      ModelCard.BaseModel baseModel) {
    }

    public record DatasetVersion(String datasetId, String name, int version, Integer parentVersion,
                                 String contentSha256, String trainKey, String trainSha256, String validationKey,
                                 String validationSha256, OffsetDateTime createdAt) {
    }

    /** The upload (DatasetUploaded) a dataset version came from. */
    public record Upload(String objectKey, String sha256, Long sizeBytes, String validationObjectKey,
                         String uploadedBy, String uploadedAt) {
    }
}
