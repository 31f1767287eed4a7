package dev.tuneforge.gateway.domain;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMeasured;
import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.ModelArchived;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingPaused;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingResumed;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.gateway.openai.FineTuningJobs;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.DriftReadModel;
import dev.tuneforge.gateway.storage.EvalReadModel;
import dev.tuneforge.gateway.storage.EventReadModel;
import dev.tuneforge.gateway.storage.JobReadModel;
import dev.tuneforge.gateway.storage.ModelReadModel;
import dev.tuneforge.gateway.storage.PipelineReadModel;
import dev.tuneforge.gateway.storage.ReadModelTables;
import dev.tuneforge.gateway.storage.SweepReadModel;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The read model's one projection function, used by the live consumers and by the rebuild alike, so
 * both write the same rows. An event is applied only if its row in {@code events} is new: that makes
 * the projection idempotent even where the inbox is not involved (a rebuild's catch-up).
 *
 * <p>Live only (never in a rebuild), a dataset's verdict also moves on the {@code /v1} jobs that wait for it
 * ({@link FineTuningJobs}): in the same transaction as the inbox's, so each is announced exactly once; also when the
 * verdict's row is there already, which a rebuild that caught up past it leaves (only waiting jobs are moved).
 */
@ApplicationScoped
public class Projection {

    /** Serialises live projection transactions so that {@code events.seq} order is commit order. */
    public static final long EVENTS_LOCK = 0x7466_6576_656e_7473L;

    private final Jdbc jdbc;
    private final EventReadModel events;
    private final DatasetReadModel datasets;
    private final JobReadModel jobs;
    private final PipelineReadModel pipelines;
    private final EvalReadModel evals;
    private final ModelReadModel models;
    private final FineTuningJobs fineTuningJobs;
    private final SweepReadModel sweeps;
    private final DriftReadModel drift;

    public Projection(Jdbc jdbc, EventReadModel events, DatasetReadModel datasets, JobReadModel jobs,
                      PipelineReadModel pipelines, EvalReadModel evals, ModelReadModel models,
                      FineTuningJobs fineTuningJobs, SweepReadModel sweeps, DriftReadModel drift) {
        this.sweeps = sweeps;
        this.drift = drift;
        this.fineTuningJobs = fineTuningJobs;
        this.jdbc = jdbc;
        this.events = events;
        this.datasets = datasets;
        this.jobs = jobs;
        this.pipelines = pipelines;
        this.evals = evals;
        this.models = models;
    }

    /** Runs in the caller's transaction. */
    public boolean apply(ReadModelTables tables, EventEnvelope envelope, String topic, String payload) {
        if (tables == ReadModelTables.LIVE) {
            lockEvents();
        }
        if (!events.insert(tables, envelope, topic, payload)) {
            if (tables == ReadModelTables.LIVE) {
                // A rebuild may have projected the verdict into the live tables before this consumer got it; the jobs
                // waiting for it still move on (once: only jobs still waiting are picked)
                switch (envelope.data()) {
                    case DatasetReady ready -> fineTuningJobs.datasetReady(ready);
                    case DatasetRejected rejected -> fineTuningJobs.datasetRejected(rejected);
                    default -> {
                        // nothing outside the read model hangs on any other event
                    }
                }
            }
            return false;
        }
        switch (envelope.data()) {
            case DatasetUploaded uploaded -> datasets.uploaded(tables, uploaded, envelope.time());
            case DatasetReady ready -> {
                datasets.ready(tables, ready, envelope.time());
                if (tables == ReadModelTables.LIVE) {
                    fineTuningJobs.datasetReady(ready);
                }
            }
            case DatasetRejected rejected -> {
                datasets.rejected(tables, rejected, envelope.time());
                if (tables == ReadModelTables.LIVE) {
                    fineTuningJobs.datasetRejected(rejected);
                }
            }
            case TrainingRequested requested -> jobs.requested(tables, requested, envelope.time());
            case TrainingStarted started -> jobs.started(tables, started, envelope.time());
            case TrainingProgress progress -> jobs.progress(tables, progress, envelope.time());
            case CheckpointSaved checkpoint -> jobs.checkpointSaved(tables, checkpoint, envelope.time());
            case TrainingFinished finished -> jobs.finished(tables, finished, envelope.time());
            case TrainingFailed failed -> jobs.failed(tables, failed, envelope.time());
            case TrainingCancelled cancelled -> jobs.cancelled(tables, cancelled, envelope.time());
            case TrainingPaused paused -> jobs.paused(tables, paused, envelope.time());
            case TrainingResumed resumed -> jobs.resumed(tables, resumed, envelope.time());
            case PipelineConfigured configured -> pipelines.configured(tables, configured, envelope.time());
            case SweepRequested requested -> sweeps.requested(tables, requested, envelope.time());
            case SweepFinished finished -> sweeps.finished(tables, finished, envelope.time());
            case EvalPassed passed -> evals.passed(tables, passed, envelope.time());
            case EvalFailed failed -> evals.failed(tables, failed, envelope.time());
            case ModelRegistered registered -> models.registered(tables, registered, envelope.time());
            case ModelPromoted promoted -> models.promoted(tables, promoted, envelope.time());
            case ModelRolledBack rolledBack -> models.rolledBack(tables, rolledBack, envelope.time());
            case ModelArchived archived -> models.archived(tables, archived, envelope.time());
            case DriftMeasured measured -> drift.measured(tables, measured, envelope.time());
            case DriftDetected detected -> drift.detected(tables, detected, envelope.time());
            default -> {
                // in the events table only, until an issue gives it a table of its own
            }
        }
        return true;
    }

    /** Held until the transaction ends. */
    public void lockEvents() {
        jdbc.queryOne("SELECT pg_advisory_xact_lock(?)", row -> 1, EVENTS_LOCK);
    }
}
