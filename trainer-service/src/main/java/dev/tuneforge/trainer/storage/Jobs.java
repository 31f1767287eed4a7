package dev.tuneforge.trainer.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.trainer.domain.JobState;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The {@code jobs} table: the queue, leases and each job's progress through its states. */
@ApplicationScoped
public class Jobs {

    private static final String COLUMNS = """
            job_id, project_id, state, base_model, dataset_id, dataset_version, method, hyperparameters, model_name,
            pipeline_id, priority, recipe, total_steps, attempt, lease_owner, slot, runtime, cancel_requested,
            pause_requested, last_checkpoint_step, last_checkpoint_key, retry_reason, created_at""";

    private final Jdbc jdbc;

    public Jobs(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** A job as the scheduler and the attempt runner see it. */
    public record Job(String jobId, String projectId, JobState state, String baseModel, String datasetId,
                      int datasetVersion, String method, Map<String, Object> hyperparameters, String modelName,
                      String pipelineId, int priority, Map<String, Object> recipe, Long totalSteps, int attempt,
                      String leaseOwner, String slot, String runtime, boolean cancelRequested, boolean pauseRequested,
                      Long lastCheckpointStep, String lastCheckpointKey, String retryReason,
                      java.time.OffsetDateTime createdAt) {
    }

    /** @param runtime the runtime the job runs on: its request's, or the default when the request names none */
    public void insert(TrainingRequested request, JobState state, String runtime) {
        jdbc.update("""
                INSERT INTO jobs (job_id, project_id, state, base_model, dataset_id, dataset_version, method,
                                  hyperparameters, model_name, pipeline_id, priority, requested_by, runtime)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id) DO NOTHING""",
                request.jobId(), request.projectId(), state.dbValue(), request.baseModel(), request.datasetId(),
                request.datasetVersion(), request.method(), json(request.hyperparameters()), request.modelName(),
                request.pipelineId(), request.priority() == null ? 0 : request.priority(), request.requestedBy(),
                runtime);
    }

    public Optional<JobState> state(String jobId) {
        return jdbc.queryOne("SELECT state FROM jobs WHERE job_id = ?", row -> JobState.fromDb(row.getString(1)),
                jobId);
    }

    public Optional<Job> find(String jobId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM jobs WHERE job_id = ?", Jobs::job, jobId);
    }

    /** Locks the row for the rest of the transaction. */
    public Optional<Job> lock(String jobId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM jobs WHERE job_id = ? FOR UPDATE", Jobs::job, jobId);
    }

    public List<Job> inState(JobState state) {
        return jdbc.query("SELECT " + COLUMNS + " FROM jobs WHERE state = ? ORDER BY created_at", Jobs::job,
                state.dbValue());
    }

    public void setState(String jobId, JobState state) {
        jdbc.update("UPDATE jobs SET state = ?, updated_at = now() WHERE job_id = ?", state.dbValue(), jobId);
    }

    public void queued(String jobId, Map<String, Object> recipe, long totalSteps) {
        jdbc.update("UPDATE jobs SET state = 'queued', recipe = ?, total_steps = ?, updated_at = now() WHERE job_id = ?",
                json(recipe), totalSteps, jobId);
    }

    /**
     * The next job a slot of {@code runtime} may run, locked: queued jobs of that runtime, and running ones whose
     * owner stopped renewing its lease (a crashed instance) — so a resumed attempt runs on the runtime that wrote its
     * checkpoint. Highest priority first; among equals, the project with fewest running jobs (fairness), then the
     * oldest.
     */
    public Optional<Job> lockNextRunnable(String runtime) {
        return jdbc.queryOne("SELECT " + COLUMNS + " " + """
                 FROM jobs j
                 WHERE j.runtime = ?
                   AND (j.state = 'queued' OR (j.state = 'running' AND j.lease_expires_at < now()))
                 ORDER BY j.priority DESC,
                          (SELECT count(*) FROM jobs r WHERE r.project_id = j.project_id AND r.state = 'running'
                             AND r.lease_expires_at >= now()) ASC,
                          j.created_at
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED""", Jobs::job, runtime);
    }

    /** Queued jobs of a runtime none of {@code runtimes} is: no slot of these can run them. */
    public List<Job> queuedNotOn(java.util.Collection<String> runtimes) {
        return jdbc.query("SELECT " + COLUMNS + " FROM jobs WHERE state = 'queued' AND NOT (runtime = ANY (?))",
                Jobs::job, (Object) runtimes.toArray(String[]::new));
    }

    public void claim(String jobId, int attempt, String owner, Duration lease, String slot) {
        jdbc.update("""
                UPDATE jobs SET state = 'running', attempt = ?, lease_owner = ?, lease_expires_at = now() + ?::interval,
                                slot = ?, updated_at = now()
                WHERE job_id = ?""", attempt, owner, lease.toMillis() + " milliseconds", slot, jobId);
    }

    /** Renews the leases of the jobs {@code owner} runs; returns the jobs it still holds. */
    public List<String> renew(String owner, Duration lease, List<String> jobIds) {
        if (jobIds.isEmpty()) {
            return List.of();
        }
        return jdbc.query("""
                UPDATE jobs SET lease_expires_at = now() + ?::interval
                WHERE lease_owner = ? AND state = 'running' AND job_id = ANY (?)
                RETURNING job_id""", row -> row.getString(1), lease.toMillis() + " milliseconds", owner,
                jobIds.toArray(String[]::new));
    }

    /** Ends the lease now; the job stays running until another instance claims it. */
    public void expireLease(String jobId) {
        jdbc.update("UPDATE jobs SET lease_expires_at = now() - interval '1 millisecond' WHERE job_id = ?", jobId);
    }

    /** Which of these jobs someone asked to cancel or pause. */
    public List<Job> withStopRequests(List<String> jobIds) {
        if (jobIds.isEmpty()) {
            return List.of();
        }
        return jdbc.query("SELECT " + COLUMNS + " FROM jobs WHERE job_id = ANY (?) AND (cancel_requested OR pause_requested)",
                Jobs::job, (Object) jobIds.toArray(String[]::new));
    }

    public void requestStop(String jobId, boolean cancel) {
        jdbc.update("UPDATE jobs SET " + (cancel ? "cancel_requested" : "pause_requested") + " = true, updated_at = now() "
                + "WHERE job_id = ?", jobId);
    }

    /** Back to the queue after an attempt ended early; the next attempt resumes from the last checkpoint. */
    public void requeue(String jobId, String reason) {
        jdbc.update("""
                UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, retry_reason = ?,
                                pause_requested = false, updated_at = now()
                WHERE job_id = ?""", reason, jobId);
    }

    public void ended(String jobId, JobState state, String failureCode, String failureMessage) {
        jdbc.update("""
                UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires_at = NULL, failure_code = ?,
                                failure_message = ?, cancel_requested = false, pause_requested = false, updated_at = now()
                WHERE job_id = ?""", state.dbValue(), failureCode, failureMessage, jobId);
    }

    public void succeeded(String jobId, String artifactKey, String artifactSha256) {
        jdbc.update("""
                UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, artifact_key = ?,
                                artifact_sha256 = ?, updated_at = now()
                WHERE job_id = ?""", artifactKey, artifactSha256, jobId);
    }

    public void checkpointed(String jobId, long step, String key) {
        jdbc.update("""
                UPDATE jobs SET last_checkpoint_step = ?, last_checkpoint_key = ?, updated_at = now()
                WHERE job_id = ? AND (last_checkpoint_step IS NULL OR last_checkpoint_step < ?)""",
                step, key, jobId, step);
    }

    /** An ended job whose leftover objects are not deleted yet: its project, and the output it keeps (or null). */
    public record Unswept(String jobId, String projectId, String artifactKey) { }

    /** Up to {@code limit} ended jobs ({@link JobState#isFinal()}) not swept yet, those that ended first first. */
    public List<Unswept> unswept(int limit) {
        return jdbc.query("""
                SELECT job_id, project_id, artifact_key FROM jobs
                WHERE objects_swept_at IS NULL AND state IN ('succeeded', 'failed', 'cancelled')
                ORDER BY updated_at LIMIT ?""", r -> new Unswept(r.getString(1), r.getString(2), r.getString(3)), limit);
    }

    public void swept(String jobId) {
        jdbc.update("UPDATE jobs SET objects_swept_at = now() WHERE job_id = ?", jobId);
    }

    public void totalSteps(String jobId, long totalSteps) {
        jdbc.update("UPDATE jobs SET total_steps = ? WHERE job_id = ?", totalSteps, jobId);
    }

    private static Job job(ResultSet r) throws SQLException {
        return new Job(r.getString("job_id"), r.getString("project_id"), JobState.fromDb(r.getString("state")),
                r.getString("base_model"), r.getString("dataset_id"), r.getInt("dataset_version"),
                r.getString("method"), map(r.getString("hyperparameters")), r.getString("model_name"),
                r.getString("pipeline_id"), r.getInt("priority"), map(r.getString("recipe")),
                (Long) r.getObject("total_steps"), r.getInt("attempt"), r.getString("lease_owner"),
                r.getString("slot"), r.getString("runtime"), r.getBoolean("cancel_requested"),
                r.getBoolean("pause_requested"), (Long) r.getObject("last_checkpoint_step"),
                r.getString("last_checkpoint_key"), r.getString("retry_reason"),
                r.getObject("created_at", java.time.OffsetDateTime.class));
    }

    static String json(Object value) {
        try {
            return EventCodec.mapper().writeValueAsString(value == null ? Map.of() : value);
        } catch (Exception e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + value, e);
        }
    }

    static Map<String, Object> map(String json) {
        if (json == null) {
            return null;
        }
        try {
            return EventCodec.mapper().readValue(json, new TypeReference<>() { });
        } catch (Exception e) {
            throw new IllegalStateException("stored JSON is unreadable: " + json, e);
        }
    }
}
