package dev.tuneforge.registry.storage;

import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The {@code aliases} of each model and {@code alias_history}, every move of one; call with the model locked. */
@ApplicationScoped
public class Aliases {

    /** One move of an alias; {@code version} null means the alias was removed. */
    public record Move(String alias, Integer version, Integer previousVersion, String cause, String actor,
                       Instant at) {
    }

    private final Jdbc jdbc;

    public Aliases(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Alias → version, sorted by alias. */
    public Map<String, Integer> of(String projectId, String modelName) {
        Map<String, Integer> aliases = new TreeMap<>();
        jdbc.query("SELECT alias, version FROM aliases WHERE project_id = ? AND model_name = ?",
                row -> aliases.put(row.getString(1), row.getInt(2)), projectId, modelName);
        return aliases;
    }

    public Optional<Integer> get(String projectId, String modelName, String alias) {
        return jdbc.queryOne("SELECT version FROM aliases WHERE project_id = ? AND model_name = ? AND alias = ?",
                row -> row.getInt(1), projectId, modelName, alias);
    }

    /** Points the alias at the version and records the move. */
    public void set(String projectId, String modelName, String alias, int version, Integer previous, String cause,
                    String actor) {
        jdbc.update("""
                INSERT INTO aliases (project_id, model_name, alias, version) VALUES (?, ?, ?, ?)
                ON CONFLICT (project_id, model_name, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()""",
                projectId, modelName, alias, version);
        history(projectId, modelName, alias, version, previous, cause, actor);
    }

    /** Removes the alias and records that. */
    public void remove(String projectId, String modelName, String alias, Integer previous, String cause,
                       String actor) {
        jdbc.update("DELETE FROM aliases WHERE project_id = ? AND model_name = ? AND alias = ?",
                projectId, modelName, alias);
        history(projectId, modelName, alias, null, previous, cause, actor);
    }

    /**
     * The version that was champion before {@code version} last became champion by a promotion (not by a
     * rollback): where {@code previous-champion} goes when a rollback makes {@code version} champion again.
     */
    public Optional<Integer> championBefore(String projectId, String modelName, int version) {
        // the first champion had none before it: a row with a null previous_version
        return jdbc.query("""
                SELECT previous_version FROM alias_history
                WHERE project_id = ? AND model_name = ? AND alias = 'champion' AND version = ? AND cause <> 'rollback'
                ORDER BY seq DESC LIMIT 1""", row -> Optional.ofNullable((Integer) row.getObject(1)),
                projectId, modelName, version).stream().findFirst().flatMap(previous -> previous);
    }

    public List<Move> history(String projectId, String modelName, String alias) {
        return jdbc.query("""
                SELECT alias, version, previous_version, cause, actor, at FROM alias_history
                WHERE project_id = ? AND model_name = ? AND alias = ? ORDER BY seq""",
                row -> new Move(row.getString(1), (Integer) row.getObject(2), (Integer) row.getObject(3),
                        row.getString(4), row.getString(5), row.getTimestamp(6).toInstant()),
                projectId, modelName, alias);
    }

    private void history(String projectId, String modelName, String alias, Integer version, Integer previous,
                         String cause, String actor) {
        jdbc.update("""
                INSERT INTO alias_history (project_id, model_name, alias, version, previous_version, cause, actor)
                VALUES (?, ?, ?, ?, ?, ?, ?)""", projectId, modelName, alias, version, previous, cause, actor);
    }
}
