package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;

/**
 * One accepted version of a dataset: its files (keys and sha256), counts, token statistics and report.
 *
 * @param newExamples examples this version added to its parent (all of them for a first version)
 */
public record DatasetVersionView(
        String datasetId,
        int version,
        Integer parentVersion,
        String contentSha256,
        String trainKey,
        String trainSha256,
        long trainExamples,
        String validationKey,
        String validationSha256,
        long validationExamples,
        long newExamples,
        JsonNode tokenStats,
        JsonNode report,
        OffsetDateTime createdAt) {
}
