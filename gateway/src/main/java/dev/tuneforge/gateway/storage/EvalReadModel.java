package dev.tuneforge.gateway.storage;

import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.EvalView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.tuneforge.gateway.storage.JobReadModel.json;
import static dev.tuneforge.gateway.storage.JobReadModel.timestamp;
import static dev.tuneforge.gateway.storage.JobReadModel.tree;

/**
 * The {@code evals} table: one row per evaluation (EvalPassed or EvalFailed, keyed by eval id; eval-service
 * emits one of them once per run, and a redelivery changes nothing).
 */
@ApplicationScoped
public class EvalReadModel {

    private static final String COLUMNS =
            "eval_id, job_id, model_name, passed, metrics::text, gate, reason, report_key, created_at";

    private final Jdbc jdbc;

    public EvalReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void passed(ReadModelTables t, EvalPassed e, OffsetDateTime time) {
        insert(t, e.projectId(), e.evalId(), e.jobId(), e.modelName(), true, e.metrics(), e.gate(), null,
                e.reportKey(), time);
    }

    public void failed(ReadModelTables t, EvalFailed e, OffsetDateTime time) {
        insert(t, e.projectId(), e.evalId(), e.jobId(), e.modelName(), false, e.metrics(), e.gate(), e.reason(),
                e.reportKey(), time);
    }

    private void insert(ReadModelTables t, String projectId, String evalId, String jobId, String modelName,
                        boolean passed, Map<String, Double> metrics, String gate, String reason, String reportKey,
                        OffsetDateTime time) {
        jdbc.update("INSERT INTO " + t.evals() + """
                 (eval_id, project_id, job_id, model_name, passed, metrics, gate, reason, report_key, created_at)
                VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, COALESCE(?, now()))
                ON CONFLICT (eval_id) DO NOTHING""",
                evalId, projectId, jobId, modelName, passed, json(metrics), gate, reason, reportKey, timestamp(time));
    }

    public Optional<EvalView> find(String projectId, String evalId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM evals WHERE eval_id = ? AND project_id = ?",
                EvalReadModel::view, evalId, projectId);
    }

    /** The latest evaluation of a job (a job is evaluated once; the latest wins should there be more). */
    public Optional<EvalView> latestOfJob(String projectId, String jobId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM evals WHERE project_id = ? AND job_id = ?"
                + " ORDER BY created_at DESC, eval_id DESC LIMIT 1", EvalReadModel::view, projectId, jobId);
    }

    /** A project's evaluations, oldest first, after the cursor, optionally of one job or model name. */
    public List<EvalView> list(String projectId, String jobId, String modelName, Cursor after, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM evals WHERE project_id = ?");
        List<Object> args = new ArrayList<>(List.of(projectId));
        if (jobId != null) {
            sql.append(" AND job_id = ?");
            args.add(jobId);
        }
        if (modelName != null) {
            sql.append(" AND model_name = ?");
            args.add(modelName);
        }
        if (after != null) {
            sql.append(" AND (created_at, eval_id) > (?, ?)");
            args.add(after.createdAt());
            args.add(after.id());
        }
        sql.append(" ORDER BY created_at, eval_id LIMIT ?");
        args.add(limit);
        return jdbc.query(sql.toString(), EvalReadModel::view, args.toArray());
    }

    private static EvalView view(ResultSet row) throws SQLException {
        boolean passed = row.getBoolean(4);
        return new EvalView(row.getString(1), row.getString(2), row.getString(3), passed ? "passed" : "failed", passed,
                tree(row.getString(5)), row.getString(6), row.getString(7), row.getString(8),
                row.getObject(9, OffsetDateTime.class), null);
    }
}
