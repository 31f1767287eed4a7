package dev.tuneforge.registry.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.registry.domain.Cause;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The append-only {@code audit_log}: every change of the registry and every refused request, with who
 * asked, what happened, when, and the event that caused it. A database trigger refuses updates and deletes.
 */
@ApplicationScoped
public class AuditLog {

    public record Entry(long seq, String projectId, String modelName, Integer version, String action, String actor,
                        Map<String, Object> detail, UUID eventId, Instant at) {
    }

    private final Jdbc jdbc;

    public AuditLog(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void append(String projectId, String modelName, Integer version, String action, Cause cause,
                       Map<String, ?> detail) {
        jdbc.update("""
                INSERT INTO audit_log (project_id, model_name, version, action, actor, detail, event_id)
                VALUES (?, ?, ?, ?, ?, ?, ?)""", projectId, modelName, version, action, cause.actor(),
                Json.write(detail), cause.eventId());
    }

    public List<Entry> of(String projectId, String modelName) {
        return jdbc.query("""
                SELECT seq, project_id, model_name, version, action, actor, detail, event_id, at FROM audit_log
                WHERE project_id = ? AND model_name = ? ORDER BY seq""",
                row -> new Entry(row.getLong(1), row.getString(2), row.getString(3), (Integer) row.getObject(4),
                        row.getString(5), row.getString(6), Json.read(row.getString(7), new TypeReference<>() { }),
                        (UUID) row.getObject(8), row.getTimestamp(9).toInstant()),
                projectId, modelName);
    }
}
