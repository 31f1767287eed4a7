package dev.tuneforge.events;

/**
 * A dataset version passed validation and was split; its files are in S3.
 *
 * @param parentVersion the version this one was appended to, or null
 * @param newExamples   examples not present in the parent version
 */
public record DatasetReady(
        String projectId,
        String datasetId,
        int version,
        Integer parentVersion,
        String format,
        String contentSha256,
        String trainKey,
        String trainSha256,
        long trainExamples,
        String validationKey,
        String validationSha256,
        long validationExamples,
        long newExamples,
        TokenStats tokenStats,
        String reportKey,
        DatasetReport report) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return datasetId;
    }
}
