package dev.tuneforge.trainer.storage;

import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.trainer.domain.AttemptOutcome;
import dev.tuneforge.worker.protocol.WorkerExit;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;

/** The {@code attempts} table: every worker launch of a job, and how it ended. */
@ApplicationScoped
public class Attempts {

    /**
     * @param exitCode       the worker's exit status, if it had one
     * @param outcome        how it ended, null while it runs
     * @param outcomeMessage the same in words: the worker's exit and why, e.g. {@code worker exited with 3
     *                       (out of resources)}; null for a success
     */
    public record Attempt(String jobId, int attempt, String owner, String slot, String runtime, String workdir,
                          String host, Long pid, Long resumedFromStep, Integer exitCode, AttemptOutcome outcome,
                          String outcomeMessage) {
    }

    private static final String COLUMNS = "job_id, attempt, owner, slot, runtime, workdir, host, pid, "
            + "resumed_from_step, exit_code, outcome, outcome_message";

    private final Jdbc jdbc;

    public Attempts(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void started(String jobId, int attempt, String owner, String slot, String runtime, String workdir,
                        String host, Long resumedFromStep) {
        jdbc.update("""
                INSERT INTO attempts (job_id, attempt, owner, slot, runtime, workdir, host, resumed_from_step)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""", jobId, attempt, owner, slot, runtime, workdir, host, resumedFromStep);
    }

    public void pid(String jobId, int attempt, long pid) {
        jdbc.update("UPDATE attempts SET pid = ? WHERE job_id = ? AND attempt = ?", pid, jobId, attempt);
    }

    /** A new owner took the attempt over as it runs (a re-adopted Kubernetes Job). */
    public void adopted(String jobId, int attempt, String owner, String slot, String host) {
        jdbc.update("UPDATE attempts SET owner = ?, slot = ?, host = ? WHERE job_id = ? AND attempt = ?", owner, slot,
                host, jobId, attempt);
    }

    /** False when the attempt's start was reported already. */
    public boolean reportStarted(String jobId, int attempt) {
        return jdbc.update("""
                UPDATE attempts SET started_reported = true
                WHERE job_id = ? AND attempt = ? AND NOT started_reported""", jobId, attempt) == 1;
    }

    /**
     * Records {@code step} as the attempt's last reported progress (or evaluation) step; false when it reported
     * this step or a later one already.
     */
    public boolean reportStep(String jobId, int attempt, long step, boolean eval) {
        String column = eval ? "last_eval_step" : "last_progress_step";
        return jdbc.update("UPDATE attempts SET " + column + " = ? WHERE job_id = ? AND attempt = ? AND ("
                + column + " IS NULL OR " + column + " < ?)", step, jobId, attempt, step) == 1;
    }

    /** The attempt is over, the first time this is called; later calls change nothing. */
    public void ended(String jobId, int attempt, WorkerExit exit, AttemptOutcome outcome, String message) {
        jdbc.update("""
                UPDATE attempts SET ended_at = now(), exit_code = ?, outcome = ?, outcome_message = ?
                WHERE job_id = ? AND attempt = ? AND ended_at IS NULL""", exit == null ? null : exit.status(),
                outcome.name(), message, jobId, attempt);
    }

    public Optional<Attempt> find(String jobId, int attempt) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM attempts WHERE job_id = ? AND attempt = ?",
                Attempts::attempt, jobId, attempt);
    }

    public List<Attempt> of(String jobId) {
        return jdbc.query("SELECT " + COLUMNS + " FROM attempts WHERE job_id = ? ORDER BY attempt", Attempts::attempt,
                jobId);
    }

    private static Attempt attempt(java.sql.ResultSet r) throws java.sql.SQLException {
        String outcome = r.getString(11);
        return new Attempt(r.getString(1), r.getInt(2), r.getString(3), r.getString(4), r.getString(5),
                r.getString(6), r.getString(7), (Long) r.getObject(8), (Long) r.getObject(9),
                (Integer) r.getObject(10), outcome == null ? null : AttemptOutcome.valueOf(outcome), r.getString(12));
    }
}
