package dev.tuneforge.gateway.storage;

import dev.tuneforge.gateway.domain.Cursor;
import dev.tuneforge.gateway.domain.KeyView;
import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The {@code api_keys} table: key metadata and the SHA-256 of each secret. */
@ApplicationScoped
public class ApiKeyStore {

    /** A key row as authentication needs it. */
    public record StoredKey(String keyId, String projectId, String role, boolean revoked) {
    }

    private static final String COLUMNS =
            "key_id, project_id, name, role, secret_hint, created_at, rotated_at, revoked_at";

    private final Jdbc jdbc;

    public ApiKeyStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public long count() {
        return jdbc.queryOne("SELECT count(*) FROM api_keys", row -> row.getLong(1)).orElse(0L);
    }

    public void insert(String keyId, String projectId, String name, String role, String secretHash, String hint) {
        jdbc.update("""
                INSERT INTO api_keys (key_id, project_id, name, role, secret_hash, secret_hint)
                VALUES (?, ?, ?, ?, ?, ?)""", keyId, projectId, name, role, secretHash, hint);
    }

    public Optional<StoredKey> bySecretHash(String secretHash) {
        return jdbc.queryOne("SELECT key_id, project_id, role, revoked_at IS NOT NULL FROM api_keys WHERE secret_hash = ?",
                row -> new StoredKey(row.getString(1), row.getString(2), row.getString(3), row.getBoolean(4)),
                secretHash);
    }

    public Optional<KeyView> find(String keyId) {
        return jdbc.queryOne("SELECT " + COLUMNS + " FROM api_keys WHERE key_id = ?", ApiKeyStore::view, keyId);
    }

    /** A project's keys ordered by creation, after the cursor, at most {@code limit} rows. */
    public List<KeyView> list(String projectId, Cursor after, int limit) {
        if (after == null) {
            return jdbc.query("SELECT " + COLUMNS + " FROM api_keys WHERE project_id = ? ORDER BY created_at, key_id LIMIT ?",
                    ApiKeyStore::view, projectId, limit);
        }
        return jdbc.query("SELECT " + COLUMNS + " FROM api_keys WHERE project_id = ? AND (created_at, key_id) > (?, ?)"
                        + " ORDER BY created_at, key_id LIMIT ?",
                ApiKeyStore::view, projectId, after.createdAt(), after.id(), limit);
    }

    /** @return false if the key is revoked (or gone) */
    public boolean replaceSecret(String keyId, String secretHash, String hint) {
        return jdbc.update("""
                UPDATE api_keys SET secret_hash = ?, secret_hint = ?, rotated_at = now()
                WHERE key_id = ? AND revoked_at IS NULL""", secretHash, hint, keyId) == 1;
    }

    public void revoke(String keyId) {
        jdbc.update("UPDATE api_keys SET revoked_at = now() WHERE key_id = ? AND revoked_at IS NULL", keyId);
    }

    private static KeyView view(ResultSet row) throws SQLException {
        return new KeyView(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                row.getString(5), row.getObject(6, OffsetDateTime.class), row.getObject(7, OffsetDateTime.class),
                row.getObject(8, OffsetDateTime.class), null);
    }
}
