package dev.tuneforge.gateway.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMeasured;
import dev.tuneforge.events.DriftMetric;
import dev.tuneforge.gateway.domain.DriftHistory;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.tuneforge.gateway.storage.JobReadModel.json;
import static dev.tuneforge.gateway.storage.JobReadModel.timestamp;

/**
 * The {@code drift_windows} table: one row per window of a model version (keyed by the window id eval-service derives
 * from the version and the window, so a redelivery changes nothing). DriftMeasured and DriftDetected both carry the
 * whole window, so whichever comes first makes the row; only DriftDetected sets {@code detected}, and a DriftMeasured
 * after it never clears it.
 */
@ApplicationScoped
public class DriftReadModel {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<DriftMetric>> METRICS = new TypeReference<>() {
    };
    private static final TypeReference<List<String>> NAMES = new TypeReference<>() {
    };

    private final Jdbc jdbc;

    public DriftReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void measured(ReadModelTables t, DriftMeasured e, OffsetDateTime time) {
        upsert(t, e.projectId(), e.modelName(), e.modelVersion(), e.windowId(), e.windowStart(), e.windowEnd(),
                e.observations(), e.metrics(), null, e.reportKey(), time);
    }

    public void detected(ReadModelTables t, DriftDetected e, OffsetDateTime time) {
        upsert(t, e.projectId(), e.modelName(), e.modelVersion(), e.windowId(), e.windowStart(), e.windowEnd(),
                e.observations(), e.metrics(), e.detected() == null ? List.of() : e.detected(), e.reportKey(), time);
    }

    private void upsert(ReadModelTables t, String projectId, String modelName, int version, String windowId,
                        Instant start, Instant end, long observations, List<DriftMetric> metrics,
                        List<String> detected, String reportKey, OffsetDateTime time) {
        jdbc.update("INSERT INTO " + t.driftWindows() + """
                 AS w (project_id, model_name, model_version, window_id, window_start, window_end, observations, metrics,
                  detected, report_key, measured_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, COALESCE(?, now()))
                ON CONFLICT (project_id, model_name, model_version, window_id) DO UPDATE SET
                    window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end,
                    observations = EXCLUDED.observations, metrics = EXCLUDED.metrics,
                    report_key = COALESCE(EXCLUDED.report_key, w.report_key),
                    detected = COALESCE(EXCLUDED.detected, w.detected)""",
                projectId, modelName, version, windowId, instant(start), instant(end), observations,
                json(metrics == null ? List.of() : metrics), json(detected), reportKey, timestamp(time));
    }

    /**
     * The latest {@code limit} windows of each version of a model (of one version if {@code version} is not null),
     * those ending at or after {@code since} if it is not null, by version and then oldest first.
     */
    public List<Row> windows(String projectId, String modelName, Integer version, OffsetDateTime since, int limit) {
        StringBuilder where = new StringBuilder("project_id = ? AND model_name = ?");
        List<Object> args = new ArrayList<>(List.of(projectId, modelName));
        if (version != null) {
            where.append(" AND model_version = ?");
            args.add(version);
        }
        if (since != null) {
            where.append(" AND COALESCE(window_end, measured_at) >= ?");
            args.add(timestamp(since));
        }
        args.add(limit);
        return jdbc.query("""
                SELECT model_version, window_id, window_start, window_end, observations, metrics::text, detected::text,
                       report_key, measured_at FROM (
                    SELECT *, row_number() OVER (PARTITION BY model_version
                        ORDER BY COALESCE(window_end, measured_at) DESC, window_id DESC) AS latest
                    FROM drift_windows WHERE %s) w
                WHERE latest <= ?
                ORDER BY model_version, COALESCE(window_end, measured_at), window_id""".formatted(where),
                DriftReadModel::row, args.toArray());
    }

    /** The report key of a model's window (of its highest version, should two versions share a window id). */
    public Optional<String> reportKey(String projectId, String modelName, String windowId) {
        return jdbc.queryOne("SELECT report_key FROM drift_windows WHERE project_id = ? AND model_name = ?"
                        + " AND window_id = ? AND report_key IS NOT NULL ORDER BY model_version DESC LIMIT 1",
                row -> row.getString(1), projectId, modelName, windowId);
    }

    /** A stored window and the version it belongs to. */
    public record Row(int version, DriftHistory.Window window) {
    }

    private static Row row(ResultSet row) throws SQLException {
        String detected = row.getString(7);
        return new Row(row.getInt(1), new DriftHistory.Window(row.getString(2),
                row.getObject(3, OffsetDateTime.class), row.getObject(4, OffsetDateTime.class), row.getLong(5),
                read(row.getString(6), METRICS), detected == null ? null : read(detected, NAMES),
                row.getString(8) != null, row.getObject(9, OffsetDateTime.class)));
    }

    private static <T> T read(String json, TypeReference<T> type) throws SQLException {
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new SQLException("stored JSON is not readable", e);
        }
    }

    private static Timestamp instant(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }
}
