package dev.tuneforge.trainer.launch;

import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.kit.messaging.TransientFaults;
import dev.tuneforge.launcher.KubernetesWorker;
import dev.tuneforge.launcher.RunningWorker;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.JobTransitions.Claim;
import dev.tuneforge.trainer.domain.LeftoverObjects;
import dev.tuneforge.trainer.storage.AttemptKeys;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs.Job;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.FailureCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import org.jboss.logging.Logger;

/**
 * One attempt of a job: start its worker through the {@link WorkerLauncher} (a local process or a Kubernetes Job)
 * and turn its events into the job's events. A checkpoint or output is in S3 before the event that announces it
 * (uploaded from here, or by the pod's sidecar and waited for), under the attempt's own prefix ({@link AttemptKeys}),
 * and is published only if the lease still holds, so an attempt that lost its lease never overwrites what another
 * published; what it was refused the publishing of it deletes ({@link LeftoverObjects}). A local worker that goes quiet or ignores SIGTERM is ended by its watchdog, and the attempt ends as a
 * crash that says so. A claim that re-adopts a Job left by a dead instance follows it from its first event; the
 * transitions take a repeated event as a no-op. Runs on its own thread; {@link #stop()} asks the worker to checkpoint
 * and exit.
 */
public final class AttemptRunner implements Runnable {

    private static final Logger LOG = Logger.getLogger(AttemptRunner.class);
    /** How often an event is handled before a transient fault fails the attempt: waits of 1 to 32 s, 63 s in all. */
    static final int TRANSIENT_TRIES = 7;

    /** What the runner needs from its surroundings. */
    public record Context(JobTransitions transitions, DatasetVersions datasets, MixedTrainSplits trainSplits,
                          WorkerLauncher launcher, LeftoverObjects leftovers, String owner, String slot,
                          int maxProgressPoints) { }

    private final Context ctx;
    private final Claim claim;
    private final Job job;
    private final int attempt;
    private volatile RunningWorker worker;
    private volatile boolean stopRequested;
    private volatile boolean instanceStopping;
    private volatile boolean leaseLost;
    private volatile boolean handedOver;

    private long stride = 1;
    private double lastTrainLoss;
    private double lastEpoch;
    /** The worker's own step count (the job's estimate ignores packing). */
    private long lastTotal;
    private FailureCode failureCode;
    private String failureMessage;
    private boolean finished;
    private String pendingOutputKey;
    private WorkerEvent.Finished pendingFinish;

    public AttemptRunner(Context ctx, Claim claim) {
        this.ctx = ctx;
        this.claim = claim;
        this.job = claim.job();
        this.attempt = claim.attempt();
    }

    public String jobId() {
        return job.jobId();
    }

    /** Cancel or pause: SIGTERM, the worker checkpoints and exits {@link ExitCode#TERMINATED}. */
    public void stop() {
        stopRequested = true;
        RunningWorker w = worker;
        if (w != null) {
            w.terminate();
        }
    }

    /**
     * This instance is shutting down. A local worker is stopped and its job left to be resumed; a Job runs on, and
     * the job's lease is given up so that another instance adopts it at once.
     */
    public void stopForShutdown() {
        instanceStopping = true;
        if (ctx.launcher().survivesInstance()) {
            handedOver = true;
            abandon();
        } else {
            stop();
        }
    }

    /** Another instance owns the job now: kill a local worker without a word, leave a Job to its new owner. */
    public void leaseLost() {
        leaseLost = true;
        abandon();
    }

    private void abandon() {
        RunningWorker w = worker;
        if (w == null) {
            return;
        }
        if (w instanceof KubernetesWorker k) {
            k.detach();
        } else {
            w.kill();
        }
    }

    public boolean isRunning() {
        return worker != null;
    }

    @Override
    public void run() {
        RunningWorker w;
        try {
            if (claim.readopted()) {
                w = ctx.launcher().readopt(job, attempt).orElse(null);
                if (w == null) {
                    LOG.warnf("job %s attempt %d: its worker is gone; the next attempt resumes", job.jobId(), attempt);
                    ctx.transitions().attemptEnded(job, attempt, ctx.owner(), WorkerExit.of(ExitCode.KILLED), null,
                            "the worker of the attempt was gone when it was re-adopted", false);
                    return;
                }
                LOG.infof("job %s attempt %d: re-adopted worker %s on %s", job.jobId(), attempt, w.id(), ctx.slot());
            } else {
                var dataset = ctx.datasets().find(job.datasetId(), job.datasetVersion())
                        .orElseThrow(() -> new IllegalStateException("dataset version vanished"));
                if (stopRequested) {
                    ctx.transitions().attemptEnded(job, attempt, ctx.owner(), WorkerExit.of(ExitCode.TERMINATED), null,
                            null, instanceStopping);
                    return;
                }
                w = ctx.launcher().start(job, attempt, ctx.trainSplits().stage(job, attempt, dataset));
                if (w instanceof WorkerProcess p) {
                    ctx.transitions().launched(job.jobId(), attempt, p.pid());
                }
                LOG.infof("job %s attempt %d: worker %s on %s (%s)", job.jobId(), attempt, w.id(), ctx.slot(),
                        ctx.launcher().runtime());
            }
        } catch (Exception e) {
            LOG.errorf(e, "job %s attempt %d: starting the worker failed", job.jobId(), attempt);
            ctx.transitions().release(job, attempt, ctx.owner(), "starting the attempt failed: " + e.getMessage());
            return;
        }
        if (job.totalSteps() != null) {
            stride = Math.max(1, (job.totalSteps() + ctx.maxProgressPoints() - 1) / ctx.maxProgressPoints());
        }
        worker = w;
        if (leaseLost || handedOver) {
            abandon();
        } else if (stopRequested) {
            w.terminate();
        }

        WorkerExit exit;
        try {
            exit = w.pumpEvents(this::onEvent);
            if (exit.is(ExitCode.DONE) && !finished && pendingFinish != null && !leaseLost && !handedOver) {
                // the pod is over, so its sidecar's last upload is done: the output is there now or never
                String sha = ctx.launcher().outputIfPresent(pendingOutputKey);
                if (sha != null) {
                    emitFinished(pendingFinish, pendingOutputKey, sha);
                } else {
                    failureMessage = "the worker finished but its output never reached " + pendingOutputKey;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            w.kill();
            exit = WorkerExit.of(ExitCode.KILLED);
        } catch (Exception e) {
            LOG.errorf(e, "job %s attempt %d: the attempt failed", job.jobId(), attempt);
            w.kill();
            exit = WorkerExit.of(ExitCode.INTERNAL);
            failureMessage = String.valueOf(e.getMessage());
        }
        if (leaseLost) {
            LOG.warnf("job %s attempt %d: lease lost, %s", job.jobId(), attempt,
                    ctx.launcher().survivesInstance() ? "its Job is left to the new owner" : "worker killed");
            return;
        }
        if (handedOver) {
            LOG.infof("job %s attempt %d: left running for the next instance", job.jobId(), attempt);
            ctx.transitions().handOver(job, attempt, ctx.owner());
            return;
        }
        if (exit.is(ExitCode.DONE) && finished) {
            return;
        }
        if (exit.is(ExitCode.DONE)) {
            exit = WorkerExit.of(ExitCode.INTERNAL);
            if (failureMessage == null) {
                failureMessage = "the worker exited with 0 without a finished event";
            }
        }
        if (failureMessage == null) {
            failureMessage = w.watchdogReason().orElse(null);
        }
        if (failureMessage == null && w instanceof KubernetesWorker k) {
            failureMessage = k.exit().filter(x -> x.reason() != null && !x.reason().equals("Completed")
                    && !x.reason().equals("Error")).map(KubernetesWorker.Exit::describe).orElse(null);
        }
        LOG.infof("job %s attempt %d: %s", job.jobId(), attempt, exit.describe());
        ctx.transitions().attemptEnded(job, attempt, ctx.owner(), exit, failureCode, failureMessage, instanceStopping);
    }

    private void onEvent(WorkerEvent e) {
        if (leaseLost || handedOver) {
            return;
        }
        boolean held;
        try {
            held = handleRetryingTransientFaults(e);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an upload", ex);
        }
        if (!held) {
            leaseLost();
        }
    }

    /**
     * {@link #handle}, tried again while it meets a transient fault (S3 or the database briefly away,
     * {@link TransientFaults}): an event's writes are an idempotent upload (same key, manifest last) and a transaction
     * that rolled back, so trying again is safe, and failing instead would kill a healthy worker and cost the job an
     * attempt, whose successor would meet the same outage at once. The worker waits meanwhile (its output is not
     * read). Waits 1, 2, 4, ... s, about a minute in all; the lease is renewed on a thread of its own.
     */
    private boolean handleRetryingTransientFaults(WorkerEvent e) throws InterruptedException {
        long waitMillis = 1_000;
        for (int attemptNo = 1; ; attemptNo++) {
            try {
                return handle(e);
            } catch (RuntimeException fault) {
                if (attemptNo >= TRANSIENT_TRIES || !TransientFaults.isTransient(fault)) {
                    throw fault;
                }
                LOG.warnf("job %s attempt %d: %s met a transient fault, trying again in %d s: %s", job.jobId(),
                        attempt, e.getClass().getSimpleName(), waitMillis / 1000, fault.getMessage());
                Thread.sleep(waitMillis);
                waitMillis *= 2;
            }
        }
    }

    /** One event into the job's: false when the lease is gone. A runtime's {@code serving} has no place here. */
    private boolean handle(WorkerEvent e) throws InterruptedException {
        return switch (e) {
            case WorkerEvent.Started s -> {
                if (s.totalSteps() > 0) {
                    stride = Math.max(1, (s.totalSteps() + ctx.maxProgressPoints() - 1) / ctx.maxProgressPoints());
                }
                yield ctx.transitions().started(job, attempt, ctx.owner(), ctx.launcher().runtime(), ctx.slot(),
                        claim.resumedFrom(), claim.retryReason(), s.totalSteps() > 0 ? s.totalSteps() : null);
            }
            case WorkerEvent.Progress p -> {
                lastTrainLoss = p.trainLoss();
                lastEpoch = p.epoch();
                lastTotal = p.totalSteps();
                if (p.step() % stride != 0 && p.step() != p.totalSteps()) {
                    yield true;
                }
                yield ctx.transitions().progress(ctx.owner(), new TrainingProgress(job.projectId(), job.jobId(),
                        p.step(), p.totalSteps(), p.epoch(), p.trainLoss(), p.learningRate(), p.tokensPerSecond(),
                        Math.round(p.etaSeconds()), null, null, attempt));
            }
            case WorkerEvent.Eval v -> {
                long total = lastTotal > 0 ? lastTotal : job.totalSteps() == null ? 0 : job.totalSteps();
                boolean held = ctx.transitions().progress(ctx.owner(), new TrainingProgress(job.projectId(),
                        job.jobId(), v.step(), total, lastEpoch, lastTrainLoss, 0, 0, null, v.validLoss(),
                        v.tokenAccuracy(), attempt));
                if (held && !stopRequested && ctx.transitions().stopAsked(job.jobId())) {
                    stop(); // e.g. its sweep's median rule: at once, not at the next tick
                }
                yield held;
            }
            case WorkerEvent.Checkpoint c -> {
                String key = AttemptKeys.checkpoint(job.projectId(), job.jobId(), attempt, c.step());
                String sha = ctx.launcher().checkpoint(c.dir(), key);
                if (sha == null) {
                    // not in S3 (yet): the job keeps resuming from the previous one, which is
                    yield true;
                }
                boolean held = ctx.transitions().checkpoint(job, attempt, ctx.owner(), c.step(), key, sha);
                if (!held) {
                    ctx.leftovers().discard(key); // never published: nothing will ever name it
                }
                yield held;
            }
            case WorkerEvent.Finished f -> finish(f);
            case WorkerEvent.Failed f -> {
                failureCode = f.code();
                failureMessage = f.message();
                yield true;
            }
            case WorkerEvent.Stopped s -> true;
            case WorkerEvent.Serving s -> true;
        };
    }

    /** The adapter (or model) and the trainer state into S3, then {@code TrainingFinished}. */
    private boolean finish(WorkerEvent.Finished f) throws InterruptedException {
        String kind = f.outputs().containsKey("adapter") ? "adapter" : "model";
        String key = AttemptKeys.output(job.projectId(), job.jobId(), attempt, kind);
        String sha = ctx.launcher().output(f.outputs().get(kind), key);
        if (sha == null) {
            pendingFinish = f;
            pendingOutputKey = key;
            return true;
        }
        String trainerState = f.outputs().get("trainer_state");
        if (trainerState != null) {
            try {
                ctx.launcher().trainerState(trainerState, AttemptKeys.output(job.projectId(), job.jobId(), attempt,
                        "trainer_state") + "trainer_state.json");
            } catch (RuntimeException ex) {
                LOG.warnf(ex, "job %s: trainer_state.json not uploaded", job.jobId());
            }
        }
        return emitFinished(f, key, sha);
    }

    private boolean emitFinished(WorkerEvent.Finished f, String key, String sha) {
        finished = ctx.transitions().finished(job, attempt, ctx.owner(), key, sha, f.bestStep(), f.numericMetrics());
        if (!finished) {
            // never published, nor the trainer state beside it: nothing will ever name them
            ctx.leftovers().discard(AttemptKeys.outputs(job.projectId(), job.jobId(), attempt));
        }
        return finished;
    }
}
