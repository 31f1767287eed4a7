package dev.tuneforge.trainer.launch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.launcher.KubernetesWorker;
import dev.tuneforge.launcher.RunningWorker;
import dev.tuneforge.launcher.WorkerEvent;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.JobTransitions.Claim;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.Jobs.Job;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * One attempt of a job: start its worker through the {@link WorkerLauncher} (a local process or a Kubernetes Job)
 * and turn its events into the job's events. A checkpoint or output is in S3 before the event that announces it
 * (uploaded from here, or by the pod's sidecar and waited for). A claim that re-adopts a Job left by a dead
 * instance follows it from its first event; the transitions take a repeated event as a no-op. Runs on its own
 * thread; {@link #stop()} asks the worker to checkpoint and exit.
 */
public final class AttemptRunner implements Runnable {

    private static final Logger LOG = Logger.getLogger(AttemptRunner.class);

    /** What the runner needs from its surroundings. */
    public record Context(JobTransitions transitions, DatasetVersions datasets, WorkerLauncher launcher, String owner,
                          String slot, int maxProgressPoints) { }

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
    private String failureCode;
    private String failureMessage;
    private boolean finished;
    private String pendingOutputKey;
    private WorkerEvent pendingFinish;

    public AttemptRunner(Context ctx, Claim claim) {
        this.ctx = ctx;
        this.claim = claim;
        this.job = claim.job();
        this.attempt = claim.attempt();
    }

    public String jobId() {
        return job.jobId();
    }

    /** Cancel or pause: SIGTERM, the worker checkpoints and exits 143. */
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
                    ctx.transitions().attemptEnded(job, attempt, ctx.owner(), 137, null,
                            "the worker of the attempt was gone when it was re-adopted", false);
                    return;
                }
                LOG.infof("job %s attempt %d: re-adopted worker %s on %s", job.jobId(), attempt, w.id(), ctx.slot());
            } else {
                var dataset = ctx.datasets().find(job.datasetId(), job.datasetVersion())
                        .orElseThrow(() -> new IllegalStateException("dataset version vanished"));
                if (stopRequested) {
                    ctx.transitions().attemptEnded(job, attempt, ctx.owner(), 143, null, null, instanceStopping);
                    return;
                }
                w = ctx.launcher().start(job, attempt, dataset);
                if (w instanceof WorkerProcess p) {
                    ctx.transitions().launched(job.jobId(), attempt, p.pid());
                }
                LOG.infof("job %s attempt %d: worker %s on %s (%s)", job.jobId(), attempt, w.id(), ctx.slot(),
                        ctx.launcher().runtime());
            }
        } catch (Exception e) {
            LOG.errorf(e, "job %s attempt %d: starting the worker failed", job.jobId(), attempt);
            ctx.transitions().release(job, attempt, ctx.owner(), "staging the inputs failed: " + e.getMessage());
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

        int exit;
        try {
            exit = w.pumpEvents(this::onEvent);
            if (exit == 0 && !finished && pendingFinish != null && !leaseLost && !handedOver) {
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
            exit = 137;
        } catch (Exception e) {
            LOG.errorf(e, "job %s attempt %d: the attempt failed", job.jobId(), attempt);
            w.kill();
            exit = 1;
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
        if (exit == 0 && finished) {
            return;
        }
        if (exit == 0) {
            exit = 1;
            if (failureMessage == null) {
                failureMessage = "the worker exited with 0 without a finished event";
            }
        }
        if (failureMessage == null && w instanceof KubernetesWorker k) {
            failureMessage = k.exit().filter(x -> x.reason() != null && !x.reason().equals("Completed")
                    && !x.reason().equals("Error")).map(KubernetesWorker.Exit::describe).orElse(null);
        }
        LOG.infof("job %s attempt %d: %s", job.jobId(), attempt, WorkerProcess.describeExit(exit));
        ctx.transitions().attemptEnded(job, attempt, ctx.owner(), exit, failureCode, failureMessage, instanceStopping);
    }

    private void onEvent(WorkerEvent e) {
        if (leaseLost || handedOver) {
            return;
        }
        boolean held;
        try {
            held = handle(e);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an upload", ex);
        }
        if (!held) {
            leaseLost();
        }
    }

    private boolean handle(WorkerEvent e) throws InterruptedException {
        return switch (e.name()) {
            case "started" -> {
                long total = e.longField("total_steps", 0);
                if (total > 0) {
                    stride = Math.max(1, (total + ctx.maxProgressPoints() - 1) / ctx.maxProgressPoints());
                }
                yield ctx.transitions().started(job, attempt, ctx.owner(), ctx.launcher().runtime(), ctx.slot(),
                        claim.resumedFrom(), claim.retryReason(), total > 0 ? total : null);
            }
            case "progress" -> {
                long step = e.longField("step", 0);
                long total = e.longField("total_steps", 0);
                lastTrainLoss = orZero(e.doubleField("train_loss"));
                lastEpoch = orZero(e.doubleField("epoch"));
                lastTotal = total;
                if (step % stride != 0 && step != total) {
                    yield true;
                }
                Double eta = e.doubleField("eta_seconds");
                yield ctx.transitions().progress(ctx.owner(), new TrainingProgress(job.projectId(), job.jobId(), step,
                        total, orZero(e.doubleField("epoch")), orZero(e.doubleField("train_loss")),
                        orZero(e.doubleField("learning_rate")), orZero(e.doubleField("tokens_per_second")),
                        eta == null ? null : Math.round(eta), null, null, attempt));
            }
            case "eval" -> {
                long total = lastTotal > 0 ? lastTotal : job.totalSteps() == null ? 0 : job.totalSteps();
                yield ctx.transitions().progress(ctx.owner(), new TrainingProgress(job.projectId(), job.jobId(),
                        e.longField("step", 0), total, lastEpoch, lastTrainLoss, 0, 0, null,
                        e.doubleField("valid_loss"), e.doubleField("token_accuracy"), attempt));
            }
            case "checkpoint" -> {
                long step = e.longField("step", 0);
                String key = ObjectKeys.jobCheckpoint(job.projectId(), job.jobId(), step);
                String sha = ctx.launcher().checkpoint(e.text("dir"), key);
                if (sha == null) {
                    // not in S3 (yet): the job keeps resuming from the previous one, which is
                    yield true;
                }
                yield ctx.transitions().checkpoint(job, attempt, ctx.owner(), step, key, sha);
            }
            case "finished" -> finish(e);
            case "failed" -> {
                failureCode = e.text("code");
                failureMessage = e.text("message");
                yield true;
            }
            default -> true;
        };
    }

    /** The adapter (or model) and the trainer state into S3, then {@code TrainingFinished}. */
    private boolean finish(WorkerEvent e) throws InterruptedException {
        JsonNode outputs = e.body().path("outputs");
        String kind = outputs.has("adapter") ? "adapter" : "model";
        String key = ObjectKeys.jobOutput(job.projectId(), job.jobId(), kind);
        String sha = ctx.launcher().output(outputs.path(kind).asText(), key);
        if (sha == null) {
            pendingFinish = e;
            pendingOutputKey = key;
            return true;
        }
        if (outputs.hasNonNull("trainer_state")) {
            try {
                ctx.launcher().trainerState(outputs.get("trainer_state").asText(),
                        ObjectKeys.jobOutput(job.projectId(), job.jobId(), "trainer_state") + "trainer_state.json");
            } catch (RuntimeException ex) {
                LOG.warnf(ex, "job %s: trainer_state.json not uploaded", job.jobId());
            }
        }
        return emitFinished(e, key, sha);
    }

    private boolean emitFinished(WorkerEvent e, String key, String sha) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        e.body().path("metrics").fields().forEachRemaining(f -> {
            if (f.getValue().isNumber()) {
                metrics.put(f.getKey(), f.getValue().asDouble());
            }
        });
        finished = ctx.transitions().finished(job, attempt, ctx.owner(), key, sha, e.longField("best_step", 0), metrics);
        return finished;
    }

    private static double orZero(Double d) {
        return d == null ? 0.0 : d;
    }
}
