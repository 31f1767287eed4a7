package dev.tuneforge.registry.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.registry.domain.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The {@code model_versions} table (each row a version with its card) and {@code model_tags}. */
@ApplicationScoped
public class ModelVersions {

    private static final String COLUMNS = """
            project_id, model_name, version, job_id, eval_id, status, artifact_key, artifact_sha256,
            source_artifact_key, base_model, method, hyperparameters, dataset_id, dataset_version, dataset_sha256,
            report_key, metrics, gate, reason, requested_by, pipeline_id, registered_by, created_at""";

    private final Jdbc jdbc;

    public ModelVersions(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Inserts the version; {@code job_id} is unique, so a job can never become two versions. */
    public void insert(ModelVersion v) {
        jdbc.update("INSERT INTO model_versions (" + COLUMNS + ") VALUES "
                        + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                v.projectId(), v.modelName(), v.version(), v.jobId(), v.evalId(), v.status(), v.artifactKey(),
                v.artifactSha256(), v.sourceArtifactKey(), v.baseModel(), v.method(), Json.write(v.hyperparameters()),
                v.datasetId(), v.datasetVersion(), v.datasetSha256(), v.reportKey(), Json.write(v.metrics()), v.gate(),
                v.reason(), v.requestedBy(), v.pipelineId(), v.registeredBy(), Timestamp.from(v.registeredAt()));
    }

    public Optional<ModelVersion> find(String projectId, String modelName, int version) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM model_versions WHERE project_id = ? AND model_name = ? "
                + "AND version = ?", ModelVersions::map, projectId, modelName, version);
    }

    public Optional<ModelVersion> ofJob(String jobId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM model_versions WHERE job_id = ?", ModelVersions::map, jobId);
    }

    public List<ModelVersion> of(String projectId, String modelName) {
        return jdbc.query("SELECT " + COLUMNS + " FROM model_versions WHERE project_id = ? AND model_name = ? "
                + "ORDER BY version", ModelVersions::map, projectId, modelName);
    }

    /** Every version trained on a dataset version, in any model of its project. */
    public List<ModelVersion> trainedOn(String projectId, String datasetId, int datasetVersion) {
        return jdbc.query("SELECT " + COLUMNS + " FROM model_versions WHERE project_id = ? AND dataset_id = ? "
                + "AND dataset_version = ? ORDER BY created_at, model_name, version", ModelVersions::map,
                projectId, datasetId, datasetVersion);
    }

    public void setStatus(String projectId, String modelName, int version, String status) {
        jdbc.update("UPDATE model_versions SET status = ? WHERE project_id = ? AND model_name = ? AND version = ?",
                status, projectId, modelName, version);
    }

    public void tag(String projectId, String modelName, int version, String tag, String value) {
        jdbc.update("""
                INSERT INTO model_tags (project_id, model_name, version, tag, value) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (project_id, model_name, version, tag) DO UPDATE SET value = EXCLUDED.value""",
                projectId, modelName, version, tag, value);
    }

    public Map<String, String> tags(String projectId, String modelName, int version) {
        Map<String, String> tags = new TreeMap<>();
        jdbc.query("SELECT tag, value FROM model_tags WHERE project_id = ? AND model_name = ? AND version = ?",
                row -> tags.put(row.getString(1), row.getString(2)), projectId, modelName, version);
        return tags;
    }

    private static ModelVersion map(ResultSet r) throws SQLException {
        return new ModelVersion(r.getString("project_id"), r.getString("model_name"), r.getInt("version"),
                r.getString("job_id"), r.getString("eval_id"), r.getString("status"), r.getString("artifact_key"),
                r.getString("artifact_sha256"), r.getString("source_artifact_key"), r.getString("base_model"),
                r.getString("method"), Json.read(r.getString("hyperparameters"), new TypeReference<>() { }),
                r.getString("dataset_id"), (Integer) r.getObject("dataset_version"), r.getString("dataset_sha256"),
                r.getString("report_key"), Json.read(r.getString("metrics"), new TypeReference<>() { }),
                r.getString("gate"), r.getString("reason"), r.getString("requested_by"), r.getString("pipeline_id"),
                r.getString("registered_by"), r.getTimestamp("created_at").toInstant());
    }
}
