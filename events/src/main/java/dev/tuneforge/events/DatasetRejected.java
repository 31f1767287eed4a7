package dev.tuneforge.events;

/** Validation found hard errors; nothing of the upload was kept but the report. */
public record DatasetRejected(
        String projectId,
        String datasetId,
        String reason,
        long errorCount,
        String reportKey,
        DatasetReport report) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return datasetId;
    }
}
