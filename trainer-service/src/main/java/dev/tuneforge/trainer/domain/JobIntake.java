package dev.tuneforge.trainer.domain;

import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingPauseRequested;
import dev.tuneforge.events.TrainingPaused;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingResumeRequested;
import dev.tuneforge.events.TrainingResumed;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.trainer.storage.Jobs;
import dev.tuneforge.trainer.sweeps.Sweeps;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Commands about jobs. A request enters {@code validating} (the scheduler checks it against the dataset
 * version and the base model); cancel, pause and resume are idempotent: a job not running changes at once,
 * a running one is flagged and its worker is stopped by the instance that runs it (checkpoint, exit TERMINATED).
 * All run inside the inbox's transaction; a job that may be claimed now wakes the {@link Scheduler} once it commits.
 */
@ApplicationScoped
public class JobIntake {

    private final Jobs jobs;
    private final Outbox outbox;
    private final TrainerConfig config;
    private final Scheduler scheduler;
    private final Sweeps sweeps;

    public JobIntake(Jobs jobs, Outbox outbox, TrainerConfig config, Scheduler scheduler, Sweeps sweeps) {
        this.jobs = jobs;
        this.outbox = outbox;
        this.config = config;
        this.scheduler = scheduler;
        this.sweeps = sweeps;
    }

    /** The job keeps the runtime it asks for, or this service's default, for every attempt. */
    public void requested(TrainingRequested request) {
        if (jobs.state(request.jobId()).isEmpty()) {
            jobs.insert(request, JobState.VALIDATING,
                    request.runtime() == null ? config.defaultRuntime() : request.runtime());
            scheduler.wakeAfterCommit();
        }
    }

    /** Idempotent: cancelling a finished or unknown job changes nothing. */
    public void cancelRequested(TrainingCancelRequested cancel) {
        jobs.lock(cancel.jobId()).filter(job -> !job.state().isFinal()).ifPresent(job -> {
            if (job.state() == JobState.RUNNING) {
                jobs.requestStop(job.jobId(), true);
            } else {
                jobs.ended(job.jobId(), JobState.CANCELLED, null, null);
                outbox.publish(new TrainingCancelled(job.projectId(), job.jobId(), job.lastCheckpointStep()));
                sweeps.trialEnded(job.jobId(), "cancelled", null, null);
            }
        });
    }

    public void pauseRequested(TrainingPauseRequested pause) {
        jobs.lock(pause.jobId()).ifPresent(job -> {
            switch (job.state()) {
                case RUNNING -> jobs.requestStop(job.jobId(), false);
                case QUEUED, VALIDATING -> {
                    jobs.ended(job.jobId(), JobState.PAUSED, null, null);
                    outbox.publish(new TrainingPaused(job.projectId(), job.jobId(), job.lastCheckpointStep()));
                }
                default -> {
                }
            }
        });
    }

    public void resumeRequested(TrainingResumeRequested resume) {
        jobs.lock(resume.jobId()).filter(job -> job.state() == JobState.PAUSED).ifPresent(job -> {
            jobs.setState(job.jobId(), job.recipe() == null ? JobState.VALIDATING : JobState.QUEUED);
            outbox.publish(new TrainingResumed(job.projectId(), job.jobId(), job.lastCheckpointStep()));
            scheduler.wakeAfterCommit();
        });
    }
}
