package dev.tuneforge.trainer.launch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerEvent;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.trainer.domain.JobTransitions;
import dev.tuneforge.trainer.domain.JobTransitions.Claim;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.trainer.storage.Jobs.Job;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * One attempt of a job on a local slot: stage the inputs from S3 (base model, dataset version, the last
 * checkpoint), write the spec, run the worker, and turn its events into the job's events — checkpoints are
 * uploaded to S3 as they appear, before the event that announces them; the output is uploaded before
 * {@code TrainingFinished}. Runs on its own thread; {@link #stop()} asks the worker to checkpoint and exit.
 */
public final class AttemptRunner implements Runnable {

    private static final Logger LOG = Logger.getLogger(AttemptRunner.class);

    /** What the runner needs from its surroundings. */
    public record Context(JobTransitions transitions, DirectorySync sync, DatasetVersions datasets,
                          WorkerCommand runtime, Path baseModelCache, String owner, String slot, int maxProgressPoints,
                          String device) { }

    private final Context ctx;
    private final Claim claim;
    private final Job job;
    private final int attempt;
    private final Path workdir;
    private volatile WorkerProcess process;
    private volatile boolean stopRequested;
    private volatile boolean instanceStopping;
    private volatile boolean leaseLost;

    private long stride = 1;
    private double lastTrainLoss;
    private double lastEpoch;
    private String failureCode;
    private String failureMessage;
    private boolean finished;

    public AttemptRunner(Context ctx, Claim claim) {
        this.ctx = ctx;
        this.claim = claim;
        this.job = claim.job();
        this.attempt = claim.attempt();
        this.workdir = ctx.transitions().workdir(job.jobId(), attempt);
    }

    public String jobId() {
        return job.jobId();
    }

    /** Cancel or pause: SIGTERM, the worker checkpoints and exits 143. */
    public void stop() {
        stopRequested = true;
        WorkerProcess p = process;
        if (p != null) {
            p.terminate();
        }
    }

    /** This instance is shutting down: stop, and leave the job to be resumed. */
    public void stopForShutdown() {
        instanceStopping = true;
        stop();
    }

    /** Another instance owns the job now: kill the worker without a word. */
    public void leaseLost() {
        leaseLost = true;
        WorkerProcess p = process;
        if (p != null) {
            p.kill();
        }
    }

    public boolean isRunning() {
        WorkerProcess p = process;
        return p != null;
    }

    @Override
    public void run() {
        Path spec;
        Long resumedFrom = null;
        try {
            Files.createDirectories(workdir);
            Path base = stageBaseModel();
            var dataset = ctx.datasets().find(job.datasetId(), job.datasetVersion())
                    .orElseThrow(() -> new IllegalStateException("dataset version vanished"));
            Path train = workdir.resolve("data/train.jsonl");
            stageFile(dataset.trainKey(), train);
            Path validation = null;
            if (dataset.validationKey() != null) {
                validation = workdir.resolve("data/validation.jsonl");
                stageFile(dataset.validationKey(), validation);
            }
            Path resume = null;
            if (job.lastCheckpointKey() != null) {
                resume = workdir.resolve("resume/checkpoint-" + job.lastCheckpointStep());
                ctx.sync().download(job.lastCheckpointKey(), resume);
                resumedFrom = job.lastCheckpointStep();
            }
            spec = workdir.resolve("spec.json");
            EventCodec.mapper().writerWithDefaultPrettyPrinter().writeValue(spec.toFile(),
                    WorkerSpec.train(job.method(), claim.job().recipe(), base, train, validation, resume, ctx.device()));
            if (job.totalSteps() != null) {
                stride = Math.max(1, (job.totalSteps() + ctx.maxProgressPoints() - 1) / ctx.maxProgressPoints());
            }
        } catch (Exception e) {
            LOG.errorf(e, "job %s attempt %d: staging failed", job.jobId(), attempt);
            ctx.transitions().release(job, attempt, ctx.owner(), "staging the inputs failed: " + e.getMessage());
            return;
        }

        int exit;
        try {
            if (stopRequested) {
                exit = 143;
            } else {
                process = WorkerProcess.start(ctx.runtime(), "train", spec, workdir);
                ctx.transitions().launched(job.jobId(), attempt, process.pid());
                LOG.infof("job %s attempt %d: worker pid %d on %s (%s)", job.jobId(), attempt, process.pid(),
                        ctx.slot(), ctx.runtime().runtime());
                if (stopRequested) {
                    process.terminate();
                }
                final Long from = resumedFrom;
                exit = process.pumpEvents(event -> onEvent(event, from));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (process != null) {
                process.kill();
            }
            exit = 137;
        } catch (Exception e) {
            LOG.errorf(e, "job %s attempt %d: the attempt failed", job.jobId(), attempt);
            if (process != null) {
                process.kill();
            }
            exit = 1;
            failureMessage = String.valueOf(e.getMessage());
        }
        if (leaseLost) {
            LOG.warnf("job %s attempt %d: lease lost, worker killed", job.jobId(), attempt);
            return;
        }
        if (exit == 0 && finished) {
            return;
        }
        if (exit == 0) {
            exit = 1;
            failureMessage = "the worker exited with 0 without a finished event";
        }
        LOG.infof("job %s attempt %d: %s", job.jobId(), attempt, WorkerProcess.describeExit(exit));
        ctx.transitions().attemptEnded(job, attempt, ctx.owner(), exit, failureCode, failureMessage, instanceStopping);
    }

    private void onEvent(WorkerEvent e, Long resumedFrom) {
        boolean held = switch (e.name()) {
            case "started" -> {
                long total = e.longField("total_steps", 0);
                if (total > 0) {
                    stride = Math.max(1, (total + ctx.maxProgressPoints() - 1) / ctx.maxProgressPoints());
                }
                yield ctx.transitions().started(job, attempt, ctx.owner(), ctx.runtime().runtime(), ctx.slot(),
                        resumedFrom, claim.retryReason(), total > 0 ? total : null);
            }
            case "progress" -> {
                long step = e.longField("step", 0);
                long total = e.longField("total_steps", 0);
                lastTrainLoss = orZero(e.doubleField("train_loss"));
                lastEpoch = orZero(e.doubleField("epoch"));
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
                Long total = job.totalSteps();
                yield ctx.transitions().progress(ctx.owner(), new TrainingProgress(job.projectId(), job.jobId(),
                        e.longField("step", 0), total == null ? 0 : total, lastEpoch, lastTrainLoss, 0, 0, null,
                        e.doubleField("valid_loss"), e.doubleField("token_accuracy"), attempt));
            }
            case "checkpoint" -> {
                long step = e.longField("step", 0);
                String key = ObjectKeys.jobCheckpoint(job.projectId(), job.jobId(), step);
                String sha = ctx.sync().upload(Path.of(e.text("dir")), key);
                yield ctx.transitions().checkpoint(job, attempt, ctx.owner(), step, key, sha);
            }
            case "finished" -> {
                finished = finish(e);
                yield finished;
            }
            case "failed" -> {
                failureCode = e.text("code");
                failureMessage = e.text("message");
                yield true;
            }
            default -> true;
        };
        if (!held) {
            leaseLost();
        }
    }

    /** Uploads the adapter (or model) and the trainer state, then emits {@code TrainingFinished}. */
    private boolean finish(WorkerEvent e) {
        JsonNode outputs = e.body().path("outputs");
        String kind = outputs.has("adapter") ? "adapter" : "model";
        Path dir = Path.of(outputs.path(kind).asText());
        String key = ObjectKeys.jobOutput(job.projectId(), job.jobId(), kind);
        String sha = ctx.sync().upload(dir, key);
        if (outputs.hasNonNull("trainer_state")) {
            Path state = Path.of(outputs.get("trainer_state").asText());
            try {
                ctx.sync().putFile(state, ObjectKeys.jobOutput(job.projectId(), job.jobId(), "trainer_state")
                        + "trainer_state.json");
            } catch (RuntimeException ex) {
                LOG.warnf(ex, "job %s: trainer_state.json not uploaded", job.jobId());
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        e.body().path("metrics").fields().forEachRemaining(f -> {
            if (f.getValue().isNumber()) {
                metrics.put(f.getKey(), f.getValue().asDouble());
            }
        });
        return ctx.transitions().finished(job, attempt, ctx.owner(), key, sha, e.longField("best_step", 0), metrics);
    }

    /** Base models are shared by attempts on this node: downloaded once per name and digest. */
    private Path stageBaseModel() throws IOException {
        String prefix = ObjectKeys.baseModel(job.baseModel());
        String digest = ctx.sync().digestOf(prefix);
        Path dir = ctx.baseModelCache().resolve(job.baseModel() + (digest == null ? "" : "@" + digest.substring(0, 16)));
        synchronized (AttemptRunner.class) {
            if (digest == null || !Files.isDirectory(dir)) {
                ctx.sync().download(prefix, dir);
            }
        }
        return dir;
    }

    private void stageFile(String key, Path target) throws IOException {
        ctx.sync().getFile(key, target);
    }

    private static double orZero(Double d) {
        return d == null ? 0.0 : d;
    }
}
