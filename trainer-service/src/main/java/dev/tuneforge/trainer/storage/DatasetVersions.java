package dev.tuneforge.trainer.storage;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/** The trainer's own record of ready dataset versions (from {@code DatasetReady}): what a job trains on. */
@ApplicationScoped
public class DatasetVersions {

    public record DatasetVersion(String datasetId, int version, String projectId, Integer parentVersion,
                                 String trainKey, String trainSha256, long trainExamples, String validationKey,
                                 long validationExamples, long newExamples, String format) {

        /** This version with its training split read from {@code key} instead (a mixed split). */
        public DatasetVersion withTrainKey(String key) {
            return new DatasetVersion(datasetId, version, projectId, parentVersion, key, null, trainExamples,
                    validationKey, validationExamples, newExamples, format);
        }
    }

    private final Jdbc jdbc;

    public DatasetVersions(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void ready(DatasetReady e) {
        jdbc.update("""
                INSERT INTO dataset_versions (dataset_id, version, project_id, parent_version, train_key, train_sha256,
                                              train_examples, validation_key, validation_examples, new_examples,
                                              format)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (dataset_id, version) DO NOTHING""",
                e.datasetId(), e.version(), e.projectId(), e.parentVersion(), e.trainKey(), e.trainSha256(),
                e.trainExamples(), e.validationExamples() > 0 ? e.validationKey() : null, e.validationExamples(),
                e.newExamples(), e.format());
    }

    /** The latest ready version of a dataset of {@code projectId}, if one is known. */
    public Optional<DatasetVersion> latest(String projectId, String datasetId) {
        return jdbc.queryOne("""
                SELECT version FROM dataset_versions WHERE project_id = ? AND dataset_id = ?
                ORDER BY version DESC LIMIT 1""", r -> r.getInt(1), projectId, datasetId)
                .flatMap(v -> find(datasetId, v));
    }

    public Optional<DatasetVersion> find(String datasetId, int version) {
        return jdbc.queryOne("""
                SELECT dataset_id, version, project_id, parent_version, train_key, train_sha256, train_examples,
                       validation_key, validation_examples, new_examples, format
                FROM dataset_versions WHERE dataset_id = ? AND version = ?""",
                r -> new DatasetVersion(r.getString(1), r.getInt(2), r.getString(3), (Integer) r.getObject(4),
                        r.getString(5), r.getString(6), r.getLong(7), r.getString(8), r.getLong(9), r.getLong(10),
                        r.getString(11)),
                datasetId, version);
    }
}
