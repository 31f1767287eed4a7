package dev.tuneforge.events;

public record TrainingCancelRequested(String projectId, String jobId, String requestedBy) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
