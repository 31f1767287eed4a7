package dev.tuneforge.events;

/** The job is paused; {@code lastCheckpointStep} is where a resume continues (null: from the start). */
public record TrainingPaused(String projectId, String jobId, Long lastCheckpointStep) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
