package dev.tuneforge.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.gateway.domain.Projection;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.tuneforge.gateway.storage.JobReadModel.json;
import static dev.tuneforge.gateway.storage.JobReadModel.tree;

/**
 * The {@code openai_jobs} table: what a job created through {@code /v1/fine_tuning/jobs} asked for, kept beside
 * the jobs read model (which has the job itself once trainer-service has it).
 */
@ApplicationScoped
public class JobRequestStore {

    static final String VALIDATING_FILES = "validating_files";
    static final String REQUESTED = "requested";
    static final String FAILED = "failed";
    static final String CANCELLED = "cancelled";

    /**
     * One row.
     *
     * @param request what goes into TrainingRequested once the dataset is ready: {@code base_model},
     *                {@code method}, {@code hyperparameters}, {@code model_name}
     */
    public record JobRequest(String jobId, String projectId, String state, String model, String trainingFile,
                             String validationFile, String datasetId, String suffix, Long seed,
                             Map<String, String> metadata, JsonNode integrations, JsonNode method, JsonNode request,
                             String requestedBy, String errorCode, String errorMessage, String errorParam,
                             OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    }

    private static final String COLUMNS = "job_id, project_id, state, model, training_file, validation_file, dataset_id,"
            + " suffix, seed, metadata::text, integrations::text, method::text, request::text, requested_by, error_code,"
            + " error_message, error_param, created_at, updated_at";

    private final Jdbc jdbc;

    public JobRequestStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    void insert(JobRequest r) {
        jdbc.update("INSERT INTO openai_jobs (job_id, project_id, state, model, training_file, validation_file,"
                        + " dataset_id, suffix, seed, metadata, integrations, method, request, requested_by, created_at,"
                        + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?)",
                r.jobId(), r.projectId(), r.state(), r.model(), r.trainingFile(), r.validationFile(), r.datasetId(),
                r.suffix(), r.seed(), json(r.metadata()), json(r.integrations()), json(r.method()), json(r.request()),
                r.requestedBy(), Timestamp.from(r.createdAt().toInstant()), Timestamp.from(r.updatedAt().toInstant()));
    }

    public Optional<JobRequest> find(String projectId, String jobId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM openai_jobs WHERE project_id = ? AND job_id = ?",
                JobRequestStore::row, projectId, jobId);
    }

    /** Held until the transaction ends: the live projection of events ({@code Projection}) holds it too. */
    void lockAgainstProjection() {
        jdbc.queryOne("SELECT pg_advisory_xact_lock(?)", row -> 1, Projection.EVENTS_LOCK);
    }

    /** Jobs waiting for this dataset's validation, locked: one consumer moves each on. */
    List<JobRequest> waitingFor(String datasetId) {
        return jdbc.query("SELECT " + COLUMNS + " FROM openai_jobs WHERE dataset_id = ? AND state = ?"
                + " ORDER BY created_at, job_id FOR UPDATE", JobRequestStore::row, datasetId, VALIDATING_FILES);
    }

    /** The dataset an earlier job of the project made of the same files, if any. */
    Optional<String> datasetOf(String projectId, String trainingFile, String validationFile) {
        return jdbc.queryOne("SELECT dataset_id FROM openai_jobs WHERE project_id = ? AND training_file = ?"
                        + " AND validation_file IS NOT DISTINCT FROM ? ORDER BY created_at DESC LIMIT 1",
                row -> row.getString(1), projectId, trainingFile, validationFile);
    }

    void requested(String jobId, OffsetDateTime time) {
        jdbc.update("UPDATE openai_jobs SET state = ?, updated_at = ? WHERE job_id = ?", REQUESTED,
                Timestamp.from(time.toInstant()), jobId);
    }

    /** True if the job was still validating its files (and is cancelled now). */
    boolean cancelIfValidating(String jobId, OffsetDateTime time) {
        return jdbc.update("UPDATE openai_jobs SET state = ?, updated_at = ? WHERE job_id = ? AND state = ?", CANCELLED,
                Timestamp.from(time.toInstant()), jobId, VALIDATING_FILES) == 1;
    }

    void failed(String jobId, FineTuningJob.JobError error, OffsetDateTime time) {
        jdbc.update("UPDATE openai_jobs SET state = ?, error_code = ?, error_message = ?, error_param = ?,"
                        + " updated_at = ? WHERE job_id = ?", FAILED, error.code(), error.message(), error.param(),
                Timestamp.from(time.toInstant()), jobId);
    }

    /**
     * One page of the project's jobs, newest first, from both surfaces: every job of the jobs read model (with its
     * request row when it came through {@code /v1}) and the {@code /v1} jobs it does not have yet (validating their
     * files, or failed there). {@code metadata} filters on the request's metadata; {@code after} is a job id.
     */
    List<String> page(String projectId, Map<String, String> metadata, String after, int limit) {
        StringBuilder sql = new StringBuilder("""
                SELECT id FROM (
                  SELECT j.job_id AS id, COALESCE(o.created_at, j.created_at) AS created, o.metadata
                  FROM jobs j LEFT JOIN openai_jobs o ON o.job_id = j.job_id WHERE j.project_id = ?
                  UNION ALL
                  SELECT o.job_id, o.created_at, o.metadata FROM openai_jobs o
                  WHERE o.project_id = ? AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = o.job_id)
                ) x WHERE true""");
        List<Object> args = new ArrayList<>(List.of(projectId, projectId));
        metadata.forEach((key, value) -> {
            sql.append(" AND metadata ->> ? = ?");
            args.add(key);
            args.add(value);
        });
        if (after != null) {
            sql.append(" AND (created, id) < (SELECT COALESCE(o.created_at, j.created_at), a.id"
                    + " FROM (SELECT ?::text AS id) a"
                    + " LEFT JOIN openai_jobs o ON o.job_id = a.id AND o.project_id = ?"
                    + " LEFT JOIN jobs j ON j.job_id = a.id AND j.project_id = ?)");
            args.add(after);
            args.add(projectId);
            args.add(projectId);
        }
        sql.append(" ORDER BY created DESC, id DESC LIMIT ?");
        args.add(limit);
        return jdbc.query(sql.toString(), row -> row.getString(1), args.toArray());
    }

    private static JobRequest row(ResultSet row) throws SQLException {
        return new JobRequest(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                row.getString(5), row.getString(6), row.getString(7), row.getString(8), (Long) row.getObject(9),
                metadata(tree(row.getString(10))), tree(row.getString(11)), tree(row.getString(12)),
                tree(row.getString(13)), row.getString(14), row.getString(15), row.getString(16), row.getString(17),
                row.getObject(18, OffsetDateTime.class), row.getObject(19, OffsetDateTime.class));
    }

    private static Map<String, String> metadata(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        Map<String, String> map = new java.util.LinkedHashMap<>();
        node.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }
}
