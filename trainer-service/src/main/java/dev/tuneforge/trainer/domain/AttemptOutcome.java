package dev.tuneforge.trainer.domain;

import dev.tuneforge.worker.protocol.ExitCode;

/**
 * How an attempt ended, as the trainer decides on it: stored as a value of its own ({@code attempts.outcome}), next
 * to the words for people ({@code attempts.outcome_message}), so that counting crashes towards {@code max-attempts}
 * never depends on how a message is worded.
 */
public enum AttemptOutcome {

    /** The worker finished and its output is in S3. */
    SUCCEEDED,
    /** A requested cancel stopped it. */
    CANCELLED,
    /** A requested pause stopped it. */
    PAUSED,
    /** Bad spec or data: the job failed, retrying cannot help. */
    FAILED,
    /** This trainer instance shut down and stopped it; the job is requeued, which is no crash. */
    STOPPED,
    /** Killed, out of memory, a native crash or a bug: the job resumes from its last checkpoint. */
    CRASHED,
    /** Its trainer instance stopped renewing the lease (or lost it) while it ran. */
    LOST;

    /** Whether it counts towards {@code max-attempts}. */
    public boolean isCrash() {
        return this == CRASHED || this == LOST;
    }

    /**
     * How an attempt whose worker exited without finishing ended: a requested cancel or pause wins; then the exit
     * decides. {@link ExitCode#TERMINATED} is a stop only when this instance is shutting down, else someone else
     * stopped the worker (a Job's deadline) and it is a crash like any other.
     */
    public static AttemptOutcome ofExit(boolean cancelRequested, boolean pauseRequested, ExitCode exit,
                                        boolean instanceStopping) {
        if (cancelRequested) {
            return CANCELLED;
        }
        if (pauseRequested) {
            return PAUSED;
        }
        return switch (exit) {
            case BAD_INPUT -> FAILED;
            case TERMINATED -> instanceStopping ? STOPPED : CRASHED;
            case DONE, INTERNAL, OUT_OF_RESOURCES, KILLED, SIGNALLED, OTHER -> CRASHED;
        };
    }
}
