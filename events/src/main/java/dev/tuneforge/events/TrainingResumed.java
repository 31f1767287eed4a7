package dev.tuneforge.events;

/** A paused job is queued again; it continues from {@code fromStep} (null: from the start). */
public record TrainingResumed(String projectId, String jobId, Long fromStep) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
