package dev.tuneforge.events;

/** A worker process for an attempt of the job is running. */
public record TrainingStarted(
        String projectId,
        String jobId,
        int attempt,
        String runtime,
        String slot,
        Integer resumedFromStep) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
