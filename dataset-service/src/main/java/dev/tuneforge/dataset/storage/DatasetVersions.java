package dev.tuneforge.dataset.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tuneforge.dataset.domain.DatasetVersion;
import dev.tuneforge.dataset.domain.DatasetVersion.StoredFile;
import dev.tuneforge.dataset.validation.LongHashSet;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code datasets} and {@code dataset_versions} tables. */
@ApplicationScoped
public class DatasetVersions {

    private static final String COLUMNS = """
            project_id, dataset_id, version, parent_version, content_sha256, upload_key, upload_sha256,
            train_key, train_sha256, train_examples, validation_key, validation_sha256, validation_examples,
            new_examples, report""";

    private final Jdbc jdbc;

    public DatasetVersions(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<String> format(String datasetId) {
        return jdbc.queryOne("SELECT format FROM datasets WHERE dataset_id = ?", row -> row.getString(1), datasetId);
    }

    public Optional<String> purpose(String datasetId) {
        return jdbc.queryOne("SELECT purpose FROM datasets WHERE dataset_id = ?", row -> row.getString(1), datasetId);
    }

    /** The prompt hashes of every evaluation set of the project (see {@code evaluation_prompts}). */
    public LongHashSet evaluationPrompts(String projectId) {
        LongHashSet hashes = new LongHashSet();
        jdbc.query("SELECT prompt_hash FROM evaluation_prompts WHERE project_id = ?",
                row -> hashes.add(row.getLong(1)), projectId);
        return hashes;
    }

    public void registerEvaluationPrompts(String projectId, String datasetId, LongHashSet promptHashes) {
        List<Object[]> rows = new ArrayList<>(promptHashes.size());
        promptHashes.forEach(hash -> rows.add(new Object[] {projectId, hash, datasetId}));
        jdbc.batch("""
                INSERT INTO evaluation_prompts (project_id, prompt_hash, dataset_id) VALUES (?, ?, ?)
                ON CONFLICT DO NOTHING""", rows);
    }

    public Optional<DatasetVersion> find(String datasetId, int version) {
        return jdbc.queryOne("SELECT d.format, " + COLUMNS + " FROM dataset_versions v JOIN datasets d USING (dataset_id, project_id)"
                + " WHERE dataset_id = ? AND version = ?", DatasetVersions::map, datasetId, version);
    }

    public Optional<DatasetVersion> findByContent(String datasetId, String contentSha256) {
        return jdbc.queryOne("SELECT d.format, " + COLUMNS + " FROM dataset_versions v JOIN datasets d USING (dataset_id, project_id)"
                + " WHERE dataset_id = ? AND content_sha256 = ?", DatasetVersions::map, datasetId, contentSha256);
    }

    public int nextVersion(String datasetId) {
        return jdbc.queryOne("SELECT coalesce(max(version), 0) + 1 FROM dataset_versions WHERE dataset_id = ?",
                row -> row.getInt(1), datasetId).orElse(1);
    }

    public long count(String datasetId) {
        return jdbc.queryOne("SELECT count(*) FROM dataset_versions WHERE dataset_id = ?",
                row -> row.getLong(1), datasetId).orElse(0L);
    }

    public void insert(String name, String purpose, DatasetVersion v) {
        jdbc.update("""
                INSERT INTO datasets (dataset_id, project_id, name, format, purpose) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (dataset_id) DO NOTHING""", v.datasetId(), v.projectId(), name, v.format(), purpose);
        jdbc.update("INSERT INTO dataset_versions (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                v.projectId(), v.datasetId(), v.version(), v.parentVersion(), v.contentSha256(), v.uploadKey(),
                v.uploadSha256(), v.train().key(), v.train().sha256(), v.train().examples(), v.validation().key(),
                v.validation().sha256(), v.validation().examples(), v.newExamples(), json(v.report()));
    }

    private static DatasetVersion map(ResultSet row) throws SQLException {
        return new DatasetVersion(row.getString("project_id"), row.getString("dataset_id"), row.getInt("version"),
                (Integer) row.getObject("parent_version"), row.getString("format"), row.getString("content_sha256"),
                row.getString("upload_key"), row.getString("upload_sha256"),
                new StoredFile(row.getString("train_key"), row.getString("train_sha256"), row.getLong("train_examples")),
                new StoredFile(row.getString("validation_key"), row.getString("validation_sha256"),
                        row.getLong("validation_examples")),
                row.getLong("new_examples"), report(row.getString("report")));
    }

    private static String json(DatasetReport report) {
        try {
            return EventCodec.mapper().writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DatasetReport report(String json) throws SQLException {
        try {
            return EventCodec.mapper().readValue(json, DatasetReport.class);
        } catch (JsonProcessingException e) {
            throw new SQLException("stored report is not readable", e);
        }
    }
}
