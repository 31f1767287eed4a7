package dev.tuneforge.gateway.storage;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.gateway.domain.DatasetView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.util.Optional;

/** The {@code datasets} table of the gateway's read model. */
@ApplicationScoped
public class DatasetReadModel {

    private final Jdbc jdbc;

    public DatasetReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void uploaded(DatasetUploaded upload) {
        jdbc.update("""
                INSERT INTO datasets (dataset_id, project_id, name, format, status, object_key, sha256, size_bytes)
                VALUES (?, ?, ?, ?, 'validating', ?, ?, ?)""",
                upload.datasetId(), upload.projectId(), upload.name(), upload.format(), upload.objectKey(),
                upload.sha256(), upload.sizeBytes());
    }

    public void ready(DatasetReady ready) {
        jdbc.update("""
                UPDATE datasets SET status = 'ready', version = ?, examples = ?, reason = NULL, updated_at = now()
                WHERE dataset_id = ? AND project_id = ?""",
                ready.version(), ready.trainExamples() + ready.validationExamples(), ready.datasetId(),
                ready.projectId());
    }

    public void rejected(DatasetRejected rejected) {
        jdbc.update("""
                UPDATE datasets SET status = 'rejected', reason = ?, updated_at = now()
                WHERE dataset_id = ? AND project_id = ?""",
                rejected.reason(), rejected.datasetId(), rejected.projectId());
    }

    public Optional<DatasetView> find(String projectId, String datasetId) {
        return jdbc.queryOne("""
                SELECT dataset_id, name, format, status, sha256, size_bytes, version, examples, reason, created_at
                FROM datasets WHERE dataset_id = ? AND project_id = ?""",
                row -> new DatasetView(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                        row.getString(5), row.getLong(6), (Integer) row.getObject(7), (Long) row.getObject(8),
                        row.getString(9), row.getObject(10, OffsetDateTime.class)),
                datasetId, projectId);
    }
}
