package dev.tuneforge.eval.storage;

import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** The {@code eval_runs} table: one evaluation per finished job, claimed with a lease while it runs. */
@ApplicationScoped
public class EvalRuns {

    /** The runtime of a candidate whose {@code TrainingFinished} names none: producers before the field ran only it. */
    public static final String DEFAULT_RUNTIME = "djl";

    /**
     * An evaluation to run, as one owner claimed it: what it changes afterwards is on condition that it still holds
     * the claim.
     *
     * @param owner    the instance that claimed it
     * @param attempts the claim's attempt (1, 2, ...: one more with every claim)
     * @param runtime  the runtime that trained the candidate, which evaluates all its subjects
     */
    public record Run(String evalId, String projectId, String jobId, String modelName, String baseModel,
                      String datasetId, int datasetVersion, String artifactKey, String method, String pipelineId,
                      String trainMetrics, int attempts, Duration age, String runtime, String owner) { }

    private final Jdbc jdbc;

    public EvalRuns(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** A job's evaluation under its pipeline's gate (none: the default); false if the job already has one. */
    public boolean insertPending(String evalId, TrainingFinished finished) {
        return insertPending(evalId, finished, finished.pipelineId());
    }

    /**
     * @param gateOwner whose gate applies ({@link EvalCatalog#gate}): the job's pipeline, its sweep, or null for the
     *                  default gate; kept in {@code pipeline_id}
     * @return false if the job already has an evaluation
     */
    public boolean insertPending(String evalId, TrainingFinished finished, String gateOwner) {
        String trainMetrics;
        try {
            trainMetrics = EventCodec.mapper().writeValueAsString(finished.metrics());
        } catch (Exception e) {
            trainMetrics = "{}";
        }
        return jdbc.update("""
                INSERT INTO eval_runs (eval_id, project_id, job_id, model_name, base_model, dataset_id,
                                       dataset_version, artifact_key, status, artifact_sha256, method, pipeline_id,
                                       train_metrics, runtime)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING""",
                evalId, finished.projectId(), finished.jobId(), finished.modelName(), finished.baseModel(),
                finished.datasetId(), finished.datasetVersion(), finished.artifactKey(), finished.artifactSha256(),
                finished.method(), gateOwner, trainMetrics,
                finished.runtime() == null ? DEFAULT_RUNTIME : finished.runtime()) == 1;
    }

    public Optional<String> status(String jobId) {
        return jdbc.queryOne("SELECT status FROM eval_runs WHERE job_id = ?", row -> row.getString(1), jobId);
    }

    public Optional<String> reason(String jobId) {
        return jdbc.queryOne("SELECT reason FROM eval_runs WHERE job_id = ?", row -> row.getString(1), jobId);
    }

    public long count(String jobId) {
        return jdbc.queryOne("SELECT count(*) FROM eval_runs WHERE job_id = ?", row -> row.getLong(1), jobId)
                .orElse(0L);
    }

    /**
     * Takes the oldest pending run of {@code runtime} (its candidate's), or a running one whose owner's lease expired
     * (that instance died).
     */
    public Optional<Run> claimNext(String owner, Duration lease, String runtime) {
        return jdbc.queryOne("""
                UPDATE eval_runs SET status = 'running', owner = ?, lease_expires_at = now() + ?::interval,
                                     attempts = attempts + 1
                WHERE eval_id = (SELECT eval_id FROM eval_runs
                                 WHERE runtime = ?
                                   AND ((status = 'pending' AND (not_before IS NULL OR not_before <= now()))
                                        OR (status = 'running' AND lease_expires_at < now()))
                                 ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING eval_id, project_id, job_id, model_name, base_model, dataset_id, dataset_version,
                          artifact_key, method, pipeline_id, train_metrics, attempts,
                          (extract(epoch FROM now() - created_at) * 1000)::bigint, runtime, owner""",
                r -> new Run(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                        r.getString(6), r.getInt(7), r.getString(8), r.getString(9), r.getString(10), r.getString(11),
                        r.getInt(12), Duration.ofMillis(r.getLong(13)), r.getString(14), r.getString(15)),
                owner, lease.toMillis() + " milliseconds", runtime);
    }

    /** A pending run no slot of this instance can take. */
    public record Unplaceable(String evalId, String jobId, String runtime) { }

    /** Pending runs of a runtime none of {@code runtimes} is: no slot of these can run them. */
    public List<Unplaceable> pendingNotOn(Collection<String> runtimes) {
        return jdbc.query("SELECT eval_id, job_id, runtime FROM eval_runs WHERE status = 'pending' "
                + "AND NOT (runtime = ANY (?)) ORDER BY created_at",
                r -> new Unplaceable(r.getString(1), r.getString(2), r.getString(3)),
                (Object) runtimes.toArray(String[]::new));
    }

    // Everything a claim changes is on condition that it is still that claim: the same owner and the same attempt
    // (an instance that stalled past its lease may have claimed the run again on another slot).

    /** Renews the leases of {@code owner}'s claims, in one statement, each while it still holds its run. */
    public void renew(String owner, Collection<Run> claims, Duration lease) {
        if (claims.isEmpty()) {
            return;
        }
        jdbc.update("UPDATE eval_runs SET lease_expires_at = now() + ?::interval WHERE owner = ? "
                + "AND status = 'running' AND eval_id || '@' || attempts = ANY (?)", lease.toMillis() + " milliseconds",
                owner, (Object) claims.stream().filter(c -> c.owner().equals(owner))
                        .map(c -> c.evalId() + "@" + c.attempts()).toArray(String[]::new));
    }

    /** Records the outcome; false when the claim no longer holds the run (whoever took it over finishes it). */
    public boolean finish(Run claim, String status, String reason, String metrics, String reportKey) {
        return jdbc.update("""
                UPDATE eval_runs SET status = ?, reason = ?, metrics = ?, report_key = ?, finished_at = now(),
                                     owner = NULL, lease_expires_at = NULL
                WHERE eval_id = ? AND owner = ? AND attempts = ? AND status = 'running'""",
                status, reason, metrics, reportKey, claim.evalId(), claim.owner(), claim.attempts()) == 1;
    }

    /**
     * Back to pending, not counted as a try, and not claimed again for two seconds (the runs behind it go first):
     * it cannot go on yet (its dataset version is not known, S3 is failing), for {@code reason}.
     */
    public void postpone(Run claim, String reason) {
        jdbc.update("UPDATE eval_runs SET status = 'pending', attempts = attempts - 1, owner = NULL, "
                + "lease_expires_at = NULL, not_before = now() + interval '2 seconds', reason = ? WHERE eval_id = ? "
                + "AND owner = ? AND attempts = ? AND status = 'running'", reason, claim.evalId(), claim.owner(),
                claim.attempts());
    }

    /** An ended evaluation whose leftover objects are not deleted yet, and the report its outcome names (or null). */
    public record Unswept(String evalId, String projectId, String reportKey) { }

    /** Up to {@code limit} ended evaluations ({@code passed}, {@code failed}) not swept yet, the first ended first. */
    public List<Unswept> unswept(int limit) {
        return jdbc.query("SELECT eval_id, project_id, report_key FROM eval_runs WHERE objects_swept_at IS NULL "
                + "AND status IN ('passed', 'failed') ORDER BY finished_at LIMIT ?",
                r -> new Unswept(r.getString(1), r.getString(2), r.getString(3)), limit);
    }

    public void swept(String evalId) {
        jdbc.update("UPDATE eval_runs SET objects_swept_at = now() WHERE eval_id = ?", evalId);
    }

    /** Back to pending after a failure this instance could not get past (retried later, then given up). */
    public void release(Run claim, String reason) {
        jdbc.update("UPDATE eval_runs SET status = 'pending', reason = ?, owner = NULL, lease_expires_at = NULL "
                + "WHERE eval_id = ? AND owner = ? AND attempts = ? AND status = 'running'", reason, claim.evalId(),
                claim.owner(), claim.attempts());
    }
}
