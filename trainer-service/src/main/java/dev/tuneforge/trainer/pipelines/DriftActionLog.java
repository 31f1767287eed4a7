package dev.tuneforge.trainer.pipelines;

import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.trainer.storage.JsonColumns;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

/**
 * Table {@code pipeline_drift_actions}: what each on_drift action of a pipeline did about one DriftDetected — the job
 * it started, the review dataset it wrote, or why it did nothing — with the cause (the event's id, window, model
 * version and the metrics that matched). One row per (pipeline, event, action), written in the transaction of the
 * effect, so that row is also what makes a redelivered event do nothing.
 */
@ApplicationScoped
public class DriftActionLog {

    /** Why an action did nothing; an enum in its own column, as the audit is read by people and queries alike. */
    public enum SkipReason {
        COOLDOWN, PAUSED, NO_TEXT, NO_DATASET_VERSION;

        String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The cause of an action: one DriftDetected (by its envelope id) and the metrics the pipeline answered to. */
    public record Cause(UUID eventId, DriftDetected event, List<String> metrics) {
    }

    private final Jdbc jdbc;

    public DriftActionLog(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public boolean done(String pipelineId, Cause cause, OnDrift.Action action) {
        return jdbc.queryOne("""
                SELECT 1 FROM pipeline_drift_actions WHERE pipeline_id = ? AND event_id = ? AND action = ?""",
                r -> true, pipelineId, cause.eventId(), action.id()).isPresent();
    }

    public void job(String pipelineId, Cause cause, OnDrift.Action action, String jobId) {
        insert(pipelineId, cause, action, "job", null, jobId, null);
    }

    public void dataset(String pipelineId, Cause cause, OnDrift.Action action, String datasetId) {
        insert(pipelineId, cause, action, "dataset", null, null, datasetId);
    }

    public void skipped(String pipelineId, Cause cause, OnDrift.Action action, SkipReason reason) {
        insert(pipelineId, cause, action, "skipped", reason.id(), null, null);
    }

    private void insert(String pipelineId, Cause cause, OnDrift.Action action, String outcome, String reason,
                        String jobId, String datasetId) {
        jdbc.update("""
                INSERT INTO pipeline_drift_actions (pipeline_id, event_id, action, model_name, model_version, window_id,
                                                    metrics, outcome, skip_reason, job_id, dataset_id)
                VALUES (?, ?, ?, ?, ?, ?, CAST(? AS jsonb), ?, ?, ?, ?)""",
                pipelineId, cause.eventId(), action.id(), cause.event().modelName(), cause.event().modelVersion(),
                cause.event().windowId(), JsonColumns.json(cause.metrics()), outcome, reason, jobId, datasetId);
    }
}
