package dev.tuneforge.trainer.sweeps;

import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.trainer.storage.JsonColumns;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The tables {@code sweeps}, {@code sweep_trials} and {@code sweep_validations}. */
@ApplicationScoped
public class SweepStore {

    private static final String TRIAL_COLUMNS =
            "sweep_id, trial_index, job_id, parameters, state, stop_reason, best_valid_loss, finished";

    private final Jdbc jdbc;

    public SweepStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** A trial as the sweep sees it. */
    public record Trial(String sweepId, int index, String jobId, Map<String, Object> parameters, String state,
                        String stopReason, Double bestValidLoss, TrainingFinished finished) {

        public boolean ended() {
            return !state.equals("pending") && !state.equals("requested");
        }

        SweepFinished.Trial summary() {
            return new SweepFinished.Trial(index, jobId, parameters, state, bestValidLoss, stopReason);
        }
    }

    /** False when the sweep was recorded already (a redelivered request). */
    public boolean insert(SweepRequested request, String status) {
        return jdbc.update("""
                INSERT INTO sweeps (sweep_id, project_id, request, status) VALUES (?, ?, ?, ?)
                ON CONFLICT (sweep_id) DO NOTHING""", request.sweepId(), request.projectId(),
                EventCodec.toJson(request), status) == 1;
    }

    public void insertTrial(String sweepId, int index, String jobId, Map<String, Object> parameters) {
        jdbc.update("""
                INSERT INTO sweep_trials (sweep_id, trial_index, job_id, parameters, state)
                VALUES (?, ?, ?, ?, 'pending')""", sweepId, index, jobId, JsonColumns.json(parameters));
    }

    /** The sweep's request, its row locked for the rest of the transaction: one sweep's changes are serialised. */
    public Optional<SweepRequested> lockRunning(String sweepId) {
        return jdbc.queryOne("SELECT request FROM sweeps WHERE sweep_id = ? AND status = 'running' FOR UPDATE",
                r -> (SweepRequested) EventCodec.read(EventType.SWEEP_REQUESTED, r.getString(1)), sweepId);
    }

    public Optional<SweepRequested> request(String sweepId) {
        return jdbc.queryOne("SELECT request FROM sweeps WHERE sweep_id = ?",
                r -> (SweepRequested) EventCodec.read(EventType.SWEEP_REQUESTED, r.getString(1)), sweepId);
    }

    public void finished(String sweepId, String status, String bestJobId) {
        jdbc.update("UPDATE sweeps SET status = ?, best_job_id = ?, finished_at = now() WHERE sweep_id = ?", status,
                bestJobId, sweepId);
    }

    public Optional<Trial> trialOfJob(String jobId) {
        return jdbc.queryOne("SELECT " + TRIAL_COLUMNS + " FROM sweep_trials WHERE job_id = ?", SweepStore::trial,
                jobId);
    }

    public List<Trial> trials(String sweepId) {
        return jdbc.query("SELECT " + TRIAL_COLUMNS + " FROM sweep_trials WHERE sweep_id = ? ORDER BY trial_index",
                SweepStore::trial, sweepId);
    }

    public void requested(String jobId) {
        jdbc.update("UPDATE sweep_trials SET state = 'requested' WHERE job_id = ?", jobId);
    }

    /** Records how the trial's job ended, with its best validation loss; false if it had ended already. */
    public boolean ended(String jobId, String state, String reason, TrainingFinished finished) {
        return jdbc.update("""
                UPDATE sweep_trials SET state = ?, stop_reason = COALESCE(stop_reason, ?),
                       finished = ?, best_valid_loss = (SELECT min(valid_loss) FROM sweep_validations v
                                                        WHERE v.job_id = sweep_trials.job_id)
                WHERE job_id = ? AND state IN ('pending', 'requested')""", state, reason,
                finished == null ? null : EventCodec.toJson(finished), jobId) == 1;
    }

    /** Marks the trial to stop; false if a reason was recorded already. */
    public boolean stopping(String jobId, String reason) {
        return jdbc.update("UPDATE sweep_trials SET stop_reason = ? WHERE job_id = ? AND stop_reason IS NULL", reason,
                jobId) == 1;
    }

    /** False when the step was recorded already (a retried attempt's repeat). */
    public boolean validation(String jobId, long step, double loss) {
        return jdbc.update("INSERT INTO sweep_validations (job_id, step, valid_loss) VALUES (?, ?, ?) "
                + "ON CONFLICT DO NOTHING", jobId, step, loss) == 1;
    }

    /** Every validation of every trial of the sweep, by job id, in step order. */
    public Map<String, List<MedianStoppingRule.Validation>> validations(String sweepId) {
        var rows = jdbc.query("""
                SELECT v.job_id, v.step, v.valid_loss FROM sweep_validations v
                JOIN sweep_trials t ON t.job_id = v.job_id
                WHERE t.sweep_id = ? ORDER BY v.job_id, v.step""",
                r -> Map.entry(r.getString(1), new MedianStoppingRule.Validation(r.getLong(2), r.getDouble(3))),
                sweepId);
        Map<String, List<MedianStoppingRule.Validation>> out = new java.util.LinkedHashMap<>();
        rows.forEach(e -> out.computeIfAbsent(e.getKey(), k -> new java.util.ArrayList<>()).add(e.getValue()));
        return out;
    }

    private static Trial trial(ResultSet r) throws SQLException {
        String finished = r.getString("finished");
        return new Trial(r.getString("sweep_id"), r.getInt("trial_index"), r.getString("job_id"),
                JsonColumns.map(r.getString("parameters")), r.getString("state"), r.getString("stop_reason"),
                (Double) r.getObject("best_valid_loss"),
                finished == null ? null : (TrainingFinished) EventCodec.read(EventType.TRAINING_FINISHED, finished));
    }
}
