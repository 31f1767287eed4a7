package dev.tuneforge.trainer.launch;

import dev.tuneforge.launcher.RunningWorker;
import dev.tuneforge.trainer.storage.DatasetVersions.DatasetVersion;
import dev.tuneforge.trainer.storage.Jobs.Job;
import java.util.Optional;

/**
 * What differs between running an attempt as a local process and as a Kubernetes Job: how the inputs reach the
 * worker, how it is started, and how what it writes reaches S3. Everything else (leases, transitions, exit codes)
 * is {@link AttemptRunner}'s, the same for both.
 */
public interface WorkerLauncher {

    /** The runtime's name ({@code djl}, {@code torch}) for the job's events and records. */
    String runtime();

    /**
     * Stages the attempt's inputs (base model, dataset version, the job's last checkpoint if it has one) and starts
     * its worker.
     */
    RunningWorker start(Job job, int attempt, DatasetVersion dataset) throws Exception;

    /**
     * The worker a dead instance left running for this attempt, to be followed from its first event; empty if there
     * is none (a local process cannot be taken over).
     */
    Optional<RunningWorker> readopt(Job job, int attempt);

    /**
     * The reported checkpoint {@code dir} is in S3 at {@code key}: uploaded from here, or uploaded by the pod's
     * sidecar and waited for. Returns its digest, or null if it did not arrive in time.
     */
    String checkpoint(String dir, String key) throws InterruptedException;

    /** The same for the output directory ({@code adapter} or {@code model}). */
    String output(String dir, String key) throws InterruptedException;

    /** The digest of the output at {@code key} if it is complete in S3 now, else null (no waiting). */
    String outputIfPresent(String key);

    /** Uploads {@code trainer_state.json}, where it is not the sidecar's job. */
    void trainerState(String file, String key);

    /**
     * Whether the worker outlives this instance (a Job): a lost lease or a shutdown then leaves it running for the
     * instance that takes the job over, instead of stopping it.
     */
    boolean survivesInstance();
}
