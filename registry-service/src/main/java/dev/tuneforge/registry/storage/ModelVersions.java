package dev.tuneforge.registry.storage;

import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/** The {@code model_versions} table. */
@ApplicationScoped
public class ModelVersions {

    private final Jdbc jdbc;

    public ModelVersions(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Versions are monotonic per model; the primary key stops two writers taking the same number. */
    public int register(String projectId, String modelName, String jobId, String evalId, String status) {
        int version = jdbc.queryOne("""
                SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE project_id = ? AND model_name = ?""",
                row -> row.getInt(1), projectId, modelName).orElse(1);
        jdbc.update("""
                INSERT INTO model_versions (project_id, model_name, version, job_id, eval_id, status)
                VALUES (?, ?, ?, ?, ?, ?)""", projectId, modelName, version, jobId, evalId, status);
        return version;
    }

    public Optional<Integer> versionOfJob(String jobId) {
        return jdbc.queryOne("SELECT version FROM model_versions WHERE job_id = ?", row -> row.getInt(1), jobId);
    }
}
