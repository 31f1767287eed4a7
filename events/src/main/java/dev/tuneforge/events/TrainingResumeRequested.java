package dev.tuneforge.events;

/** Resume a paused job: it goes back to the queue and continues from its last checkpoint. */
public record TrainingResumeRequested(String projectId, String jobId, String requestedBy) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
