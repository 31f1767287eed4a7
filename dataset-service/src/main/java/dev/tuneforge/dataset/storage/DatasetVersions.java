package dev.tuneforge.dataset.storage;

import dev.tuneforge.dataset.domain.LineCheck;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

/** The {@code dataset_versions} table. */
@ApplicationScoped
public class DatasetVersions {

    private static final String INSERT = """
            INSERT INTO dataset_versions
              (dataset_id, version, project_id, status, object_key, content_sha256, examples, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)""";

    private final Jdbc jdbc;

    public DatasetVersions(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public int nextVersion(String datasetId) {
        return jdbc.queryOne("SELECT coalesce(max(version), 0) + 1 FROM dataset_versions WHERE dataset_id = ?",
                row -> row.getInt(1), datasetId).orElse(1);
    }

    public void recordReady(DatasetUploaded upload, int version, LineCheck check) {
        jdbc.update(INSERT, upload.datasetId(), version, upload.projectId(), "ready", upload.objectKey(),
                check.sha256(), check.examples(), null);
    }

    public void recordRejected(DatasetUploaded upload, int version, LineCheck check) {
        jdbc.update(INSERT, upload.datasetId(), version, upload.projectId(), "rejected", upload.objectKey(),
                check.sha256(), check.examples(), check.reason());
    }

    public long count(String datasetId) {
        return jdbc.queryOne("SELECT count(*) FROM dataset_versions WHERE dataset_id = ?",
                row -> row.getLong(1), datasetId).orElse(0L);
    }
}
