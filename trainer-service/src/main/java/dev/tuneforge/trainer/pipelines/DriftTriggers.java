package dev.tuneforge.trainer.pipelines;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.trainer.domain.DerivedIds;
import dev.tuneforge.trainer.pipelines.DriftActionLog.Cause;
import dev.tuneforge.trainer.pipelines.DriftActionLog.SkipReason;
import dev.tuneforge.trainer.storage.DatasetVersions;
import dev.tuneforge.trainer.storage.JsonColumns;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The on_drift trigger (issue #17 §4): a {@code DriftDetected} of a model reaches every pipeline of its project that
 * trains that model name, has {@code on_drift}, is not deleted, and answers to one of the detected metrics. Each of
 * its actions then runs once for that event, or is recorded as skipped — the pipeline is paused, or it acted on
 * another DriftDetected within its on_drift cooldown:
 * <ul>
 *   <li>{@code retrain}: a job on the latest ready version of the pipeline's dataset, a {@code TrainingRequested}
 *       like the new-data trigger's, its {@code trigger} naming the event, window, model version and metrics; its id
 *       is derived from the pipeline and the event;</li>
 *   <li>{@code export_review}: the window's prompts, with the served completions as draft answers
 *       ({@link ReviewExport}), uploaded as a new dataset with purpose {@code review} through dataset-service's
 *       normal path (the JSONL in S3, then {@code DatasetUploaded}); its id and object key are derived from the
 *       pipeline and the event. A window without text (a project with {@code raw_text=false}) exports nothing.</li>
 * </ul>
 * {@link DriftActionLog} records each with its cause; its row is what keeps a redelivered event from acting twice.
 */
@ApplicationScoped
public class DriftTriggers {

    static final String REVIEW = "review";

    private final Jdbc jdbc;
    private final Outbox outbox;
    private final DatasetVersions versions;
    private final ReviewExport export;
    private final DriftActionLog log;

    public DriftTriggers(Jdbc jdbc, Outbox outbox, DatasetVersions versions, ReviewExport export, DriftActionLog log) {
        this.jdbc = jdbc;
        this.outbox = outbox;
        this.versions = versions;
        this.export = export;
        this.log = log;
    }

    private record Pipeline(String id, String datasetId, String baseModel, String method, String hyperparameters,
                            String runtime, boolean paused, boolean coolingDown, OnDrift onDrift) {
    }

    public void detected(UUID eventId, DriftDetected drift) {
        List<Pipeline> pipelines = jdbc.query("""
                SELECT pipeline_id, dataset_id, base_model, method, hyperparameters, runtime, status = 'paused',
                       last_drift_at IS NOT NULL
                           AND last_drift_at + drift_cooldown_seconds * interval '1 second' > now(),
                       on_drift::text
                FROM pipelines
                WHERE project_id = ? AND model_name = ? AND on_drift IS NOT NULL AND status <> 'deleted'
                ORDER BY pipeline_id
                FOR UPDATE""",
                r -> new Pipeline(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                        r.getString(6), r.getBoolean(7), r.getBoolean(8),
                        OnDrift.of(Map.of("on_drift", JsonColumns.map(r.getString(9)))).orElseThrow()),
                drift.projectId(), drift.modelName());
        for (Pipeline pipeline : pipelines) {
            List<String> metrics = pipeline.onDrift().matching(drift.detected());
            if (!metrics.isEmpty()) {
                act(pipeline, new Cause(eventId, drift, metrics));
            }
        }
    }

    private void act(Pipeline pipeline, Cause cause) {
        boolean acted = false;
        for (OnDrift.Action action : pipeline.onDrift().actions()) {
            if (log.done(pipeline.id(), cause, action)) {
                continue;
            }
            if (pipeline.paused()) {
                log.skipped(pipeline.id(), cause, action, SkipReason.PAUSED);
            } else if (pipeline.coolingDown()) {
                log.skipped(pipeline.id(), cause, action, SkipReason.COOLDOWN);
            } else {
                acted |= switch (action) {
                    case RETRAIN -> retrain(pipeline, cause);
                    case EXPORT_REVIEW -> exportReview(pipeline, cause);
                };
            }
        }
        if (acted) {
            jdbc.update("UPDATE pipelines SET last_drift_at = now() WHERE pipeline_id = ?", pipeline.id());
        }
    }

    private boolean retrain(Pipeline pipeline, Cause cause) {
        Optional<DatasetVersions.DatasetVersion> latest = versions.latest(cause.event().projectId(),
                pipeline.datasetId());
        if (latest.isEmpty()) {
            log.skipped(pipeline.id(), cause, OnDrift.Action.RETRAIN, SkipReason.NO_DATASET_VERSION);
            return false;
        }
        String jobId = DerivedIds.job(pipeline.id() + "/drift/" + cause.eventId());
        Map<String, Object> trigger = new LinkedHashMap<>();
        trigger.put("type", "drift");
        trigger.put("event_id", cause.eventId().toString());
        trigger.put("window_id", cause.event().windowId());
        trigger.put("model_version", cause.event().modelVersion());
        trigger.put("metrics", cause.metrics());
        outbox.publish(new TrainingRequested(cause.event().projectId(), jobId, pipeline.baseModel(),
                pipeline.datasetId(), latest.get().version(), pipeline.method(),
                JsonColumns.map(pipeline.hyperparameters()), cause.event().modelName(), "pipeline:" + pipeline.id(),
                pipeline.id(), null, pipeline.runtime(), null, null, trigger));
        log.job(pipeline.id(), cause, OnDrift.Action.RETRAIN, jobId);
        return true;
    }

    private boolean exportReview(Pipeline pipeline, Cause cause) {
        DriftDetected drift = cause.event();
        String datasetId = DerivedIds.dataset(pipeline.id() + "/drift/" + cause.eventId());
        String key = "projects/" + drift.projectId() + "/uploads/" + datasetId + "-review.jsonl";
        Optional<ReviewExport.Written> written = export.write(drift.observationKeys(), key);
        if (written.isEmpty()) {
            log.skipped(pipeline.id(), cause, OnDrift.Action.EXPORT_REVIEW, SkipReason.NO_TEXT);
            return false;
        }
        String name = "review: " + drift.modelName() + " v" + drift.modelVersion() + " drift, window "
                + drift.windowId();
        outbox.publish(new DatasetUploaded(drift.projectId(), datasetId,
                name.substring(0, Math.min(200, name.length())), "chat", key, written.get().sha256(),
                written.get().sizeBytes(), null, pipeline.baseModel(), "pipeline:" + pipeline.id(), REVIEW, null));
        log.dataset(pipeline.id(), cause, OnDrift.Action.EXPORT_REVIEW, datasetId);
        return true;
    }
}
