package dev.tuneforge.kit.messaging;

import dev.tuneforge.events.EventEnvelope;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** The consumed-event log ({@code tf_inbox}); see {@link InboxProcessor}. */
@ApplicationScoped
public class Inbox {

    private final AgroalDataSource dataSource;

    public Inbox(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Records that {@code consumer} received the event, in the current transaction.
     *
     * @return false if it was recorded before: a redelivery, whose effect already happened
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public boolean firstDelivery(String consumer, EventEnvelope envelope) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement("""
                     INSERT INTO tf_inbox (consumer, event_id, event_type) VALUES (?, ?, ?)
                     ON CONFLICT DO NOTHING""")) {
            insert.setString(1, consumer);
            insert.setObject(2, envelope.id());
            insert.setString(3, envelope.type().typeName());
            return insert.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record event " + envelope.id() + " in the inbox", e);
        }
    }
}
