package dev.tuneforge.gateway.storage;

import dev.tuneforge.events.ModelArchived;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.ModelVersionView;
import dev.tuneforge.gateway.domain.ModelView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.tuneforge.gateway.storage.JobReadModel.timestamp;

/**
 * The {@code models}, {@code model_versions} and {@code model_aliases} tables, from registry-service's
 * events. They all come on the registry topic keyed by model name, so one model's events are applied in
 * the order registry-service emitted them, live and in a rebuild alike.
 */
@ApplicationScoped
public class ModelReadModel {

    /** A version's status once it has been champion (registry-service's {@code ModelVersion.PROMOTED}). */
    public static final String PROMOTED = "promoted";
    /** An archived version (ModelArchived) is never served again. */
    public static final String ARCHIVED = "archived";

    private static final String MODEL_COLUMNS = """
            m.model_name, m.latest_version, m.created_at, m.updated_at,
            (SELECT array_agg(a.alias || '=' || a.version ORDER BY a.alias) FROM model_aliases a
              WHERE a.project_id = m.project_id AND a.model_name = m.model_name)""";
    private static final String VERSION_COLUMNS = """
            v.model_name, v.version, v.job_id, v.artifact_key, v.artifact_sha256, v.status,
            (SELECT array_agg(a.alias ORDER BY a.alias) FROM model_aliases a WHERE a.project_id = v.project_id
              AND a.model_name = v.model_name AND a.version = v.version), v.created_at""";

    private final Jdbc jdbc;

    public ModelReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void registered(ReadModelTables t, ModelRegistered r, OffsetDateTime time) {
        touch(t, r.projectId(), r.modelName(), r.version(), time);
        jdbc.update("INSERT INTO " + t.modelVersions() + """
                 (project_id, model_name, version, job_id, artifact_key, artifact_sha256, status, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, now()))
                ON CONFLICT (project_id, model_name, version) DO UPDATE SET job_id = EXCLUDED.job_id,
                  artifact_key = EXCLUDED.artifact_key, artifact_sha256 = EXCLUDED.artifact_sha256,
                  status = EXCLUDED.status""",
                r.projectId(), r.modelName(), r.version(), r.jobId(), r.artifactKey(), r.artifactSha256(), r.status(),
                timestamp(time));
    }

    public void promoted(ReadModelTables t, ModelPromoted p, OffsetDateTime time) {
        touch(t, p.projectId(), p.modelName(), null, time);
        String alias = p.alias() == null ? ModelPromoted.CHAMPION : p.alias();
        alias(t, p.projectId(), p.modelName(), alias, p.version(), p.previousVersion(), time);
        otherAliases(t, p.projectId(), p.modelName(), alias, p.aliases(), time);
        if (ModelPromoted.CHAMPION.equals(alias)) {
            // As registry-service does: a candidate that becomes champion is promoted, and stays so after a rollback.
            jdbc.update("UPDATE " + t.modelVersions() + " SET status = ? WHERE project_id = ? AND model_name = ?"
                    + " AND version = ? AND status = ?", PROMOTED, p.projectId(), p.modelName(), p.version(),
                    ModelRegistered.CANDIDATE);
        }
    }

    public void rolledBack(ReadModelTables t, ModelRolledBack r, OffsetDateTime time) {
        touch(t, r.projectId(), r.modelName(), null, time);
        alias(t, r.projectId(), r.modelName(), ModelPromoted.CHAMPION, r.toVersion(), r.fromVersion(), time);
        otherAliases(t, r.projectId(), r.modelName(), ModelPromoted.CHAMPION, r.aliases(), time);
    }

    private void alias(ReadModelTables t, String projectId, String model, String alias, int version, Integer previous,
                       OffsetDateTime time) {
        jdbc.update("INSERT INTO " + t.modelAliases() + """
                 (project_id, model_name, alias, version, previous_version, updated_at)
                VALUES (?, ?, ?, ?, ?, COALESCE(?, now()))
                ON CONFLICT (project_id, model_name, alias) DO UPDATE SET version = EXCLUDED.version,
                  previous_version = EXCLUDED.previous_version, updated_at = EXCLUDED.updated_at""",
                projectId, model, alias, version, previous, timestamp(time));
    }

    /**
     * The aliases registry-service moved along with {@code moved} ({@code previous-champion} follows
     * {@code champion}), from the event's whole alias map: each one that changed is set, each one the map no
     * longer has is removed. Events without the map (it is optional) leave the other aliases as they are.
     */
    private void otherAliases(ReadModelTables t, String projectId, String model, String moved,
                              Map<String, Integer> aliases, OffsetDateTime time) {
        if (aliases == null) {
            return;
        }
        aliases.forEach((alias, version) -> {
            if (!alias.equals(moved)) {
                jdbc.update("INSERT INTO " + t.modelAliases() + """
                         AS a (project_id, model_name, alias, version, previous_version, updated_at)
                        VALUES (?, ?, ?, ?, NULL, COALESCE(?, now()))
                        ON CONFLICT (project_id, model_name, alias) DO UPDATE SET version = EXCLUDED.version,
                          previous_version = a.version, updated_at = EXCLUDED.updated_at
                        WHERE a.version <> EXCLUDED.version""",
                        projectId, model, alias, version, timestamp(time));
            }
        });
        List<String> current = jdbc.query("SELECT alias FROM " + t.modelAliases()
                + " WHERE project_id = ? AND model_name = ?", row -> row.getString(1), projectId, model);
        for (String alias : current) {
            if (!alias.equals(moved) && !aliases.containsKey(alias)) {
                jdbc.update("DELETE FROM " + t.modelAliases()
                        + " WHERE project_id = ? AND model_name = ? AND alias = ?", projectId, model, alias);
            }
        }
    }

    /** Creates the model's row on its first event; widens [created_at, updated_at]; keeps the highest version. */
    private void touch(ReadModelTables t, String projectId, String model, Integer version, OffsetDateTime time) {
        jdbc.update("INSERT INTO " + t.models() + """
                 AS m (project_id, model_name, latest_version, created_at, updated_at)
                VALUES (?, ?, ?, COALESCE(?, now()), COALESCE(?, now()))
                ON CONFLICT (project_id, model_name) DO UPDATE SET
                  latest_version = GREATEST(m.latest_version, EXCLUDED.latest_version),
                  created_at = LEAST(m.created_at, EXCLUDED.created_at),
                  updated_at = GREATEST(m.updated_at, EXCLUDED.updated_at)""",
                projectId, model, version, timestamp(time), timestamp(time));
    }

    public Optional<ModelView> find(String projectId, String name) {
        return jdbc.queryOne("SELECT " + MODEL_COLUMNS + " FROM models m WHERE m.project_id = ? AND m.model_name = ?",
                ModelReadModel::model, projectId, name);
    }

    /** A project's models, oldest first, after the cursor. */
    public List<ModelView> list(String projectId, Cursor after, int limit) {
        if (after == null) {
            return jdbc.query("SELECT " + MODEL_COLUMNS + " FROM models m WHERE m.project_id = ?"
                    + " ORDER BY m.created_at, m.model_name LIMIT ?", ModelReadModel::model, projectId, limit);
        }
        return jdbc.query("SELECT " + MODEL_COLUMNS + " FROM models m WHERE m.project_id = ?"
                        + " AND (m.created_at, m.model_name) > (?, ?) ORDER BY m.created_at, m.model_name LIMIT ?",
                ModelReadModel::model, projectId, after.createdAt(), after.id(), limit);
    }

    public void archived(ReadModelTables t, ModelArchived a, OffsetDateTime time) {
        touch(t, a.projectId(), a.modelName(), null, time);
        jdbc.update("UPDATE " + t.modelVersions() + " SET status = ? WHERE project_id = ? AND model_name = ?"
                + " AND version = ?", ARCHIVED, a.projectId(), a.modelName(), a.version());
    }

    /** The version a job's result was registered as, if it has been. */
    public Optional<ModelVersionView> versionOfJob(String projectId, String jobId) {
        return jdbc.queryOne("SELECT " + VERSION_COLUMNS + " FROM model_versions v WHERE v.project_id = ?"
                + " AND v.job_id = ? ORDER BY v.version DESC LIMIT 1", ModelReadModel::version, projectId, jobId);
    }

    /** A model's versions, in order, after version {@code after} (0: from the first). */
    public List<ModelVersionView> versions(String projectId, String name, int after, int limit) {
        return jdbc.query("SELECT " + VERSION_COLUMNS + " FROM model_versions v WHERE v.project_id = ?"
                        + " AND v.model_name = ? AND v.version > ? ORDER BY v.version LIMIT ?",
                ModelReadModel::version, projectId, name, after, limit);
    }

    public Optional<ModelVersionView> version(String projectId, String name, int version) {
        return jdbc.queryOne("SELECT " + VERSION_COLUMNS + " FROM model_versions v WHERE v.project_id = ?"
                + " AND v.model_name = ? AND v.version = ?", ModelReadModel::version, projectId, name, version);
    }

    /** Every model version trained by a job on this dataset version, oldest first. */
    public List<ModelVersionView> trainedOn(String projectId, String datasetId, int datasetVersion) {
        return jdbc.query("SELECT " + VERSION_COLUMNS + " FROM model_versions v JOIN jobs j"
                        + " ON j.project_id = v.project_id AND j.job_id = v.job_id"
                        + " WHERE v.project_id = ? AND j.dataset_id = ? AND j.dataset_version = ?"
                        + " ORDER BY v.created_at, v.model_name, v.version",
                ModelReadModel::version, projectId, datasetId, datasetVersion);
    }

    /** Who asked for a job (the key id or OIDC subject of TrainingRequested), if known. */
    public Optional<String> requestedBy(String projectId, String jobId) {
        return jdbc.queryOne("SELECT requested_by FROM jobs WHERE project_id = ? AND job_id = ?",
                row -> row.getString(1), projectId, jobId);
    }

    private static ModelView model(ResultSet row) throws SQLException {
        Map<String, Integer> aliases = new LinkedHashMap<>();
        for (String pair : strings(row.getArray(5))) {
            int eq = pair.lastIndexOf('=');
            aliases.put(pair.substring(0, eq), Integer.parseInt(pair.substring(eq + 1)));
        }
        return new ModelView(row.getString(1), (Integer) row.getObject(2), aliases.get("champion"), aliases,
                row.getObject(3, OffsetDateTime.class), row.getObject(4, OffsetDateTime.class));
    }

    private static ModelVersionView version(ResultSet row) throws SQLException {
        return new ModelVersionView(row.getString(1), row.getInt(2), row.getString(3), row.getString(4),
                row.getString(5), row.getString(6), strings(row.getArray(7)), row.getObject(8, OffsetDateTime.class));
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }
}
