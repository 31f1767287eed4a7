package dev.tuneforge.events;

public record CheckpointSaved(
        String projectId,
        String jobId,
        long step,
        String objectKey,
        String sha256) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
