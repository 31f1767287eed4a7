package dev.tuneforge.dataset.domain;

import dev.tuneforge.events.DatasetReport;

/** An accepted version of a dataset: its files in S3, their digests and counts. */
public record DatasetVersion(
        String projectId,
        String datasetId,
        int version,
        Integer parentVersion,
        String format,
        String contentSha256,
        String uploadKey,
        String uploadSha256,
        StoredFile train,
        StoredFile validation,
        long newExamples,
        DatasetReport report) {

    /** A JSONL file in the object store. */
    public record StoredFile(String key, String sha256, long examples) {
    }
}
