package dev.tuneforge.kit.messaging;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** JDBC access to {@code tf_outbox} for the relay. Every method runs in the caller's transaction. */
@ApplicationScoped
public class OutboxStore {

    /**
     * One relay at a time per service database: two replicas sending disjoint batches concurrently
     * could reorder the events of one aggregate. The lock is released when the transaction ends.
     */
    private static final long RELAY_LOCK = 0x7475_6e65_666f_7267L; // "tuneforg"

    private final AgroalDataSource dataSource;

    public OutboxStore(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    public static long relayLockKey() {
        return RELAY_LOCK;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public boolean tryLockRelay() {
        return queryBoolean("SELECT pg_try_advisory_xact_lock(?)", RELAY_LOCK);
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public List<OutboxRecord> pending(int limit) {
        String sql = """
                SELECT seq, event_id, topic, event_key, event_type, source, subject, event_time, payload
                FROM tf_outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?""";
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            select.setInt(1, limit);
            List<OutboxRecord> records = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    records.add(new OutboxRecord(rows.getLong(1), rows.getObject(2, UUID.class), rows.getString(3),
                            rows.getString(4), rows.getString(5), rows.getString(6), rows.getString(7),
                            rows.getTimestamp(8).toInstant(), rows.getString(9)));
                }
            }
            return records;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the outbox", e);
        }
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void markSent(List<OutboxRecord> records) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement update = connection.prepareStatement(
                     "UPDATE tf_outbox SET sent_at = now() WHERE seq = ANY (?)")) {
            Long[] seqs = records.stream().map(OutboxRecord::seq).toArray(Long[]::new);
            update.setArray(1, connection.createArrayOf("bigint", seqs));
            update.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot mark outbox rows sent", e);
        }
    }

    /** Sent rows are kept a while for inspection, then deleted. */
    @Transactional
    public int deleteSentBefore(Duration age) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement delete = connection.prepareStatement(
                     "DELETE FROM tf_outbox WHERE sent_at < now() - make_interval(secs => ?)")) {
            delete.setDouble(1, age.toSeconds());
            return delete.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot clean the outbox", e);
        }
    }

    @Transactional
    public long pendingCount() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement count = connection.prepareStatement(
                     "SELECT count(*) FROM tf_outbox WHERE sent_at IS NULL");
             ResultSet rows = count.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count the outbox", e);
        }
    }

    private boolean queryBoolean(String sql, long arg) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, arg);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("outbox query failed: " + sql, e);
        }
    }
}
