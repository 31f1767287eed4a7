package dev.tuneforge.kit;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.kit.messaging.InboxProcessor;
import io.agroal.api.AgroalDataSource;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A consumer whose effect is a row in {@code test_effects}. Upload names steer failures:
 * {@code flaky-N} fails N times before succeeding, {@code always-fails} never succeeds.
 */
@ApplicationScoped
public class TestConsumer {

    public static final String CHANNEL = "test-in";

    private final InboxProcessor inbox;
    private final AgroalDataSource dataSource;
    private final Map<UUID, Integer> failuresSoFar = new ConcurrentHashMap<>();

    public TestConsumer(InboxProcessor inbox, AgroalDataSource dataSource) {
        this.inbox = inbox;
        this.dataSource = dataSource;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            if (!(envelope.data() instanceof DatasetUploaded uploaded)) {
                return;
            }
            failIfAsked(envelope.id(), uploaded.name());
            try (Connection connection = dataSource.getConnection();
                 PreparedStatement insert = connection.prepareStatement(
                         "INSERT INTO test_effects (event_id, dataset_id, name) VALUES (?, ?, ?)")) {
                insert.setObject(1, envelope.id());
                insert.setString(2, uploaded.datasetId());
                insert.setString(3, uploaded.name());
                insert.executeUpdate();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void failIfAsked(UUID eventId, String name) {
        if (name.equals("always-fails")) {
            throw new IllegalStateException("the effect always fails for " + name);
        }
        if (name.startsWith("flaky-")) {
            int allowed = Integer.parseInt(name.substring("flaky-".length()));
            int failed = failuresSoFar.merge(eventId, 1, Integer::sum);
            if (failed <= allowed) {
                throw new IllegalStateException("transient failure " + failed + " of " + allowed);
            }
        }
    }
}
