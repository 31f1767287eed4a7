package dev.tuneforge.gateway.openai;

import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The {@code openai_files} table: one row per file uploaded through {@code /v1/files}, always with its project. */
@ApplicationScoped
public class FileStore {

    /** A stored file: its object in S3 and what the API shows of it. */
    public record StoredFile(String id, String projectId, String filename, String purpose, long bytes, String sha256,
                             String objectKey, OffsetDateTime createdAt) {

        FileObject view() {
            return FileObject.of(id, bytes, createdAt.toEpochSecond(), filename, purpose);
        }
    }

    private static final String COLUMNS =
            "file_id, project_id, filename, purpose, bytes, sha256, object_key, created_at";

    private final Jdbc jdbc;

    public FileStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    void insert(StoredFile file) {
        jdbc.update("INSERT INTO openai_files (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", file.id(),
                file.projectId(), file.filename(), file.purpose(), file.bytes(), file.sha256(), file.objectKey(),
                Timestamp.from(file.createdAt().toInstant()));
    }

    public Optional<StoredFile> find(String projectId, String fileId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM openai_files WHERE project_id = ? AND file_id = ?",
                FileStore::row, projectId, fileId);
    }

    /**
     * The project's files in {@code order} of creation ({@code desc}: newest first), those after {@code after} (a
     * file id of the project, or null), optionally of one purpose; at most {@code limit}.
     */
    List<StoredFile> list(String projectId, String purpose, StoredFile after, boolean newestFirst, int limit) {
        String direction = newestFirst ? "DESC" : "ASC";
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM openai_files WHERE project_id = ?");
        List<Object> args = new java.util.ArrayList<>(List.of(projectId));
        if (purpose != null) {
            sql.append(" AND purpose = ?");
            args.add(purpose);
        }
        if (after != null) {
            sql.append(" AND (created_at, file_id) ").append(newestFirst ? "<" : ">").append(" (?, ?)");
            args.add(Timestamp.from(after.createdAt().toInstant()));
            args.add(after.id());
        }
        sql.append(" ORDER BY created_at ").append(direction).append(", file_id ").append(direction).append(" LIMIT ?");
        args.add(limit);
        return jdbc.query(sql.toString(), FileStore::row, args.toArray());
    }

    boolean delete(String projectId, String fileId) {
        return jdbc.update("DELETE FROM openai_files WHERE project_id = ? AND file_id = ?", projectId, fileId) == 1;
    }

    private static StoredFile row(ResultSet row) throws SQLException {
        return new StoredFile(row.getString(1), row.getString(2), row.getString(3), row.getString(4), row.getLong(5),
                row.getString(6), row.getString(7), row.getObject(8, OffsetDateTime.class));
    }
}
