package dev.tuneforge.gateway.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingPaused;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingResumed;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.JobView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code jobs}, {@code job_metrics} and {@code job_checkpoints} tables of the read model.
 *
 * <p>TrainingRequested comes on the commands topic, everything else on the training topic, and the two
 * are consumed (and replayed by a rebuild) independently. So a request writes only the request's
 * columns, training events only theirs, a job row is created by whichever comes first, and its
 * created_at/updated_at are the earliest/latest event time: the rows come out the same in any
 * interleaving of the two topics. Within the training topic a job's events are in order (key = job id).
 * {@code runtime} is the one column both write: the request's runtime when it names one (a queued job shows what it
 * waits for), the trainer's events' once it runs; trainer-service runs a job only on the runtime its request names, so
 * the two never differ and the order does not matter.
 */
@ApplicationScoped
public class JobReadModel {

    private static final String COLUMNS = """
            job_id, state, base_model, dataset_id, dataset_version, method, hyperparameters::text, model_name,
            priority, pipeline_id, attempt, runtime, retry_reason, resumed_from_step, step, total_steps, epoch,
            train_loss, learning_rate, tokens_per_second, eta_seconds, valid_loss, valid_token_accuracy,
            last_checkpoint_step, best_step, artifact_key, artifact_sha256, metrics::text, failure_code,
            failure_message, created_at, updated_at, started_at, finished_at, ev.eval_id, ev.passed, trigger::text""";

    /** The job's evaluation, if any: its latest row in {@code evals}. */
    private static final String FROM = """
            \sFROM jobs LEFT JOIN LATERAL (SELECT e.eval_id, e.passed FROM evals e
              WHERE e.project_id = jobs.project_id AND e.job_id = jobs.job_id
              ORDER BY e.created_at DESC, e.eval_id DESC LIMIT 1) ev ON true""";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Jdbc jdbc;

    public JobReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void requested(ReadModelTables t, TrainingRequested r, OffsetDateTime time) {
        touch(t, r.projectId(), r.jobId(), time);
        jdbc.update("UPDATE " + t.jobs() + """
                 SET base_model = ?, dataset_id = ?, dataset_version = ?, method = ?, hyperparameters = ?::jsonb,
                  model_name = ?, priority = ?, pipeline_id = ?, requested_by = ?, runtime = COALESCE(runtime, ?),
                  sweep_id = ?, sweep_trial = ?, trigger = ?::jsonb
                WHERE job_id = ? AND project_id = ?""",
                r.baseModel(), r.datasetId(), r.datasetVersion(), r.method(), json(r.hyperparameters()), r.modelName(),
                r.priority(), r.pipelineId(), r.requestedBy(), r.runtime(), r.sweepId(), r.sweepTrial(),
                json(r.trigger()), r.jobId(), r.projectId());
    }

    public void started(ReadModelTables t, TrainingStarted s, OffsetDateTime time) {
        touch(t, s.projectId(), s.jobId(), time);
        jdbc.update("UPDATE " + t.jobs() + """
                 SET state = 'running', attempt = ?, runtime = ?, slot = ?, resumed_from_step = ?, retry_reason = ?,
                  started_at = COALESCE(started_at, ?), finished_at = NULL
                WHERE job_id = ? AND project_id = ?""",
                s.attempt(), s.runtime(), s.slot(), s.resumedFromStep() == null ? null : s.resumedFromStep().longValue(),
                s.retryReason(), timestamp(time), s.jobId(), s.projectId());
    }

    public void progress(ReadModelTables t, TrainingProgress p, OffsetDateTime time) {
        touch(t, p.projectId(), p.jobId(), time);
        // Validation values are kept from the last evaluation: progress between evaluations has none.
        jdbc.update("UPDATE " + t.jobs() + """
                 SET step = ?, total_steps = ?, epoch = ?, train_loss = ?, learning_rate = ?, tokens_per_second = ?,
                  eta_seconds = ?, valid_loss = COALESCE(?, valid_loss),
                  valid_token_accuracy = COALESCE(?, valid_token_accuracy), attempt = COALESCE(?, attempt)
                WHERE job_id = ? AND project_id = ?""",
                p.step(), p.totalSteps(), p.epoch(), p.trainLoss(), p.learningRate(), p.tokensPerSecond(),
                p.etaSeconds(), p.validLoss(), p.validTokenAccuracy(), p.attempt(), p.jobId(), p.projectId());
        jdbc.update("INSERT INTO " + t.jobMetrics() + """
                 AS m (job_id, attempt, step, project_id, total_steps, epoch, train_loss, learning_rate,
                  tokens_per_second, valid_loss, valid_token_accuracy, recorded_at)
                SELECT ?, COALESCE(?, j.attempt, 1), ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, now())
                FROM\s""" + t.jobs() + """
                 j WHERE j.job_id = ? AND j.project_id = ?
                ON CONFLICT (job_id, attempt, step) DO UPDATE SET total_steps = EXCLUDED.total_steps,
                  epoch = EXCLUDED.epoch, train_loss = EXCLUDED.train_loss, learning_rate = EXCLUDED.learning_rate,
                  tokens_per_second = EXCLUDED.tokens_per_second,
                  valid_loss = COALESCE(EXCLUDED.valid_loss, m.valid_loss),
                  valid_token_accuracy = COALESCE(EXCLUDED.valid_token_accuracy, m.valid_token_accuracy),
                  recorded_at = EXCLUDED.recorded_at
                WHERE m.project_id = EXCLUDED.project_id""",
                p.jobId(), p.attempt(), p.step(), p.projectId(), p.totalSteps(), p.epoch(), p.trainLoss(),
                p.learningRate(), p.tokensPerSecond(), p.validLoss(), p.validTokenAccuracy(), timestamp(time),
                p.jobId(), p.projectId());
    }

    public void checkpointSaved(ReadModelTables t, CheckpointSaved c, OffsetDateTime time) {
        touch(t, c.projectId(), c.jobId(), time);
        jdbc.update("INSERT INTO " + t.jobCheckpoints() + """
                 AS c (job_id, step, project_id, object_key, sha256, created_at)
                VALUES (?, ?, ?, ?, ?, COALESCE(?, now()))
                ON CONFLICT (job_id, step) DO UPDATE SET object_key = EXCLUDED.object_key, sha256 = EXCLUDED.sha256,
                  created_at = EXCLUDED.created_at
                WHERE c.project_id = EXCLUDED.project_id""",
                c.jobId(), c.step(), c.projectId(), c.objectKey(), c.sha256(), timestamp(time));
        jdbc.update("UPDATE " + t.jobs() + " SET last_checkpoint_step = ? WHERE job_id = ? AND project_id = ?",
                c.step(), c.jobId(), c.projectId());
    }

    public void finished(ReadModelTables t, TrainingFinished f, OffsetDateTime time) {
        touch(t, f.projectId(), f.jobId(), time);
        // The request's columns are the request's: filled from here only when the request is not (yet) seen.
        jdbc.update("UPDATE " + t.jobs() + """
                 SET state = 'succeeded', best_step = ?, artifact_key = ?, artifact_sha256 = ?, metrics = ?::jsonb,
                  finished_at = ?, base_model = COALESCE(base_model, ?), dataset_id = COALESCE(dataset_id, ?),
                  dataset_version = COALESCE(dataset_version, ?), method = COALESCE(method, ?),
                  model_name = COALESCE(model_name, ?), pipeline_id = COALESCE(pipeline_id, ?), eta_seconds = 0,
                  runtime = COALESCE(?, runtime)
                WHERE job_id = ? AND project_id = ?""",
                f.bestStep(), f.artifactKey(), f.artifactSha256(), json(f.metrics()), timestamp(time), f.baseModel(),
                f.datasetId(), f.datasetVersion(), f.method(), f.modelName(), f.pipelineId(), f.runtime(), f.jobId(),
                f.projectId());
    }

    public void failed(ReadModelTables t, TrainingFailed f, OffsetDateTime time) {
        touch(t, f.projectId(), f.jobId(), time);
        jdbc.update("UPDATE " + t.jobs() + """
                 SET state = 'failed', failure_code = ?, failure_message = ?, attempt = GREATEST(COALESCE(attempt, 0), ?),
                  finished_at = ?
                WHERE job_id = ? AND project_id = ?""",
                f.code(), f.message(), f.attempts(), timestamp(time), f.jobId(), f.projectId());
    }

    public void cancelled(ReadModelTables t, TrainingCancelled c, OffsetDateTime time) {
        touch(t, c.projectId(), c.jobId(), time);
        jdbc.update("UPDATE " + t.jobs() + """
                 SET state = 'cancelled', last_checkpoint_step = COALESCE(?, last_checkpoint_step), finished_at = ?,
                  stopped_early = ?, stop_reason = ?
                WHERE job_id = ? AND project_id = ?""",
                c.lastCheckpointStep(), timestamp(time), c.stoppedEarly(), c.reason(), c.jobId(), c.projectId());
    }

    public void paused(ReadModelTables t, TrainingPaused p, OffsetDateTime time) {
        touch(t, p.projectId(), p.jobId(), time);
        jdbc.update("UPDATE " + t.jobs() + """
                 SET state = 'paused', last_checkpoint_step = COALESCE(?, last_checkpoint_step), eta_seconds = NULL
                WHERE job_id = ? AND project_id = ?""",
                p.lastCheckpointStep(), p.jobId(), p.projectId());
    }

    public void resumed(ReadModelTables t, TrainingResumed r, OffsetDateTime time) {
        touch(t, r.projectId(), r.jobId(), time);
        jdbc.update("UPDATE " + t.jobs() + " SET state = 'queued' WHERE job_id = ? AND project_id = ?",
                r.jobId(), r.projectId());
    }

    /** Creates the job's row if this is its first event; widens its [created_at, updated_at] to the event's time. */
    private void touch(ReadModelTables t, String projectId, String jobId, OffsetDateTime time) {
        jdbc.update("INSERT INTO " + t.jobs() + """
                 AS j (job_id, project_id, state, created_at, updated_at)
                VALUES (?, ?, 'queued', COALESCE(?, now()), COALESCE(?, now()))
                ON CONFLICT (job_id) DO UPDATE SET created_at = LEAST(j.created_at, EXCLUDED.created_at),
                  updated_at = GREATEST(j.updated_at, EXCLUDED.updated_at)
                WHERE j.project_id = EXCLUDED.project_id""",
                jobId, projectId, timestamp(time), timestamp(time));
    }

    public Optional<JobView> find(String projectId, String jobId) {
        return jdbc.queryOne("SELECT " + COLUMNS + FROM + " WHERE job_id = ? AND project_id = ?",
                JobReadModel::view, jobId, projectId);
    }

    /** A project's jobs, oldest first, after the cursor, optionally in one state; at most {@code limit}. */
    public List<JobView> list(String projectId, String state, Cursor after, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + FROM + " WHERE project_id = ?");
        List<Object> args = new ArrayList<>(List.of(projectId));
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state);
        }
        if (after != null) {
            sql.append(" AND (created_at, job_id) > (?, ?)");
            args.add(after.createdAt());
            args.add(after.id());
        }
        sql.append(" ORDER BY created_at, job_id LIMIT ?");
        args.add(limit);
        return jdbc.query(sql.toString(), JobReadModel::view, args.toArray());
    }

    /** Every progress point of a job, by attempt and step. */
    public List<JobView.Metric> metrics(String projectId, String jobId) {
        return jdbc.query("""
                SELECT attempt, step, total_steps, epoch, train_loss, learning_rate, tokens_per_second, valid_loss,
                  valid_token_accuracy, recorded_at
                FROM job_metrics WHERE project_id = ? AND job_id = ? ORDER BY attempt, step""",
                row -> new JobView.Metric(row.getInt(1), row.getLong(2), row.getLong(3), row.getDouble(4),
                        row.getDouble(5), row.getDouble(6), row.getDouble(7), (Double) row.getObject(8),
                        (Double) row.getObject(9), row.getObject(10, OffsetDateTime.class)),
                projectId, jobId);
    }

    public List<JobView.Checkpoint> checkpoints(String projectId, String jobId) {
        return jdbc.query("SELECT step, object_key, sha256, created_at FROM job_checkpoints"
                        + " WHERE project_id = ? AND job_id = ? ORDER BY step",
                row -> new JobView.Checkpoint(row.getLong(1), row.getString(2), row.getString(3),
                        row.getObject(4, OffsetDateTime.class)),
                projectId, jobId);
    }

    private static JobView view(ResultSet row) throws SQLException {
        Long step = (Long) row.getObject(15);
        JobView.Progress progress = null;
        if (step != null) {
            long total = row.getLong(16);
            double percent = total <= 0 ? 0 : Math.min(100.0, Math.round(step * 1000.0 / total) / 10.0);
            progress = new JobView.Progress(step, total, percent, row.getDouble(17), row.getDouble(18),
                    row.getDouble(19), row.getDouble(20), (Long) row.getObject(21), (Double) row.getObject(22),
                    (Double) row.getObject(23));
        }
        return new JobView(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                (Integer) row.getObject(5), row.getString(6), tree(row.getString(7)), row.getString(8),
                (Integer) row.getObject(9), row.getString(10), tree(row.getString(37)), (Integer) row.getObject(11),
                row.getString(12),
                row.getString(13), (Long) row.getObject(14), progress, (Long) row.getObject(24),
                (Long) row.getObject(25), row.getString(26), row.getString(27), tree(row.getString(28)),
                row.getString(29), row.getString(30), row.getObject(31, OffsetDateTime.class),
                row.getObject(32, OffsetDateTime.class), row.getObject(33, OffsetDateTime.class),
                row.getObject(34, OffsetDateTime.class), row.getString(35),
                row.getObject(36) == null ? null : row.getBoolean(36) ? "passed" : "failed");
    }

    static Timestamp timestamp(OffsetDateTime time) {
        return time == null ? null : Timestamp.from(time.toInstant());
    }

    /** A value as stored in a JSONB column (null stays null); the read model's and the /v1 rows' one rule. */
    public static String json(Object value) {
        try {
            return value == null ? null : JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode tree(String json) throws SQLException {
        try {
            return json == null ? null : JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SQLException("stored JSON is not readable", e);
        }
    }
}
