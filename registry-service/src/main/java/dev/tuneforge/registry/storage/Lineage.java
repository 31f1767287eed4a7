package dev.tuneforge.registry.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the registry knows of jobs, dataset versions and uploads, learnt from their events: the other half
 * of a model version's lineage (version → job → dataset version → uploads), and the way back (dataset
 * version → model versions, in {@link ModelVersions#trainedOn}).
 */
@ApplicationScoped
public class Lineage {

    /** A job; {@code artifactKey} is null until its TrainingFinished arrives. */
    public record Job(String jobId, String projectId, String modelName, String baseModel, String datasetId,
                      Integer datasetVersion, String method, Map<String, Object> hyperparameters, String requestedBy,
                      String pipelineId, String artifactKey, String artifactSha256) {

        public boolean finished() {
            return artifactKey != null;
        }
    }

    public record DatasetVersion(String projectId, String datasetId, int version, Integer parentVersion,
                                 String format, String contentSha256, String trainKey, String validationKey,
                                 Instant readyAt) {
    }

    public record Upload(String datasetId, String name, String objectKey, String sha256, Integer appendTo,
                         String uploadedBy, Instant uploadedAt, String outcome, Integer version) {
    }

    /** A dataset version with the uploads that produced it, then its parent's, back to the first version. */
    public record DatasetLineage(DatasetVersion version, List<Upload> uploads) {
    }

    private final Jdbc jdbc;

    public Lineage(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void uploaded(DatasetUploaded e, Instant at) {
        jdbc.update("""
                INSERT INTO dataset_uploads (project_id, dataset_id, name, object_key, sha256, size_bytes, append_to,
                                             uploaded_by, purpose, uploaded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", e.projectId(), e.datasetId(), e.name(), e.objectKey(),
                e.sha256(), e.sizeBytes(), e.appendTo(), e.uploadedBy(), e.purpose(), Timestamp.from(at));
    }

    /**
     * Records the version and pairs it with the upload it answers: dataset-service answers the uploads of a
     * dataset one at a time, in the order of the (dataset-keyed, so ordered) topic, with one DatasetReady or
     * DatasetRejected each, so it is the oldest upload of the dataset not yet answered.
     */
    public void ready(DatasetReady e, Instant at) {
        jdbc.update("""
                INSERT INTO dataset_versions (dataset_id, version, project_id, parent_version, format, content_sha256,
                                              train_key, train_sha256, train_examples, validation_key,
                                              validation_sha256, validation_examples, ready_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                e.datasetId(), e.version(), e.projectId(), e.parentVersion(), e.format(), e.contentSha256(),
                e.trainKey(), e.trainSha256(), e.trainExamples(), e.validationKey(), e.validationSha256(),
                e.validationExamples(), Timestamp.from(at));
        answerOldestUpload(e.datasetId(), "ready", e.version());
    }

    public void rejected(String datasetId) {
        answerOldestUpload(datasetId, "rejected", null);
    }

    public void jobRequested(TrainingRequested e, Instant at) {
        jdbc.update("""
                INSERT INTO jobs (job_id, project_id, model_name, base_model, dataset_id, dataset_version, method,
                                  hyperparameters, requested_by, pipeline_id, requested_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id) DO UPDATE SET hyperparameters = EXCLUDED.hyperparameters,
                    requested_by = EXCLUDED.requested_by, requested_at = EXCLUDED.requested_at,
                    pipeline_id = coalesce(jobs.pipeline_id, EXCLUDED.pipeline_id)""",
                e.jobId(), e.projectId(), e.modelName(), e.baseModel(), e.datasetId(), e.datasetVersion(), e.method(),
                Json.write(e.hyperparameters()), e.requestedBy(), e.pipelineId(), Timestamp.from(at));
    }

    /** What the job produced is what counts: its finish overrides what the request said. */
    public void jobFinished(TrainingFinished e, Instant at) {
        jdbc.update("""
                INSERT INTO jobs (job_id, project_id, model_name, base_model, dataset_id, dataset_version, method,
                                  pipeline_id, artifact_key, artifact_sha256, best_step, train_metrics, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id) DO UPDATE SET model_name = EXCLUDED.model_name, base_model = EXCLUDED.base_model,
                    dataset_id = EXCLUDED.dataset_id, dataset_version = EXCLUDED.dataset_version,
                    method = EXCLUDED.method, pipeline_id = coalesce(EXCLUDED.pipeline_id, jobs.pipeline_id),
                    artifact_key = EXCLUDED.artifact_key, artifact_sha256 = EXCLUDED.artifact_sha256,
                    best_step = EXCLUDED.best_step, train_metrics = EXCLUDED.train_metrics,
                    finished_at = EXCLUDED.finished_at""",
                e.jobId(), e.projectId(), e.modelName(), e.baseModel(), e.datasetId(), e.datasetVersion(), e.method(),
                e.pipelineId(), e.artifactKey(), e.artifactSha256(), e.bestStep(), Json.write(e.metrics()),
                Timestamp.from(at));
    }

    public Optional<Job> job(String jobId) {
        return jdbc.queryOne("""
                SELECT job_id, project_id, model_name, base_model, dataset_id, dataset_version, method, hyperparameters,
                       requested_by, pipeline_id, artifact_key, artifact_sha256 FROM jobs WHERE job_id = ?""",
                r -> new Job(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                        (Integer) r.getObject(6), r.getString(7), Json.read(r.getString(8), new TypeReference<>() { }),
                        r.getString(9), r.getString(10), r.getString(11), r.getString(12)), jobId);
    }

    public Optional<DatasetVersion> datasetVersion(String datasetId, int version) {
        return jdbc.queryOne("""
                SELECT project_id, dataset_id, version, parent_version, format, content_sha256, train_key,
                       validation_key, ready_at FROM dataset_versions WHERE dataset_id = ? AND version = ?""",
                r -> new DatasetVersion(r.getString(1), r.getString(2), r.getInt(3), (Integer) r.getObject(4),
                        r.getString(5), r.getString(6), r.getString(7), r.getString(8),
                        r.getTimestamp(9).toInstant()), datasetId, version);
    }

    /** The uploads whose outcome was this version (several when identical content was uploaded again). */
    public List<Upload> uploadsOf(String datasetId, int version) {
        return jdbc.query("""
                SELECT dataset_id, name, object_key, sha256, append_to, uploaded_by, uploaded_at, outcome, version
                FROM dataset_uploads WHERE dataset_id = ? AND version = ? ORDER BY seq""",
                r -> new Upload(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                        (Integer) r.getObject(5), r.getString(6), r.getTimestamp(7).toInstant(), r.getString(8),
                        (Integer) r.getObject(9)), datasetId, version);
    }

    /** The version, its uploads, then its parent's and so on: how the data a model saw came to be. */
    public List<DatasetLineage> datasetLineage(String datasetId, int version) {
        List<DatasetLineage> chain = new java.util.ArrayList<>();
        Integer next = version;
        while (next != null && chain.size() < 1000) {
            Optional<DatasetVersion> v = datasetVersion(datasetId, next);
            if (v.isEmpty()) {
                break;
            }
            chain.add(new DatasetLineage(v.get(), uploadsOf(datasetId, next)));
            next = v.get().parentVersion();
        }
        return chain;
    }

    private void answerOldestUpload(String datasetId, String outcome, Integer version) {
        jdbc.update("""
                UPDATE dataset_uploads SET outcome = ?, version = ? WHERE seq = (
                    SELECT min(seq) FROM dataset_uploads WHERE dataset_id = ? AND outcome IS NULL)""",
                outcome, version, datasetId);
    }
}
