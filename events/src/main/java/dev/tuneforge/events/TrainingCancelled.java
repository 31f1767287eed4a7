package dev.tuneforge.events;

public record TrainingCancelled(String projectId, String jobId, Long lastCheckpointStep) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
