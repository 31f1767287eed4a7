package dev.tuneforge.trainer.pipelines;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.trainer.storage.JsonColumns;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;

/**
 * Pipelines (retraining policies) and their first trigger: a new dataset version that adds at least
 * {@code min_new_examples} examples starts a job, unless the pipeline ran within its cooldown. The job is a
 * {@code TrainingRequested} like a user's, on the pipeline's runtime (none: the default when the job arrives), with
 * {@code trigger {"type": "new_data", "dataset_version": n}}. (The on_drift trigger is {@link DriftTriggers}.) A pipeline starts at most one job per dataset version (recorded in
 * {@code pipeline_runs}, and the job id is derived from both), however often the version is announced.
 */
@ApplicationScoped
public class PipelineTriggers {

    private final Jdbc jdbc;
    private final Outbox outbox;

    public PipelineTriggers(Jdbc jdbc, Outbox outbox) {
        this.jdbc = jdbc;
        this.outbox = outbox;
    }

    public void configured(PipelineConfigured p) {
        Map<String, Object> triggers = p.triggers() == null ? Map.of() : p.triggers();
        Long minNew = number(triggers.get("min_new_examples"));
        Long cooldown = number(triggers.get("cooldown_seconds"));
        Optional<OnDrift> onDrift = OnDrift.of(triggers);
        jdbc.update("""
                INSERT INTO pipelines (pipeline_id, project_id, dataset_id, base_model, model_name, method,
                                       hyperparameters, min_new_examples, cooldown_seconds, status, runtime, on_drift,
                                       drift_cooldown_seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), ?)
                ON CONFLICT (pipeline_id) DO UPDATE SET dataset_id = EXCLUDED.dataset_id,
                    base_model = EXCLUDED.base_model, model_name = EXCLUDED.model_name, method = EXCLUDED.method,
                    hyperparameters = EXCLUDED.hyperparameters, min_new_examples = EXCLUDED.min_new_examples,
                    cooldown_seconds = EXCLUDED.cooldown_seconds, status = EXCLUDED.status,
                    runtime = EXCLUDED.runtime, on_drift = EXCLUDED.on_drift,
                    drift_cooldown_seconds = EXCLUDED.drift_cooldown_seconds, updated_at = now()""",
                p.pipelineId(), p.projectId(), p.datasetId(), p.baseModel(), p.modelName(),
                p.method() == null ? "lora" : p.method(), JsonColumns.json(p.hyperparameters()),
                minNew, cooldown == null ? 0 : cooldown, p.status() == null ? "active" : p.status(), p.runtime(),
                onDrift.map(d -> JsonColumns.json(triggers.get("on_drift"))).orElse(null),
                onDrift.map(OnDrift::cooldownSeconds).orElse(null));
    }

    public void datasetReady(DatasetReady ready) {
        if (ready.parentVersion() == null) {
            return;
        }
        var due = jdbc.query("""
                SELECT pipeline_id, project_id, base_model, model_name, method, hyperparameters, runtime
                FROM pipelines
                WHERE dataset_id = ? AND project_id = ? AND status = 'active'
                  AND min_new_examples IS NOT NULL AND min_new_examples <= ?
                  AND (last_triggered_at IS NULL OR last_triggered_at + cooldown_seconds * interval '1 second' <= now())
                FOR UPDATE""",
                r -> new Object[] {r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                        r.getString(6), r.getString(7)},
                ready.datasetId(), ready.projectId(), ready.newExamples());
        for (Object[] p : due) {
            String pipelineId = (String) p[0];
            String jobId = jobId(pipelineId, ready.datasetId(), ready.version());
            int inserted = jdbc.update("""
                    INSERT INTO pipeline_runs (pipeline_id, dataset_id, dataset_version, job_id) VALUES (?, ?, ?, ?)
                    ON CONFLICT DO NOTHING""", pipelineId, ready.datasetId(), ready.version(), jobId);
            if (inserted == 0) {
                continue;
            }
            jdbc.update("UPDATE pipelines SET last_triggered_at = now() WHERE pipeline_id = ?", pipelineId);
            outbox.publish(new TrainingRequested(ready.projectId(), jobId,
                    (String) p[2], ready.datasetId(), ready.version(), (String) p[4],
                    JsonColumns.map((String) p[5]), (String) p[3], "pipeline:" + pipelineId, pipelineId, null,
                    (String) p[6], null, null, Map.of("type", "new_data", "dataset_version", ready.version())));
        }
    }

    /** One job per pipeline and dataset version. */
    static String jobId(String pipelineId, String datasetId, int version) {
        return dev.tuneforge.trainer.domain.DerivedIds.job(pipelineId + "/" + datasetId + "/" + version);
    }

    private static Long number(Object v) {
        return v instanceof Number n ? n.longValue() : null;
    }
}
