package dev.tuneforge.registry.storage;

import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The {@code models} table: one row per model name, locked by every change of the model (registration,
 * promotion, rollback), so alias moves and version numbers of one model are serialised across threads and
 * replicas, and its events enter the outbox in the order the changes happened.
 */
@ApplicationScoped
public class Models {

    private final Jdbc jdbc;

    public Models(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Creates the model if needed and locks its row until the transaction ends. */
    public void lock(String projectId, String modelName) {
        jdbc.update("INSERT INTO models (project_id, model_name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                projectId, modelName);
        lockExisting(projectId, modelName);
    }

    /** Locks the model's row; false when the model does not exist. */
    public boolean lockExisting(String projectId, String modelName) {
        return jdbc.queryOne("SELECT 1 FROM models WHERE project_id = ? AND model_name = ? FOR UPDATE",
                row -> true, projectId, modelName).isPresent();
    }

    /** The next version number; call with the model locked. */
    public int nextVersion(String projectId, String modelName) {
        return jdbc.queryOne("""
                UPDATE models SET latest_version = latest_version + 1 WHERE project_id = ? AND model_name = ?
                RETURNING latest_version""", row -> row.getInt(1), projectId, modelName).orElseThrow();
    }
}
