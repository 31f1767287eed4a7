package dev.tuneforge.gateway.storage;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.DatasetView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * The {@code datasets} table of the gateway's read model. Timestamps are the events' times, so that
 * a rebuild from the topics writes the very same rows.
 */
@ApplicationScoped
public class DatasetReadModel {

    private static final String COLUMNS =
            "dataset_id, name, format, status, sha256, size_bytes, version, examples, reason, created_at";

    private final Jdbc jdbc;

    public DatasetReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Idempotent: the gateway records its own upload at once, and again when the event comes back. */
    public void uploaded(ReadModelTables tables, DatasetUploaded upload, OffsetDateTime time) {
        jdbc.update("INSERT INTO " + tables.datasets() + """
                 (dataset_id, project_id, name, format, status, object_key, sha256, size_bytes, created_at, updated_at)
                VALUES (?, ?, ?, ?, 'validating', ?, ?, ?, COALESCE(?, now()), COALESCE(?, now()))
                ON CONFLICT (dataset_id) DO NOTHING""",
                upload.datasetId(), upload.projectId(), upload.name(), upload.format(), upload.objectKey(),
                upload.sha256(), upload.sizeBytes(), timestamp(time), timestamp(time));
    }

    public void ready(ReadModelTables tables, DatasetReady ready, OffsetDateTime time) {
        jdbc.update("UPDATE " + tables.datasets() + """
                 SET status = 'ready', version = ?, examples = ?, reason = NULL, updated_at = COALESCE(?, updated_at)
                WHERE dataset_id = ? AND project_id = ?""",
                ready.version(), ready.trainExamples() + ready.validationExamples(), timestamp(time), ready.datasetId(),
                ready.projectId());
    }

    public void rejected(ReadModelTables tables, DatasetRejected rejected, OffsetDateTime time) {
        jdbc.update("UPDATE " + tables.datasets() + """
                 SET status = 'rejected', reason = ?, updated_at = COALESCE(?, updated_at)
                WHERE dataset_id = ? AND project_id = ?""",
                rejected.reason(), timestamp(time), rejected.datasetId(), rejected.projectId());
    }

    public Optional<DatasetView> find(String projectId, String datasetId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM datasets WHERE dataset_id = ? AND project_id = ?",
                DatasetReadModel::view, datasetId, projectId);
    }

    /** A project's datasets, oldest first, after the cursor, at most {@code limit} rows. */
    public List<DatasetView> list(String projectId, Cursor after, int limit) {
        if (after == null) {
            return jdbc.query("SELECT " + COLUMNS + " FROM datasets WHERE project_id = ?"
                    + " ORDER BY created_at, dataset_id LIMIT ?", DatasetReadModel::view, projectId, limit);
        }
        return jdbc.query("SELECT " + COLUMNS + " FROM datasets WHERE project_id = ? AND (created_at, dataset_id) > (?, ?)"
                        + " ORDER BY created_at, dataset_id LIMIT ?",
                DatasetReadModel::view, projectId, after.createdAt(), after.id(), limit);
    }

    /** Bound as the outbox binds ce_time, so both round to PostgreSQL's microseconds alike. */
    private static Timestamp timestamp(OffsetDateTime time) {
        return time == null ? null : Timestamp.from(time.toInstant());
    }

    private static DatasetView view(ResultSet row) throws SQLException {
        return new DatasetView(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                row.getString(5), row.getLong(6), (Integer) row.getObject(7), (Long) row.getObject(8),
                row.getString(9), row.getObject(10, OffsetDateTime.class));
    }
}
