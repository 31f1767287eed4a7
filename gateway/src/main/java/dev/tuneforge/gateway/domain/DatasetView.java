package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;

/**
 * A dataset as the API shows it: its latest accepted version and the outcome of its last upload.
 *
 * @param status  of the last upload: {@code validating}, {@code ready} or {@code rejected}
 * @param version the latest accepted version, null until one is
 * @param report  dataset-service's validation report of the last upload, null while validating
 */
public record DatasetView(
        String id,
        String name,
        String format,
        String purpose,
        String status,
        String sha256,
        long sizeBytes,
        Integer version,
        Long examples,
        String reason,
        JsonNode report,
        OffsetDateTime createdAt) {
}
