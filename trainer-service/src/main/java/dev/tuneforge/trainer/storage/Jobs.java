package dev.tuneforge.trainer.storage;

import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.trainer.domain.JobState;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/** The {@code jobs} table. */
@ApplicationScoped
public class Jobs {

    private final Jdbc jdbc;

    public Jobs(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(TrainingRequested request, JobState state) {
        String hyperparameters;
        try {
            hyperparameters = EventCodec.mapper().writeValueAsString(request.hyperparameters());
        } catch (Exception e) {
            throw new IllegalArgumentException("hyperparameters are not serialisable", e);
        }
        jdbc.update("""
                INSERT INTO jobs (job_id, project_id, state, base_model, dataset_id, dataset_version, method,
                                  hyperparameters, model_name, pipeline_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                request.jobId(), request.projectId(), state.dbValue(), request.baseModel(), request.datasetId(),
                request.datasetVersion(), request.method(), hyperparameters, request.modelName(),
                request.pipelineId());
    }

    public Optional<JobState> state(String jobId) {
        return jdbc.queryOne("SELECT state FROM jobs WHERE job_id = ?", row -> JobState.fromDb(row.getString(1)),
                jobId);
    }

    public void setState(String jobId, JobState state) {
        jdbc.update("UPDATE jobs SET state = ?, updated_at = now() WHERE job_id = ?", state.dbValue(), jobId);
    }
}
