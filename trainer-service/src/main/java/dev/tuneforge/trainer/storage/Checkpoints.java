package dev.tuneforge.trainer.storage;

import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** The {@code checkpoints} table: checkpoints synced to S3, one row per step. */
@ApplicationScoped
public class Checkpoints {

    public record Checkpoint(long step, int attempt, String objectKey, String sha256) {
    }

    private final Jdbc jdbc;

    public Checkpoints(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** False when this step was already recorded (a retried attempt writing the same step again). */
    public boolean insert(String jobId, long step, int attempt, String key, String sha256) {
        return jdbc.update("""
                INSERT INTO checkpoints (job_id, step, attempt, object_key, sha256) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (job_id, step) DO NOTHING""", jobId, step, attempt, key, sha256) == 1;
    }

    public List<Checkpoint> of(String jobId) {
        return jdbc.query("SELECT step, attempt, object_key, sha256 FROM checkpoints WHERE job_id = ? ORDER BY step",
                r -> new Checkpoint(r.getLong(1), r.getInt(2), r.getString(3), r.getString(4)), jobId);
    }
}
