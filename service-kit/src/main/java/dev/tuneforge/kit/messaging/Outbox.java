package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.kit.db.AfterCommit;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;

/**
 * Where a service puts the events it emits: a row in {@code tf_outbox}, written in the caller's
 * transaction. If that transaction rolls back, the event never existed; if it commits,
 * {@link OutboxRelay} publishes it, woken as soon as the transaction commits. Never publish to Kafka directly after a
 * database write.
 */
@ApplicationScoped
public class Outbox {

    private static final String INSERT = """
            INSERT INTO tf_outbox (event_id, topic, event_key, event_type, source, subject, event_time, payload)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)""";

    /** The key under which a transaction that wrote events wakes the relay, once. */
    private static final String RELAY_WAKE_UP = Outbox.class.getName() + ".relay-wake-up";

    private final AgroalDataSource dataSource;
    private final String source;
    private final AfterCommit afterCommit;
    private final OutboxRelay relay;

    public Outbox(AgroalDataSource dataSource, @ConfigProperty(name = "quarkus.application.name") String source,
                  AfterCommit afterCommit, OutboxRelay relay) {
        this.dataSource = dataSource;
        this.source = source;
        this.afterCommit = afterCommit;
        this.relay = relay;
    }

    /** Adds the event to the current transaction; there must be one. */
    @Transactional(Transactional.TxType.MANDATORY)
    public EventEnvelope publish(TuneforgeEvent event) {
        EventEnvelope envelope = EventEnvelope.wrap(event, source);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(INSERT)) {
            insert.setObject(1, envelope.id());
            insert.setString(2, envelope.topic());
            insert.setString(3, envelope.subject());
            insert.setString(4, envelope.type().typeName());
            insert.setString(5, envelope.source());
            insert.setString(6, envelope.subject());
            insert.setTimestamp(7, Timestamp.from(envelope.time().toInstant()));
            insert.setString(8, EventCodec.toJson(event));
            insert.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write " + envelope.type().typeName() + " to the outbox", e);
        }
        afterCommit.once(RELAY_WAKE_UP, relay::wake);
        return envelope;
    }
}
