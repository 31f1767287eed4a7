package dev.tuneforge.events;

/** The job gave up: {@code code} is stable for scripts (e.g. {@code bad_spec}, {@code out_of_resources}). */
public record TrainingFailed(
        String projectId,
        String jobId,
        String code,
        String message,
        int attempts) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
