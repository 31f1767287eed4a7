package dev.tuneforge.gateway.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.gateway.domain.EventView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** The {@code events} table: every public event, once, in the gateway's global order {@code seq}. */
@ApplicationScoped
public class EventReadModel {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Jdbc jdbc;

    public EventReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** @return false if the event is there already (its effects on other tables happened too) */
    public boolean insert(ReadModelTables tables, EventEnvelope envelope, String topic, String payload) {
        return jdbc.update("INSERT INTO " + tables.events() + """
                 (event_id, project_id, type, source, subject, topic, event_time, payload)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb) ON CONFLICT (event_id) DO NOTHING""",
                envelope.id(), envelope.data().projectId(), envelope.type().typeName(), envelope.source(),
                envelope.subject(), topic, envelope.time() == null ? null : Timestamp.from(envelope.time().toInstant()),
                payload) == 1;
    }

    /** A project's events with {@code seq > after}, in order, at most {@code limit}. */
    public List<EventView> list(String projectId, long after, int limit) {
        return jdbc.query("""
                SELECT seq, event_id, type, source, subject, event_time, payload::text FROM events
                WHERE project_id = ? AND seq > ? ORDER BY seq LIMIT ?""",
                EventReadModel::view, projectId, after, limit);
    }

    /** One aggregate's events (its subject: a job id, a dataset id) with {@code seq > after}, in order. */
    public List<EventView> listBySubject(String projectId, String subject, long after, int limit) {
        return jdbc.query("""
                SELECT seq, event_id, type, source, subject, event_time, payload::text FROM events
                WHERE project_id = ? AND subject = ? AND seq > ? ORDER BY seq LIMIT ?""",
                EventReadModel::view, projectId, subject, after, limit);
    }

    /** One aggregate's events with {@code seq < before} (every one when {@code before} is null), newest first. */
    public List<EventView> listBySubjectNewestFirst(String projectId, String subject, Long before, int limit) {
        return jdbc.query("""
                SELECT seq, event_id, type, source, subject, event_time, payload::text FROM events
                WHERE project_id = ? AND subject = ? AND seq < ? ORDER BY seq DESC LIMIT ?""",
                EventReadModel::view, projectId, subject, before == null ? Long.MAX_VALUE : before, limit);
    }

    /** The project's newest seq, 0 if it has no events: where a live stream starts. */
    public long lastSeq(String projectId) {
        return jdbc.queryOne("SELECT COALESCE(max(seq), 0) FROM events WHERE project_id = ?", row -> row.getLong(1),
                projectId).orElse(0L);
    }

    private static EventView view(ResultSet row) throws SQLException {
        try {
            return new EventView(row.getLong(1), row.getObject(2, UUID.class), row.getString(3), row.getString(4),
                    row.getString(5), row.getObject(6, OffsetDateTime.class), JSON.readTree(row.getString(7)));
        } catch (JsonProcessingException e) {
            throw new SQLException("event " + row.getLong(1) + " has unreadable JSON", e);
        }
    }
}
