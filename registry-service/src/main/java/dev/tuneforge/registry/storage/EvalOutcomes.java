package dev.tuneforge.registry.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.Optional;

/** {@code eval_outcomes}: the first verdict of an evaluation on each job, kept until and after registration. */
@ApplicationScoped
public class EvalOutcomes {

    public record Outcome(String jobId, String projectId, String modelName, String evalId, boolean passed,
                          Map<String, Double> metrics, String gate, String reason, String reportKey, String source) {
    }

    private final Jdbc jdbc;

    public EvalOutcomes(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** False when the job already had a verdict (a later evaluation of the same job changes nothing). */
    public boolean record(Outcome o) {
        return jdbc.update("""
                INSERT INTO eval_outcomes (job_id, project_id, model_name, eval_id, passed, metrics, gate, reason,
                                           report_key, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                o.jobId(), o.projectId(), o.modelName(), o.evalId(), o.passed(), Json.write(o.metrics()), o.gate(),
                o.reason(), o.reportKey(), o.source()) == 1;
    }

    public Optional<Outcome> of(String jobId) {
        return jdbc.queryOne("""
                SELECT job_id, project_id, model_name, eval_id, passed, metrics, gate, reason, report_key, source
                FROM eval_outcomes WHERE job_id = ?""",
                r -> new Outcome(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getBoolean(5),
                        Json.read(r.getString(6), new TypeReference<>() { }), r.getString(7), r.getString(8),
                        r.getString(9), r.getString(10)), jobId);
    }

    /** Serialises everything that registers a job's version (its verdict and its finish meet here). */
    public void lockJob(String jobId) {
        jdbc.queryOne("SELECT pg_advisory_xact_lock(hashtext('registry-job:' || ?))", row -> Boolean.TRUE, jobId);
    }
}
