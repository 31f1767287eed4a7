package dev.tuneforge.dataset.storage;

import dev.tuneforge.kit.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code pending_deletes} table: objects to delete from S3 once the transaction that recorded them commits
 * ({@link PendingDeleteSweeper} deletes them). {@link #add} joins the caller's transaction, so a rolled-back decision
 * deletes nothing (the retried event still needs its upload) and a committed one cannot lose its delete.
 */
@ApplicationScoped
public class PendingDeletes {

    /** Why an object is deleted: for the operator reading the table, never for a decision. */
    public enum Reason {
        /** the upload (or its validation file) of a rejected upload: nothing of it is kept */
        REJECTED_UPLOAD,
        /** an upload whose content is already a version: that version keeps its own upload */
        ALREADY_A_VERSION;

        String column() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A row: the key, and how often deleting it has failed so far. */
    public record PendingDelete(String key, int attempts) {
    }

    private final Jdbc jdbc;

    public PendingDeletes(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Records {@code key} for deletion in the caller's transaction; a key already recorded stays as it is. */
    public void add(String key, Reason reason) {
        jdbc.update("INSERT INTO pending_deletes (object_key, reason) VALUES (?, ?) ON CONFLICT (object_key) DO NOTHING",
                key, reason.column());
    }

    /** Up to {@code limit} rows whose next attempt is due, those waiting longest first. */
    public List<PendingDelete> due(int limit) {
        return jdbc.query("""
                SELECT object_key, attempts FROM pending_deletes WHERE next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT ?""", row -> new PendingDelete(row.getString(1), row.getInt(2)), limit);
    }

    /** S3 confirmed the delete. */
    public void done(String key) {
        jdbc.update("DELETE FROM pending_deletes WHERE object_key = ?", key);
    }

    /** A try failed: counted, with what went wrong, and tried again after {@code retryAfter}. */
    public void failed(String key, String error, Duration retryAfter) {
        jdbc.update("""
                UPDATE pending_deletes SET attempts = attempts + 1, last_error = ?,
                       next_attempt_at = now() + ? * interval '1 millisecond'
                WHERE object_key = ?""", error, retryAfter.toMillis(), key);
    }

    public long count() {
        return jdbc.queryOne("SELECT count(*) FROM pending_deletes", row -> row.getLong(1)).orElse(0L);
    }

    /** How often deleting {@code key} has failed, if it is still pending. */
    public Optional<Integer> attempts(String key) {
        return jdbc.queryOne("SELECT attempts FROM pending_deletes WHERE object_key = ?", row -> row.getInt(1), key);
    }
}
