package dev.tuneforge.gateway.storage;

import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.SweepView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code sweeps} table, and a sweep's trials from {@code jobs} ({@code sweep_id}, {@code sweep_trial}).
 * {@code SweepRequested} comes on the commands topic and {@code SweepFinished} on the training topic, consumed
 * independently: each writes only its own columns, whichever comes first creates the row, and created_at/updated_at
 * are the earliest/latest event time, so any interleaving (live or rebuild) gives the same row.
 */
@ApplicationScoped
public class SweepReadModel {

    private static final String COLUMNS = """
            sweep_id, status, dataset_id, dataset_version, base_model, model_name, method, hyperparameters::text,
            search_space::text, strategy, max_trials, parallelism, seed, median_stop::text, runtime, gate::text, reason,
            best_job_id, created_at, updated_at, finished_at""";

    private final Jdbc jdbc;

    public SweepReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void requested(ReadModelTables t, SweepRequested r, OffsetDateTime time) {
        touch(t, r.projectId(), r.sweepId(), time);
        jdbc.update("UPDATE " + t.sweeps() + """
                 SET base_model = ?, dataset_id = ?, dataset_version = ?, method = ?, hyperparameters = ?::jsonb,
                  search_space = ?::json, strategy = ?, max_trials = ?, parallelism = ?, seed = ?, median_stop = ?::jsonb,
                  model_name = ?, runtime = ?, gate = ?::jsonb, requested_by = ?
                WHERE sweep_id = ? AND project_id = ?""",
                r.baseModel(), r.datasetId(), r.datasetVersion(), r.method(), JobReadModel.json(r.hyperparameters()),
                JobReadModel.json(r.searchSpace()), r.strategy(), r.maxTrials(), r.parallelism(), r.seed(),
                JobReadModel.json(medianStop(r.medianStop())), r.modelName(), r.runtime(), JobReadModel.json(r.gate()),
                r.requestedBy(), r.sweepId(), r.projectId());
    }

    /** The rule's settings as the API names them; {@code enabled: false} when the sweep runs every trial to its end. */
    private static Map<String, Object> medianStop(SweepRequested.MedianStop rule) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("enabled", rule != null);
        if (rule != null && rule.warmupEvaluations() != null) {
            out.put("warmup_evaluations", rule.warmupEvaluations());
        }
        if (rule != null && rule.minTrials() != null) {
            out.put("min_trials", rule.minTrials());
        }
        return out;
    }

    public void finished(ReadModelTables t, SweepFinished f, OffsetDateTime time) {
        touch(t, f.projectId(), f.sweepId(), time);
        jdbc.update("UPDATE " + t.sweeps() + """
                 SET status = ?, reason = ?, best_job_id = ?, trials = ?::jsonb, finished_at = ?,
                  model_name = COALESCE(model_name, ?)
                WHERE sweep_id = ? AND project_id = ?""",
                f.status(), f.reason(), f.bestJobId(), JobReadModel.json(f.trials()), JobReadModel.timestamp(time),
                f.modelName(), f.sweepId(), f.projectId());
    }

    private void touch(ReadModelTables t, String projectId, String sweepId, OffsetDateTime time) {
        jdbc.update("INSERT INTO " + t.sweeps() + """
                 AS s (sweep_id, project_id, status, created_at, updated_at)
                VALUES (?, ?, 'running', COALESCE(?, now()), COALESCE(?, now()))
                ON CONFLICT (sweep_id) DO UPDATE SET created_at = LEAST(s.created_at, EXCLUDED.created_at),
                  updated_at = GREATEST(s.updated_at, EXCLUDED.updated_at)
                WHERE s.project_id = EXCLUDED.project_id""",
                sweepId, projectId, JobReadModel.timestamp(time), JobReadModel.timestamp(time));
    }

    public Optional<SweepView> find(String projectId, String sweepId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM sweeps WHERE sweep_id = ? AND project_id = ?",
                SweepReadModel::view, sweepId, projectId);
    }

    /** A project's sweeps, oldest first, after the cursor, optionally in one status; without their trials. */
    public List<SweepView> list(String projectId, String status, Cursor after, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM sweeps WHERE project_id = ?");
        List<Object> args = new ArrayList<>(List.of(projectId));
        if (status != null) {
            sql.append(" AND status = ?");
            args.add(status);
        }
        if (after != null) {
            sql.append(" AND (created_at, sweep_id) > (?, ?)");
            args.add(after.createdAt());
            args.add(after.id());
        }
        sql.append(" ORDER BY created_at, sweep_id LIMIT ?");
        args.add(limit);
        return jdbc.query(sql.toString(), SweepReadModel::view, args.toArray());
    }

    /** A trial's job as the read model has it. */
    public record TrialJob(int index, String jobId, String state, boolean stoppedEarly, String reason,
                           Double bestValidLoss) {
    }

    /** The jobs of the sweep's trials requested so far, by trial index. */
    public List<TrialJob> trialJobs(String projectId, String sweepId) {
        return jdbc.query("""
                SELECT j.sweep_trial, j.job_id, j.state, COALESCE(j.stopped_early, false),
                       COALESCE(j.stop_reason, j.failure_message),
                       (SELECT min(m.valid_loss) FROM job_metrics m WHERE m.job_id = j.job_id
                          AND m.project_id = j.project_id)
                FROM jobs j WHERE j.sweep_id = ? AND j.project_id = ? AND j.sweep_trial IS NOT NULL
                ORDER BY j.sweep_trial""",
                r -> new TrialJob(r.getInt(1), r.getString(2), r.getString(3), r.getBoolean(4), r.getString(5),
                        (Double) r.getObject(6)), sweepId, projectId);
    }

    private static SweepView view(ResultSet row) throws SQLException {
        return new SweepView(row.getString(1), row.getString(2), row.getString(3), (Integer) row.getObject(4),
                row.getString(5), row.getString(6), row.getString(7), JobReadModel.tree(row.getString(8)),
                JobReadModel.tree(row.getString(9)), row.getString(10), (Integer) row.getObject(11),
                (Integer) row.getObject(12), (Long) row.getObject(13), JobReadModel.tree(row.getString(14)),
                row.getString(15), JobReadModel.tree(row.getString(16)), row.getString(17), row.getString(18), null,
                row.getObject(19, OffsetDateTime.class), row.getObject(20, OffsetDateTime.class),
                row.getObject(21, OffsetDateTime.class));
    }
}
