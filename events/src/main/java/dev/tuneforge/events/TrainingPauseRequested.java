package dev.tuneforge.events;

/** Pause a job: a running attempt writes a checkpoint and stops; the job waits until resumed. */
public record TrainingPauseRequested(String projectId, String jobId, String requestedBy) implements TuneforgeEvent {

    @Override
    public String aggregateId() {
        return jobId;
    }
}
