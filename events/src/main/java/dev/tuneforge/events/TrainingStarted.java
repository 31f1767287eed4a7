package dev.tuneforge.events;

/**
 * A worker process for an attempt of the job is running.
 *
 * @param resumedFromStep the checkpoint step this attempt continues from, or null for a fresh start
 * @param retryReason     why the previous attempt ended, when this attempt is a retry (e.g. "worker exited
 *                        with 139 (killed by signal 11)"), else null
 */
public record TrainingStarted(
        String projectId,
        String jobId,
        int attempt,
        String runtime,
        String slot,
        Integer resumedFromStep,
        String retryReason) implements TuneforgeEvent {

    public TrainingStarted(String projectId, String jobId, int attempt, String runtime, String slot,
                           Integer resumedFromStep) {
        this(projectId, jobId, attempt, runtime, slot, resumedFromStep, null);
    }

    @Override
    public String aggregateId() {
        return jobId;
    }
}
