package dev.tuneforge.events;

/**
 * The job was cancelled: by a user, or, for a sweep's trial, by the sweep's median stopping rule.
 *
 * @param stoppedEarly true when the sweep stopped the trial (null or false: a user's cancel)
 * @param reason       why the sweep stopped it (its best validation loss against the median), else null
 */
public record TrainingCancelled(String projectId, String jobId, Long lastCheckpointStep, Boolean stoppedEarly,
                                String reason) implements TuneforgeEvent {

    public TrainingCancelled(String projectId, String jobId, Long lastCheckpointStep) {
        this(projectId, jobId, lastCheckpointStep, null, null);
    }

    @Override
    public String aggregateId() {
        return jobId;
    }
}
