package dev.tuneforge.gateway.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventType;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.DatasetVersionView;
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

    private static final String COLUMNS = "dataset_id, name, format, purpose, status, sha256, size_bytes, version,"
            + " examples, reason, report::text, created_at";
    private static final String VERSION_COLUMNS = """
            dataset_id, version, parent_version, content_sha256, train_key, train_sha256, train_examples,
            validation_key, validation_sha256, validation_examples, new_examples, token_stats::text, report::text,
            created_at""";

    /** Reports and token statistics are stored as the API shows them: snake_case, like the rest of it. */
    private static final ObjectMapper API_JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    private final Jdbc jdbc;

    public DatasetReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * A new dataset, or a new upload to an existing one (which is validating again). Idempotent: the
     * gateway records its own upload at once, and again when the event comes back.
     */
    public void uploaded(ReadModelTables tables, DatasetUploaded upload, OffsetDateTime time) {
        jdbc.update("INSERT INTO " + tables.datasets() + """
                 (dataset_id, project_id, name, format, purpose, status, object_key, sha256, size_bytes, created_at,
                  updated_at)
                VALUES (?, ?, ?, ?, ?, 'validating', ?, ?, ?, COALESCE(?, now()), COALESCE(?, now()))
                ON CONFLICT (dataset_id) DO UPDATE SET status = 'validating', object_key = EXCLUDED.object_key,
                  sha256 = EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes, reason = NULL, report = NULL,
                  updated_at = EXCLUDED.updated_at
                WHERE\s""" + tables.datasets() + ".project_id = EXCLUDED.project_id",
                upload.datasetId(), upload.projectId(), upload.name(), upload.format(),
                upload.purpose() == null ? DatasetUploaded.TRAINING : upload.purpose(), upload.objectKey(),
                upload.sha256(), upload.sizeBytes(), timestamp(time), timestamp(time));
    }

    /** The upload was accepted as {@code ready.version()}: a new version, or an existing one with the same content. */
    public void ready(ReadModelTables tables, DatasetReady ready, OffsetDateTime time) {
        jdbc.update("INSERT INTO " + tables.datasetVersions() + " (project_id, " + VERSION_COLUMNS.replace("::text", "")
                        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, COALESCE(?, now()))"
                        + " ON CONFLICT (dataset_id, version) DO NOTHING",
                ready.projectId(), ready.datasetId(), ready.version(), ready.parentVersion(), ready.contentSha256(),
                ready.trainKey(), ready.trainSha256(), ready.trainExamples(), ready.validationKey(),
                ready.validationSha256(), ready.validationExamples(), ready.newExamples(), json(ready.tokenStats()),
                json(ready.report()), timestamp(time));
        jdbc.update("UPDATE " + tables.datasets() + " d SET status = 'ready', reason = NULL, report = ?::jsonb,"
                        + " format = COALESCE(d.format, ?),"
                        + " version = v.version, examples = v.train_examples + v.validation_examples,"
                        + " updated_at = COALESCE(?, d.updated_at)"
                        + " FROM (SELECT version, train_examples, validation_examples FROM " + tables.datasetVersions()
                        + " WHERE dataset_id = ? ORDER BY version DESC LIMIT 1) v"
                        + " WHERE d.dataset_id = ? AND d.project_id = ?",
                json(ready.report()), ready.format(), timestamp(time), ready.datasetId(), ready.datasetId(),
                ready.projectId());
    }

    public void rejected(ReadModelTables tables, DatasetRejected rejected, OffsetDateTime time) {
        jdbc.update("UPDATE " + tables.datasets() + """
                 SET status = 'rejected', reason = ?, report = ?::jsonb, updated_at = COALESCE(?, updated_at)
                WHERE dataset_id = ? AND project_id = ?""",
                rejected.reason(), json(rejected.report()), timestamp(time), rejected.datasetId(),
                rejected.projectId());
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

    /** A dataset's versions, oldest first, after version {@code after} (0: from the start). */
    public List<DatasetVersionView> versions(String projectId, String datasetId, int after, int limit) {
        return jdbc.query("SELECT " + VERSION_COLUMNS + " FROM dataset_versions"
                        + " WHERE project_id = ? AND dataset_id = ? AND version > ? ORDER BY version LIMIT ?",
                DatasetReadModel::versionView, projectId, datasetId, after, limit);
    }

    public Optional<DatasetVersionView> version(String projectId, String datasetId, int version) {
        return jdbc.queryOne("SELECT " + VERSION_COLUMNS + " FROM dataset_versions"
                        + " WHERE project_id = ? AND dataset_id = ? AND version = ?",
                DatasetReadModel::versionView, projectId, datasetId, version);
    }

    /**
     * The upload a version was made from: the dataset's last DatasetUploaded before the first DatasetReady of
     * that version (one dataset's events share a partition, so their order in {@code events} is the topic's).
     * Its JSON payload as published (camelCase).
     */
    public Optional<JsonNode> uploadOf(String projectId, String datasetId, int version) {
        return jdbc.queryOne("""
                SELECT u.payload::text, u.event_time FROM events u
                WHERE u.project_id = ? AND u.subject = ? AND u.type = ?
                  AND u.seq < (SELECT min(r.seq) FROM events r WHERE r.project_id = u.project_id
                    AND r.subject = u.subject AND r.type = ?
                    AND (r.payload ->> 'version')::int = ?)
                ORDER BY u.seq DESC LIMIT 1""",
                row -> {
                    JsonNode payload = tree(row.getString(1));
                    if (payload instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
                        object.put("uploadedAt", String.valueOf(row.getObject(2, OffsetDateTime.class)));
                    }
                    return payload;
                }, projectId, datasetId, EventType.DATASET_UPLOADED.typeName(), EventType.DATASET_READY.typeName(),
                version);
    }

    /** Bound as the outbox binds ce_time, so both round to PostgreSQL's microseconds alike. */
    private static Timestamp timestamp(OffsetDateTime time) {
        return time == null ? null : Timestamp.from(time.toInstant());
    }

    private static DatasetView view(ResultSet row) throws SQLException {
        return new DatasetView(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                row.getString(5), row.getString(6), row.getLong(7), (Integer) row.getObject(8), (Long) row.getObject(9),
                row.getString(10), tree(row.getString(11)), row.getObject(12, OffsetDateTime.class));
    }

    private static DatasetVersionView versionView(ResultSet row) throws SQLException {
        return new DatasetVersionView(row.getString(1), row.getInt(2), (Integer) row.getObject(3), row.getString(4),
                row.getString(5), row.getString(6), row.getLong(7), row.getString(8), row.getString(9),
                row.getLong(10), row.getLong(11), tree(row.getString(12)), tree(row.getString(13)),
                row.getObject(14, OffsetDateTime.class));
    }

    private static String json(Object value) {
        try {
            return value == null ? null : API_JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode tree(String json) throws SQLException {
        try {
            return json == null ? null : API_JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SQLException("stored JSON is not readable", e);
        }
    }
}
