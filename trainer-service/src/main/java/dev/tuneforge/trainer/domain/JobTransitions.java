package dev.tuneforge.trainer.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingPaused;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.recipe.Recipe;
import dev.tuneforge.kit.recipe.RecipeException;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.kit.storage.ObjectStoreException;
import dev.tuneforge.launcher.WorkerSlots;
import dev.tuneforge.trainer.storage.Attempts;
import dev.tuneforge.trainer.storage.Checkpoints;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs;
import dev.tuneforge.trainer.storage.Jobs.Job;
import dev.tuneforge.trainer.sweeps.Sweeps;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.FailureCode;
import dev.tuneforge.worker.protocol.WorkerExit;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.InputStream;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Every change of a job's state, each in one transaction with the event it emits (outbox). Changes made on
 * behalf of a running attempt first check that this instance still holds the job's lease for that attempt:
 * an instance that lost its lease (it was too slow, another took over) changes nothing, so two instances
 * never both finish a job.
 */
@ApplicationScoped
public class JobTransitions {

    private final Jobs jobs;
    private final Attempts attempts;
    private final Checkpoints checkpoints;
    private final DatasetVersions datasets;
    private final ObjectStore store;
    private final Outbox outbox;
    private final TrainerConfig config;
    private final Sweeps sweeps;

    public JobTransitions(Jobs jobs, Attempts attempts, Checkpoints checkpoints, DatasetVersions datasets,
                          ObjectStore store, Outbox outbox, TrainerConfig config, Sweeps sweeps) {
        this.jobs = jobs;
        this.attempts = attempts;
        this.checkpoints = checkpoints;
        this.datasets = datasets;
        this.store = store;
        this.outbox = outbox;
        this.config = config;
        this.sweeps = sweeps;
    }

    /**
     * {@code validating → queued}, or {@code failed} with code {@code invalid_request} naming what is wrong (among it,
     * a method the job's runtime lacks: {@link Recipe#runtimeProblem}, and a dataset of the wrong kind for the method:
     * {@link Recipe#dataProblem}; the gateway refuses such a job first, a
     * pipeline's job or an older request is refused here).
     * A dataset version the trainer has not heard of yet (its {@code DatasetReady} may still be on its way)
     * keeps the job waiting until {@code validation-timeout}; so does the general dataset of a recipe's {@code mix}
     * (the version it names, else the latest ready one of the job's project), which must be of the job's format family
     * ({@link Recipe#mixProblem}): the job is queued with the mix pinned to that version and with what it adds
     * ({@code task_examples}, {@code general_examples}: {@link Recipe.Mix#pinned}). S3 failing as the base model is read is thrown (an
     * {@code ObjectStoreException}): nothing changes, and the scheduler tries again at its next tick.
     */
    @Transactional
    public void validate(String jobId) {
        Optional<Job> locked = jobs.lock(jobId);
        if (locked.isEmpty() || locked.get().state() != JobState.VALIDATING) {
            return;
        }
        Job job = locked.get();
        if (!WorkerSlots.RUNTIMES.contains(job.runtime())) {
            fail(job, "invalid_request", "runtime: must be one of " + new TreeSet<>(WorkerSlots.RUNTIMES) + ", got '"
                    + job.runtime() + "'");
            return;
        }
        Optional<String> wrongRuntime = Recipe.runtimeProblem(job.method(), job.runtime());
        if (wrongRuntime.isPresent()) {
            fail(job, "invalid_request", "runtime: " + wrongRuntime.get());
            return;
        }
        var dataset = datasets.find(job.datasetId(), job.datasetVersion());
        if (dataset.isEmpty()) {
            if (job.createdAt().plus(config.validationTimeout()).isBefore(OffsetDateTime.now())) {
                fail(job, "invalid_request", "dataset " + job.datasetId() + " version " + job.datasetVersion()
                        + " is not ready (no DatasetReady within " + config.validationTimeout() + ")");
            }
            return;
        }
        if (!dataset.get().projectId().equals(job.projectId())) {
            fail(job, "invalid_request", "dataset " + job.datasetId() + " belongs to another project");
            return;
        }
        Optional<String> wrongData = Recipe.dataProblem(job.method(), dataset.get().format());
        if (wrongData.isPresent()) {
            fail(job, "invalid_request", "method: " + wrongData.get() + " (dataset " + job.datasetId() + " version "
                    + job.datasetVersion() + ")");
            return;
        }
        Optional<Recipe.Mix> mix = Recipe.Mix.of(job.hyperparameters());
        DatasetVersions.DatasetVersion general = null;
        if (mix.isPresent()) {
            Optional<DatasetVersions.DatasetVersion> found = mix.get().datasetVersion() == null
                    ? datasets.latest(job.projectId(), mix.get().datasetId())
                    : datasets.find(mix.get().datasetId(), mix.get().datasetVersion())
                            .filter(v -> v.projectId().equals(job.projectId()));
            String named = "the general dataset " + mix.get().datasetId() + (mix.get().datasetVersion() == null ? ""
                    : " version " + mix.get().datasetVersion());
            if (found.isEmpty()) {
                if (job.createdAt().plus(config.validationTimeout()).isBefore(OffsetDateTime.now())) {
                    fail(job, "invalid_request", "hyperparameters.mix.dataset_id: " + named + " is not a ready dataset "
                            + "version of this project (no DatasetReady within " + config.validationTimeout() + ")");
                }
                return;
            }
            Optional<String> wrongMix = Recipe.mixProblem(dataset.get().format(), found.get().format());
            if (wrongMix.isPresent()) {
                fail(job, "invalid_request", "hyperparameters.mix.dataset_id: " + wrongMix.get());
                return;
            }
            if (found.get().trainExamples() == 0) {
                fail(job, "invalid_request", "hyperparameters.mix.dataset_id: " + named + " has no training examples");
                return;
            }
            general = found.get();
        }
        String configKey = ObjectKeys.baseModel(job.baseModel()) + "config.json";
        Optional<byte[]> config = baseModelConfig(job.baseModel());
        if (config.isEmpty()) {
            fail(job, "invalid_request", "unknown base model '" + job.baseModel() + "' (nothing at s3 " + configKey
                    + ")");
            return;
        }
        Optional<Recipe.BaseModelShape> shape = shapeOf(config.get());
        if (shape.isEmpty()) {
            fail(job, "invalid_request", "base model '" + job.baseModel() + "': s3 " + configKey
                    + " is not a JSON object");
            return;
        }
        try {
            long examples = dataset.get().trainExamples();
            Recipe recipe = Recipe.resolve(job.method(), job.hyperparameters(), examples, shape.get());
            long generalExamples = 0;
            if (general != null) {
                recipe = recipe.withMix(mix.get().pinned(general.version(), examples));
                generalExamples = mix.get().generalExamples(examples);
            }
            jobs.queued(jobId, recipe.resolved(), recipe.estimatedSteps(examples + generalExamples));
        } catch (RecipeException e) {
            fail(job, "invalid_request", e.getMessage());
        }
    }

    /**
     * What a claim gives the attempt runner.
     *
     * @param readopted   the attempt keeps its number: its worker (a Kubernetes Job) outlived the instance that
     *                    started it and is followed as it is, not launched again
     * @param resumedFrom the checkpoint step the attempt starts from, or null
     */
    public record Claim(Job job, int attempt, String retryReason, Long orphanPid, String orphanWorkdir,
                        String orphanHost, boolean readopted, Long resumedFrom) { }

    /** Whether the worker of (job id, attempt) outlived its instance and can be taken over as it is. */
    @FunctionalInterface
    public interface Survivors {
        Survivors NONE = (jobId, attempt) -> false;

        boolean adoptable(String jobId, int attempt);
    }

    /** {@link #claimNext(String, String, String, String, Survivors)} for workers that die with their instance. */
    @Transactional
    public Optional<Claim> claimNext(String owner, String slot, String runtime, String host) {
        return claimNext(owner, slot, runtime, host, Survivors.NONE);
    }

    /**
     * Takes the next runnable job of {@code runtime} for {@code slot}: a queued job, or a running one whose owner's
     * lease expired (every attempt of a job runs on its runtime: a checkpoint resumes only where it was written). Jobs with a pending cancel or pause end here instead of running. A running job whose attempt
     * {@code survivors} says is still alive (a Kubernetes Job) is re-adopted under the same attempt number — a
     * pending cancel or pause then reaches it through the new owner; otherwise its attempt is recorded as lost
     * and the next one resumes from the last checkpoint.
     */
    @Transactional
    public Optional<Claim> claimNext(String owner, String slot, String runtime, String host, Survivors survivors) {
        while (true) {
            Optional<Job> next = jobs.lockNextRunnable(runtime);
            if (next.isEmpty()) {
                return Optional.empty();
            }
            Job job = next.get();
            String reason = job.retryReason();
            Long orphanPid = null;
            String orphanWorkdir = null;
            String orphanHost = null;
            if (job.state() == JobState.RUNNING) {
                reason = "trainer instance " + job.leaseOwner() + " stopped renewing its lease";
                var previous = attempts.find(job.jobId(), job.attempt());
                if (previous.isPresent() && survivors.adoptable(job.jobId(), job.attempt())) {
                    jobs.claim(job.jobId(), job.attempt(), owner, config.lease(), slot);
                    attempts.adopted(job.jobId(), job.attempt(), owner, slot, host);
                    return Optional.of(new Claim(job, job.attempt(), reason + "; its worker was re-adopted", null, null,
                            null, true, previous.get().resumedFromStep()));
                }
                if (previous.isPresent()) {
                    orphanPid = previous.get().pid();
                    orphanWorkdir = previous.get().workdir();
                    orphanHost = previous.get().host();
                }
                attempts.ended(job.jobId(), job.attempt(), null, AttemptOutcome.LOST, reason);
            }
            if (job.cancelRequested()) {
                cancelled(job);
                continue;
            }
            if (job.pauseRequested()) {
                paused(job);
                continue;
            }
            if (crashes(job.jobId()) >= config.maxAttempts()) {
                fail(job, "max_attempts", "gave up after " + config.maxAttempts() + " failed attempts; last: " + reason);
                continue;
            }
            int attempt = job.attempt() + 1;
            jobs.claim(job.jobId(), attempt, owner, config.lease(), slot);
            attempts.started(job.jobId(), attempt, owner, slot, runtime, workdir(job.jobId(), attempt).toString(), host,
                    job.lastCheckpointStep());
            return Optional.of(new Claim(job, attempt, reason, orphanPid, orphanWorkdir, orphanHost, false,
                    job.lastCheckpointKey() == null ? null : job.lastCheckpointStep()));
        }
    }

    /** Where an attempt works: inputs staged from S3 and the worker's output. */
    public java.nio.file.Path workdir(String jobId, int attempt) {
        return java.nio.file.Path.of(config.workDir()).toAbsolutePath().resolve(jobId).resolve("attempt-" + attempt);
    }

    /** Records the worker's pid, so a restarted instance can find and stop it if this one dies. */
    @Transactional
    public void launched(String jobId, int attempt, long pid) {
        attempts.pid(jobId, attempt, pid);
    }

    @Transactional
    public boolean started(Job job, int attempt, String owner, String runtime, String slot, Long resumedFrom,
                           String retryReason, Long totalSteps) {
        if (!holds(job.jobId(), attempt, owner)) {
            return false;
        }
        if (totalSteps != null) {
            jobs.totalSteps(job.jobId(), totalSteps);
        }
        if (!attempts.reportStarted(job.jobId(), attempt)) {
            return true; // a re-adopted worker's log, replayed
        }
        outbox.publish(new TrainingStarted(job.projectId(), job.jobId(), attempt, runtime, slot,
                resumedFrom == null ? null : resumedFrom.intValue(), retryReason));
        return true;
    }

    @Transactional
    public boolean progress(String owner, TrainingProgress progress) {
        if (!holds(progress.jobId(), progress.attempt(), owner)) {
            return false;
        }
        boolean eval = progress.validLoss() != null || progress.validTokenAccuracy() != null;
        if (progress.attempt() != null
                && !attempts.reportStep(progress.jobId(), progress.attempt(), progress.step(), eval)) {
            return true; // reported already: a re-adopted worker's log, replayed
        }
        outbox.publish(progress);
        if (progress.validLoss() != null) {
            sweeps.validated(progress.jobId(), progress.step(), progress.validLoss())
                    .ifPresent(reason -> jobs.requestStop(progress.jobId(), true));
        }
        return true;
    }

    /**
     * Whether someone (a user, or the job's sweep after a validation) asked the job to stop: the attempt runner asks
     * after each validation, so a trial the sweep stops gets SIGTERM at once rather than at the next tick.
     */
    public boolean stopAsked(String jobId) {
        return jobs.find(jobId).map(j -> j.cancelRequested() || j.pauseRequested()).orElse(false);
    }

    /**
     * This instance shuts down and leaves the attempt's worker (a Job) running: its lease ends now, so that another
     * instance re-adopts the attempt at its next look at the queue instead of after the lease would have run out.
     */
    @Transactional
    public void handOver(Job job, int attempt, String owner) {
        Optional<Job> locked = jobs.lock(job.jobId());
        if (locked.isPresent() && owns(locked.get(), attempt, owner)) {
            jobs.expireLease(job.jobId());
        }
    }

    /**
     * Publishes a checkpoint the attempt has uploaded under its own prefix: the job resumes from it and
     * {@code CheckpointSaved} names it, if this instance still holds the lease, checked under the job's row lock so
     * that no other instance claims the job in between.
     */
    @Transactional
    public boolean checkpoint(Job job, int attempt, String owner, long step, String key, String sha256) {
        Optional<Job> locked = jobs.lock(job.jobId());
        if (locked.isEmpty() || !owns(locked.get(), attempt, owner)) {
            return false;
        }
        jobs.checkpointed(job.jobId(), step, key);
        if (checkpoints.insert(job.jobId(), step, attempt, key, sha256)) {
            outbox.publish(new CheckpointSaved(job.projectId(), job.jobId(), step, key, sha256));
        }
        return true;
    }

    @Transactional
    public boolean finished(Job job, int attempt, String owner, String artifactKey, String sha256, long bestStep,
                            Map<String, Double> metrics) {
        Optional<Job> locked = jobs.lock(job.jobId());
        if (locked.isEmpty() || !owns(locked.get(), attempt, owner)) {
            return false;
        }
        jobs.succeeded(job.jobId(), artifactKey, sha256);
        attempts.ended(job.jobId(), attempt, WorkerExit.of(ExitCode.DONE), AttemptOutcome.SUCCEEDED, null);
        TrainingFinished event = new TrainingFinished(job.projectId(), job.jobId(), job.modelName(), job.baseModel(),
                job.datasetId(), job.datasetVersion(), job.method(), artifactKey, sha256, bestStep, metrics,
                job.pipelineId(), locked.get().runtime(), sweeps.sweepOf(job.jobId()).orElse(null));
        outbox.publish(event);
        sweeps.trialEnded(job.jobId(), "succeeded", null, event);
        return true;
    }

    /**
     * An attempt ended without finishing ({@link AttemptOutcome#ofExit}): a requested cancel or pause wins; a bad
     * spec or bad data fails the job (retrying cannot help); this instance stopping requeues it; anything else
     * (killed, crashed, out of memory) goes back to the queue to resume from the last checkpoint, up to
     * {@code max-attempts} crashes.
     *
     * @param failureCode the worker's {@code failed.code}, if it printed one
     */
    @Transactional
    public void attemptEnded(Job job, int attempt, String owner, WorkerExit exit, FailureCode failureCode,
                             String failureMessage, boolean instanceStopping) {
        Optional<Job> locked = jobs.lock(job.jobId());
        if (locked.isEmpty() || !owns(locked.get(), attempt, owner)) {
            attempts.ended(job.jobId(), attempt, exit, AttemptOutcome.LOST, "the lease had moved on");
            return;
        }
        Job current = locked.get();
        AttemptOutcome outcome = AttemptOutcome.ofExit(current.cancelRequested(), current.pauseRequested(),
                exit.code(), instanceStopping);
        String exitText = exit.describe();
        switch (outcome) {
            case CANCELLED -> {
                attempts.ended(job.jobId(), attempt, exit, outcome, exitText);
                cancelled(current);
            }
            case PAUSED -> {
                attempts.ended(job.jobId(), attempt, exit, outcome, exitText);
                paused(current);
            }
            case FAILED -> {
                attempts.ended(job.jobId(), attempt, exit, outcome, exitText);
                fail(current, (failureCode == null ? FailureCode.BAD_SPEC : failureCode).wireName(),
                        failureMessage == null ? exitText : failureMessage);
            }
            case STOPPED -> {
                attempts.ended(job.jobId(), attempt, exit, outcome, "the trainer instance is shutting down");
                jobs.requeue(job.jobId(), "trainer instance " + owner + " shut down; resumed from its last checkpoint");
            }
            case CRASHED -> {
                String why = failureMessage == null ? exitText : exitText + ": " + failureMessage;
                attempts.ended(job.jobId(), attempt, exit, outcome, why);
                if (crashes(job.jobId()) >= config.maxAttempts()) {
                    fail(current, failureCode == null ? "worker_crashed" : failureCode.wireName(),
                            "gave up after " + config.maxAttempts() + " failed attempts; last: " + why);
                } else {
                    jobs.requeue(job.jobId(), why);
                }
            }
            case SUCCEEDED, LOST -> throw new IllegalStateException(outcome + " is not how an exit ends an attempt");
        }
    }

    /** Gives the job back when this instance cannot run it after all (e.g. staging failed). */
    @Transactional
    public void release(Job job, int attempt, String owner, String reason) {
        Optional<Job> locked = jobs.lock(job.jobId());
        if (locked.isPresent() && owns(locked.get(), attempt, owner)) {
            attempts.ended(job.jobId(), attempt, null, AttemptOutcome.CRASHED, reason);
            if (crashes(job.jobId()) >= config.maxAttempts()) {
                fail(locked.get(), "worker_crashed", "gave up after " + config.maxAttempts() + " failed attempts; last: "
                        + reason);
            } else {
                jobs.requeue(job.jobId(), reason);
            }
        }
    }

    /** A sweep's trial that its median rule stopped ends as cancelled too, its event saying so and why. */
    void cancelled(Job job) {
        Optional<String> stoppedEarly = sweeps.stopReason(job.jobId());
        jobs.ended(job.jobId(), JobState.CANCELLED, null, null);
        outbox.publish(new TrainingCancelled(job.projectId(), job.jobId(), job.lastCheckpointStep(),
                stoppedEarly.isPresent() ? Boolean.TRUE : null, stoppedEarly.orElse(null)));
        sweeps.trialEnded(job.jobId(), stoppedEarly.isPresent() ? "stopped_early" : "cancelled", null, null);
    }

    void paused(Job job) {
        jobs.ended(job.jobId(), JobState.PAUSED, null, null);
        outbox.publish(new TrainingPaused(job.projectId(), job.jobId(), job.lastCheckpointStep()));
    }

    void fail(Job job, String code, String message) {
        jobs.ended(job.jobId(), JobState.FAILED, code, message);
        outbox.publish(new TrainingFailed(job.projectId(), job.jobId(), code, message, job.attempt()));
        sweeps.trialEnded(job.jobId(), "failed", message, null);
    }

    private int crashes(String jobId) {
        return (int) attempts.of(jobId).stream().filter(a -> a.outcome() != null && a.outcome().isCrash()).count();
    }

    private boolean holds(String jobId, Integer attempt, String owner) {
        return jobs.find(jobId).map(j -> owns(j, attempt == null ? j.attempt() : attempt, owner)).orElse(false);
    }

    private static boolean owns(Job job, int attempt, String owner) {
        return job.state() == JobState.RUNNING && owner.equals(job.leaseOwner()) && job.attempt() == attempt;
    }

    /**
     * The catalogue's {@code config.json} of a base model; empty for an unknown model. S3 failing is not the request's
     * fault: it is thrown, and the job stays {@code validating} to be tried again.
     */
    private Optional<byte[]> baseModelConfig(String baseModel) {
        String key = ObjectKeys.baseModel(baseModel) + "config.json";
        if (baseModel == null || !store.exists(key)) {
            return Optional.empty();
        }
        try (InputStream in = store.get(key)) {
            return Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new ObjectStoreException("cannot read s3://" + store.bucket() + "/" + key, e);
        }
    }

    /** Hidden size and context length from a model's {@code config.json}; empty if it is not a JSON object. */
    private static Optional<Recipe.BaseModelShape> shapeOf(byte[] config) {
        JsonNode json;
        try {
            json = EventCodec.mapper().readTree(config);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (json == null || !json.isObject()) {
            return Optional.empty();
        }
        return Optional.of(new Recipe.BaseModelShape(json.path("hidden_size").asInt(Integer.MAX_VALUE),
                json.path("max_position_embeddings").asInt(Integer.MAX_VALUE)));
    }
}
