package dev.tuneforge.kit;

import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.Topics;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.messaging.OutboxPublisher;
import dev.tuneforge.kit.messaging.OutboxRecord;
import dev.tuneforge.kit.messaging.OutboxStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbox, relay, inbox and dead-lettering against the real broker and database. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class OutboxInboxTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Outbox outbox;
    @Inject
    OutboxStore store;
    @Inject
    OutboxPublisher publisher;
    @Inject
    AgroalDataSource dataSource;
    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;
    @ConfigProperty(name = "quarkus.datasource.username")
    String dbUser;
    @ConfigProperty(name = "quarkus.datasource.password")
    String dbPassword;

    @Test
    void eventOfARolledBackTransactionIsNeverPublished() {
        String datasetId = "ds_" + UUID.randomUUID();
        assertThrows(IllegalStateException.class, () -> QuarkusTransaction.requiringNew().run(() -> {
            outbox.publish(uploaded(datasetId, "rolled-back"));
            throw new IllegalStateException("the service's own write failed");
        }));
        // Same aggregate, so same partition: once the marker is on the topic, anything published before it is too.
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "marker")));

        await().atMost(WAIT).until(() -> namesOnTopic(datasetId).contains("marker"));
        assertEquals(List.of("marker"), namesOnTopic(datasetId));
        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("marker")));
    }

    @Test
    void relayKilledBetweenPublishAndMarkSentLeadsToExactlyOneEffect() throws Exception {
        String datasetId = "ds_" + UUID.randomUUID();
        EventEnvelope envelope;
        // The relay "process" holds the relay lock, publishes, and dies before marking the rows sent:
        // the database is left exactly as a kill -9 at that point leaves it.
        try (Connection relayConnection = DriverManager.getConnection(jdbcUrl, dbUser, dbPassword)) {
            execute(relayConnection, "SELECT pg_advisory_lock(" + OutboxStore.relayLockKey() + ")");
            envelope = QuarkusTransaction.requiringNew().call(() -> outbox.publish(uploaded(datasetId, "crash")));
            List<OutboxRecord> pending = QuarkusTransaction.requiringNew().call(() -> store.pending(1000)).stream()
                    .filter(r -> r.eventId().equals(envelope.id())).toList();
            assertEquals(1, pending.size());
            publisher.publish(pending);
        }
        // The session ended with the connection; the restarted relay finds the row still pending.
        await().atMost(WAIT).until(() -> recordsWithId(envelope.id()) == 2);
        await().atMost(WAIT).until(() -> store.pendingCount() == 0);
        await().atMost(WAIT).until(this::duplicateSeen);
        assertEquals(List.of("crash"), effects(datasetId));
    }

    @Test
    void poisonRecordsGoToTheDeadLetterTopicWithTheirReasonAndTheConsumerCarriesOn() {
        String datasetId = "ds_" + UUID.randomUUID();
        topics().send(rawRecord(datasetId, "not-a-uuid", EventType.DATASET_UPLOADED.typeName(), "{}"));
        topics().send(rawRecord(datasetId, UUID.randomUUID().toString(),
                EventType.DATASET_UPLOADED.typeName(), "{broken json"));
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "after-poison")));

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("after-poison")));
        await().atMost(WAIT).until(() -> deadLettered(datasetId).size() == 2);
        List<String> reasons = deadLettered(datasetId).stream()
                .map(r -> TopicClient.header(r, "dead-letter-reason")).toList();
        assertTrue(reasons.stream().anyMatch(r -> r.contains("ce_id is not a UUID")), reasons.toString());
        assertTrue(reasons.stream().anyMatch(r -> r.contains("is not valid JSON of DatasetUploaded")), reasons.toString());
    }

    @Test
    void unknownEventTypesAreSkippedNotDeadLettered() {
        String datasetId = "ds_" + UUID.randomUUID();
        topics().send(rawRecord(datasetId, UUID.randomUUID().toString(),
                "dev.tuneforge.dataset.teleported.v9", "{\"whatever\":true}"));
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "after-unknown")));

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("after-unknown")));
        assertEquals(0, deadLettered(datasetId).size());
    }

    @Test
    void transientFailuresAreRetriedAndTakeEffectOnce() {
        String datasetId = "ds_" + UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "flaky-2")));

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("flaky-2")));
        assertEquals(0, deadLettered(datasetId).size());
    }

    @Test
    void anEffectThatKeepsFailingIsDeadLetteredAfterTheLastAttempt() {
        String datasetId = "ds_" + UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "always-fails")));
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "after-failure")));

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("after-failure")));
        await().atMost(WAIT).until(() -> deadLettered(datasetId).size() == 1);
        String reason = TopicClient.header(deadLettered(datasetId).get(0), "dead-letter-reason");
        assertTrue(reason.contains("failed after 3 attempts"), reason);
    }

    private TopicClient topics() {
        return new TopicClient(bootstrap);
    }

    private static DatasetUploaded uploaded(String datasetId, String name) {
        return new DatasetUploaded("prj_test", datasetId, name, "chat", "projects/prj_test/uploads/" + datasetId,
                "00", 1, null, null, "test", null, null);
    }

    private static ProducerRecord<String, String> rawRecord(String key, String id, String type, String value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(CloudEventHeaders.SPEC_VERSION, "1.0".getBytes(StandardCharsets.UTF_8));
        headers.add(CloudEventHeaders.ID, id.getBytes(StandardCharsets.UTF_8));
        headers.add(CloudEventHeaders.TYPE, type.getBytes(StandardCharsets.UTF_8));
        headers.add(CloudEventHeaders.SOURCE, "a-test".getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(Topics.DATASETS, null, key, value, headers);
    }

    private List<String> namesOnTopic(String datasetId) {
        return topics().readAll(Topics.DATASETS).stream()
                .filter(r -> datasetId.equals(r.key()))
                .map(r -> (DatasetUploaded) EventCodec.read(EventType.DATASET_UPLOADED, r.value()))
                .map(DatasetUploaded::name).toList();
    }

    private long recordsWithId(UUID id) {
        return topics().readAll(Topics.DATASETS).stream()
                .filter(r -> id.toString().equals(TopicClient.header(r, CloudEventHeaders.ID))).count();
    }

    private List<ConsumerRecord<String, String>> deadLettered(String datasetId) {
        return topics().readAll(Topics.dlq(Topics.DATASETS)).stream()
                .filter(r -> datasetId.equals(r.key())).toList();
    }

    private List<String> effects(String datasetId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT name FROM test_effects WHERE dataset_id = ? ORDER BY name")) {
            select.setString(1, datasetId);
            List<String> names = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
            return names;
        }
    }

    /** The consumer has seen the second copy of the event and recognised it in the inbox. */
    private boolean duplicateSeen() {
        var counter = registry.find("tuneforge.inbox.events")
                .tags("consumer", TestConsumer.CHANNEL, "outcome", "duplicate").counter();
        return counter != null && counter.count() >= 1;
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
