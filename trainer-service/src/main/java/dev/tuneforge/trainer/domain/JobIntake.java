package dev.tuneforge.trainer.domain;

import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.trainer.storage.Jobs;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Takes job requests into the queue and handles cancellation of jobs that have not finished.
 * Scheduling onto slots and launching workers build on the queued jobs.
 */
@ApplicationScoped
public class JobIntake {

    private final Jobs jobs;
    private final Outbox outbox;

    public JobIntake(Jobs jobs, Outbox outbox) {
        this.jobs = jobs;
        this.outbox = outbox;
    }

    public void requested(TrainingRequested request) {
        if (jobs.state(request.jobId()).isEmpty()) {
            jobs.insert(request, JobState.QUEUED);
        }
    }

    /** Idempotent: cancelling a finished or unknown job changes nothing. */
    public void cancelRequested(TrainingCancelRequested cancel) {
        jobs.state(cancel.jobId()).filter(state -> !state.isFinal()).ifPresent(state -> {
            jobs.setState(cancel.jobId(), JobState.CANCELLED);
            outbox.publish(new TrainingCancelled(cancel.projectId(), cancel.jobId(), null));
        });
    }
}
