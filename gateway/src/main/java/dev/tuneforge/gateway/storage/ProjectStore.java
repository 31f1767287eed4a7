package dev.tuneforge.gateway.storage;

import dev.tuneforge.gateway.domain.ProjectView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The {@code projects} table. */
@ApplicationScoped
public class ProjectStore {

    private final Jdbc jdbc;

    public ProjectStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** @return false if the project exists already */
    public boolean insert(String projectId) {
        return jdbc.update("INSERT INTO projects (project_id) VALUES (?) ON CONFLICT DO NOTHING", projectId) == 1;
    }

    public Optional<ProjectView> find(String projectId) {
        return jdbc.queryOne("SELECT project_id, created_at FROM projects WHERE project_id = ?",
                row -> new ProjectView(row.getString(1), row.getObject(2, OffsetDateTime.class)), projectId);
    }

    /** Projects ordered by id, after {@code after} (exclusive), at most {@code limit} rows. */
    public List<ProjectView> list(String after, int limit) {
        return jdbc.query("""
                SELECT project_id, created_at FROM projects WHERE project_id > ? ORDER BY project_id LIMIT ?""",
                row -> new ProjectView(row.getString(1), row.getObject(2, OffsetDateTime.class)),
                after == null ? "" : after, limit);
    }

    /** The project's {@code observations.raw_text} setting; empty if there is no such project. */
    public Optional<Boolean> observationsRawText(String projectId) {
        return jdbc.queryOne("SELECT observations_raw_text FROM projects WHERE project_id = ?",
                row -> row.getBoolean(1), projectId);
    }

    /** @return false if there is no such project */
    public boolean setObservationsRawText(String projectId, boolean rawText) {
        return jdbc.update("UPDATE projects SET observations_raw_text = ? WHERE project_id = ?", rawText,
                projectId) == 1;
    }
}
