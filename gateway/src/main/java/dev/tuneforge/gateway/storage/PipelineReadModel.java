package dev.tuneforge.gateway.storage;

import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.PipelineView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code pipelines} table: each PipelineConfigured carries the whole configuration. */
@ApplicationScoped
public class PipelineReadModel {

    private static final String COLUMNS = "pipeline_id, status, dataset_id, base_model, model_name, method,"
            + " hyperparameters::text, gate::text, triggers::text, runtime, created_at, updated_at";

    private final Jdbc jdbc;

    public PipelineReadModel(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public void configured(ReadModelTables t, PipelineConfigured c, OffsetDateTime time) {
        jdbc.update("INSERT INTO " + t.pipelines() + """
                 AS p (pipeline_id, project_id, dataset_id, base_model, model_name, method, hyperparameters, gate,
                  triggers, status, runtime, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, COALESCE(?, now()), COALESCE(?, now()))
                ON CONFLICT (pipeline_id) DO UPDATE SET dataset_id = EXCLUDED.dataset_id,
                  base_model = EXCLUDED.base_model, model_name = EXCLUDED.model_name, method = EXCLUDED.method,
                  hyperparameters = EXCLUDED.hyperparameters, gate = EXCLUDED.gate, triggers = EXCLUDED.triggers,
                  status = EXCLUDED.status, runtime = EXCLUDED.runtime, updated_at = EXCLUDED.updated_at
                WHERE p.project_id = EXCLUDED.project_id""",
                c.pipelineId(), c.projectId(), c.datasetId(), c.baseModel(), c.modelName(), c.method(),
                JobReadModel.json(c.hyperparameters()), JobReadModel.json(c.gate()), JobReadModel.json(c.triggers()),
                c.status(), c.runtime(), JobReadModel.timestamp(time), JobReadModel.timestamp(time));
    }

    public Optional<PipelineView> find(String projectId, String pipelineId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM pipelines WHERE pipeline_id = ? AND project_id = ?",
                PipelineReadModel::view, pipelineId, projectId);
    }

    /** A project's pipelines in a status (null: all but deleted), oldest first, after the cursor. */
    public List<PipelineView> list(String projectId, String status, Cursor after, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM pipelines WHERE project_id = ?");
        List<Object> args = new ArrayList<>(List.of(projectId));
        if (status == null) {
            sql.append(" AND status <> 'deleted'");
        } else {
            sql.append(" AND status = ?");
            args.add(status);
        }
        if (after != null) {
            sql.append(" AND (created_at, pipeline_id) > (?, ?)");
            args.add(after.createdAt());
            args.add(after.id());
        }
        sql.append(" ORDER BY created_at, pipeline_id LIMIT ?");
        args.add(limit);
        return jdbc.query(sql.toString(), PipelineReadModel::view, args.toArray());
    }

    private static PipelineView view(ResultSet row) throws SQLException {
        return new PipelineView(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                row.getString(5), row.getString(6), JobReadModel.tree(row.getString(7)),
                JobReadModel.tree(row.getString(8)), JobReadModel.tree(row.getString(9)), row.getString(10),
                row.getObject(11, OffsetDateTime.class), row.getObject(12, OffsetDateTime.class));
    }
}
