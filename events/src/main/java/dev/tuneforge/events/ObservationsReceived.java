package dev.tuneforge.events;

/** A batch of served prompts/completions, stored as JSONL in S3, for drift monitoring. */
public record ObservationsReceived(
        String projectId,
        String modelName,
        Integer modelVersion,
        String objectKey,
        long count) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return modelName;
    }
}
