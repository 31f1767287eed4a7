package dev.tuneforge.eval.storage;

import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/** The {@code eval_runs} table. */
@ApplicationScoped
public class EvalRuns {

    private final Jdbc jdbc;

    public EvalRuns(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** @return false if the job already has an evaluation */
    public boolean insertPending(String evalId, TrainingFinished finished) {
        return jdbc.update("""
                INSERT INTO eval_runs (eval_id, project_id, job_id, model_name, base_model, dataset_id,
                                       dataset_version, artifact_key, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT (job_id) DO NOTHING""",
                evalId, finished.projectId(), finished.jobId(), finished.modelName(), finished.baseModel(),
                finished.datasetId(), finished.datasetVersion(), finished.artifactKey()) == 1;
    }

    public Optional<String> status(String jobId) {
        return jdbc.queryOne("SELECT status FROM eval_runs WHERE job_id = ?", row -> row.getString(1), jobId);
    }

    public long count(String jobId) {
        return jdbc.queryOne("SELECT count(*) FROM eval_runs WHERE job_id = ?", row -> row.getLong(1), jobId)
                .orElse(0L);
    }
}
