package dev.tuneforge.gateway.domain;

import java.time.OffsetDateTime;

/** A dataset as the API shows it. */
public record DatasetView(
        String id,
        String name,
        String format,
        String status,
        String sha256,
        long sizeBytes,
        Integer version,
        Long examples,
        String reason,
        OffsetDateTime createdAt) {
}
