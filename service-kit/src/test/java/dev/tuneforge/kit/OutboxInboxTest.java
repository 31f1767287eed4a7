package dev.tuneforge.kit;

import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.MalformedEventException;
import dev.tuneforge.events.Topics;
import dev.tuneforge.kit.messaging.DeadLetterHeaders;
import dev.tuneforge.kit.messaging.Outbox;
import dev.tuneforge.kit.messaging.OutboxPublisher;
import dev.tuneforge.kit.messaging.OutboxRecord;
import dev.tuneforge.kit.messaging.OutboxStore;
import dev.tuneforge.kit.messaging.dlq.DeadLetter;
import dev.tuneforge.kit.messaging.dlq.DeadLetterException;
import dev.tuneforge.kit.messaging.dlq.DeadLetters;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox, relay, inbox, dead-lettering and replay against the real broker, database and S3 server; outages are
 * cut network links to the real servers ({@link OutageProneStack}).
 */
@QuarkusTest
@QuarkusTestResource(OutageProneStack.class)
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
    @Inject
    ObjectStore objects;
    @Inject
    DeadLetters deadLetters;

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
    void eventsArePublishedWhenTheirTransactionCommitsWithoutWaitingForThePoll() {
        // The poll is an hour apart here (application.properties): only the wake-up after each commit publishes these.
        String datasetId = "ds_" + UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> {
            outbox.publish(uploaded(datasetId, "first"));
            outbox.publish(uploaded(datasetId, "second"));
        });
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "third")));

        await().atMost(WAIT).until(() -> namesOnTopic(datasetId).size() >= 3);
        assertEquals(List.of("first", "second", "third"), namesOnTopic(datasetId));
        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("first", "second", "third")));
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
        // The session ended with the connection. The wake-up of the next commit (the poll is an hour apart here)
        // finds the row still pending, as a restarted relay's first pass would.
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "next")));
        await().atMost(WAIT).until(() -> recordsWithId(envelope.id()) == 2);
        await().atMost(WAIT).until(() -> store.pendingCount() == 0);
        await().atMost(WAIT).until(this::duplicateSeen);
        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("crash", "next")));
    }

    @Test
    void poisonRecordsGoToTheDeadLetterTopicWithTheirReasonAndTheConsumerCarriesOn() {
        String datasetId = "ds_" + UUID.randomUUID();
        double deadLetteredBefore = deadLetteredCount();
        RecordMetadata badId = topics().send(rawRecord(datasetId, "not-a-uuid",
                EventType.DATASET_UPLOADED.typeName(), "{}"));
        topics().send(rawRecord(datasetId, UUID.randomUUID().toString(),
                EventType.DATASET_UPLOADED.typeName(), "{broken json"));
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "after-poison")));

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("after-poison")));
        await().atMost(WAIT).until(() -> deadLettered(datasetId).size() == 2);
        List<String> reasons = deadLettered(datasetId).stream()
                .map(r -> TopicClient.header(r, DeadLetterHeaders.REASON)).toList();
        assertTrue(reasons.stream().anyMatch(r -> r.contains("ce_id is not a UUID")), reasons.toString());
        assertTrue(reasons.stream().anyMatch(r -> r.contains("is not valid JSON of DatasetUploaded")), reasons.toString());
        ConsumerRecord<String, String> first = deadLettered(datasetId).get(0);
        assertEquals(Map.of(DeadLetterHeaders.SERVICE, "kit-test", DeadLetterHeaders.CHANNEL, TestConsumer.CHANNEL,
                DeadLetterHeaders.TOPIC, Topics.DATASETS, DeadLetterHeaders.PARTITION, Integer.toString(badId.partition()),
                DeadLetterHeaders.OFFSET, Long.toString(badId.offset()), DeadLetterHeaders.KIND,
                DeadLetterHeaders.KIND_MALFORMED, DeadLetterHeaders.EXCEPTION_CLASS,
                MalformedEventException.class.getName()), headers(first, DeadLetterHeaders.SERVICE,
                DeadLetterHeaders.CHANNEL, DeadLetterHeaders.TOPIC, DeadLetterHeaders.PARTITION, DeadLetterHeaders.OFFSET,
                DeadLetterHeaders.KIND, DeadLetterHeaders.EXCEPTION_CLASS));
        assertEquals("{}", first.value(), "the record is kept as it came");
        assertEquals(deadLetteredBefore + 2, deadLetteredCount(), "tuneforge_inbox_dead_lettered_total counts them");
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
    void anEffectThatFailsTwiceThenSucceedsTakesEffectOnce() {
        String datasetId = "ds_" + UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "flaky-2")));

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("flaky-2")));
        assertEquals(0, deadLettered(datasetId).size());
    }

    @Test
    void anEffectThatKeepsFailingIsDeadLetteredAfterTheLastAttemptAndTheNextEventIsProcessed() {
        String datasetId = "ds_" + UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "always-fails")));
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "after-failure")));

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("after-failure")));
        await().atMost(WAIT).until(() -> deadLettered(datasetId).size() == 1);
        ConsumerRecord<String, String> dead = deadLettered(datasetId).get(0);
        String reason = TopicClient.header(dead, DeadLetterHeaders.REASON);
        assertTrue(reason.contains("failed 3 times, the last with IllegalStateException: the effect always fails"),
                reason);
        assertEquals(Map.of(DeadLetterHeaders.KIND, DeadLetterHeaders.KIND_FAILED, DeadLetterHeaders.ATTEMPTS, "3",
                DeadLetterHeaders.EXCEPTION_CLASS, IllegalStateException.class.getName()),
                headers(dead, DeadLetterHeaders.KIND, DeadLetterHeaders.ATTEMPTS, DeadLetterHeaders.EXCEPTION_CLASS));
    }

    @Test
    void anEffectThatThrowsAnErrorIsDeadLetteredLikeAFailureAndTheNextEventIsProcessed() {
        String datasetId = "ds_" + UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "too-deep")));
        QuarkusTransaction.requiringNew().run(() -> outbox.publish(uploaded(datasetId, "after-error")));

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("after-error")));
        await().atMost(WAIT).until(() -> deadLettered(datasetId).size() == 1);
        String reason = TopicClient.header(deadLettered(datasetId).get(0), DeadLetterHeaders.REASON);
        assertTrue(reason.contains("failed 3 times, the last with StackOverflowError: the effect recursed too deep"),
                reason);
    }

    @Test
    void aDeadLetterReplayedAfterTheFixTakesEffectOnceAndIsMarkedReplayed() throws Exception {
        String datasetId = "ds_" + UUID.randomUUID();
        EventEnvelope sent = topics().publish(uploaded(datasetId, "fails-until-fixed"), "a-test");
        await().atMost(WAIT).until(() -> deadLettered(datasetId).size() == 1);
        DeadLetter letter = deadLetters.list(Topics.DATASETS, "kit-test", DeadLetters.Status.PENDING).stream()
                .filter(l -> datasetId.equals(l.key())).findFirst().orElseThrow();
        assertEquals(List.of(TestConsumer.CHANNEL, sent.id().toString(), EventType.DATASET_UPLOADED.typeName(),
                IllegalArgumentException.class.getName()), List.of(letter.channel(), letter.eventId(),
                letter.eventType(), letter.exceptionClass()));
        assertTrue(letter.reason().contains("format chat is not supported by this release"), letter.reason());
        assertEquals(List.of(), effects(datasetId));

        TestConsumer.deployFix(datasetId);
        DeadLetters.Replayed replayed = deadLetters.replay(letter.id(), "key_ops");

        await().atMost(WAIT).until(() -> effects(datasetId).equals(List.of("fails-until-fixed")));
        DeadLetter after = deadLetters.get(letter.id());
        assertEquals(new DeadLetter.Replay(replayed.replayedTo(), after.replay().replayedAt(), "key_ops"), after.replay());
        assertTrue(deadLetters.list(Topics.DATASETS, null, DeadLetters.Status.PENDING).stream()
                .noneMatch(l -> l.id().equals(letter.id())), "no longer pending");
        DeadLetterException again = assertThrows(DeadLetterException.class,
                () -> deadLetters.replay(letter.id(), "key_ops"));
        assertEquals(DeadLetterException.Kind.CONFLICT, again.kind());

        // The copy on the topic is the same event (same ce_id), saying where it came from.
        List<ConsumerRecord<String, String>> copies = topics().readAll(Topics.DATASETS).stream()
                .filter(r -> letter.id().equals(TopicClient.header(r, DeadLetterHeaders.REPLAYED_FROM))).toList();
        assertEquals(1, copies.size());
        assertEquals(sent.id().toString(), TopicClient.header(copies.get(0), CloudEventHeaders.ID));
        assertNull(TopicClient.header(copies.get(0), DeadLetterHeaders.REASON));
        // Sent once more (a replay that crashed before its marker): the inbox keeps it to one effect.
        double duplicatesBefore = duplicates();
        ConsumerRecord<String, String> copy = copies.get(0);
        topics().send(new ProducerRecord<>(copy.topic(), copy.partition(), copy.key(), copy.value(), copy.headers()));
        await().atMost(WAIT).until(() -> duplicates() > duplicatesBefore);
        assertEquals(List.of("fails-until-fixed"), effects(datasetId));
    }

    @Test
    void aDatabaseOutageWhileAnEventIsProcessedDelaysItButLosesNothing() throws Exception {
        String datasetId = "ds_" + UUID.randomUUID();
        processDuringOutage(OutageProneStack.database(), datasetId, "during-db-outage");

        assertEquals(List.of(), deadLettered(datasetId), "nothing is dead-lettered for an outage");
        assertEquals(List.of("during-db-outage"), effects(datasetId));
    }

    @Test
    void anObjectStoreOutageWhileAnEventIsProcessedDelaysItButLosesNothing() throws Exception {
        String datasetId = "ds_" + UUID.randomUUID();
        processDuringOutage(OutageProneStack.objectStore(), datasetId, "writes-to-s3");

        assertEquals(List.of(), deadLettered(datasetId), "nothing is dead-lettered for an outage");
        assertEquals(List.of("writes-to-s3"), effects(datasetId));
        assertTrue(objects.exists(TestConsumer.objectKey(datasetId)));
    }

    /**
     * Publishes the upload while the link is cut (straight to the topic: the outbox needs the database), keeps it cut
     * until the consumer has tried the event several times or given it up, then restores it and waits until the event
     * took effect or was dead-lettered.
     */
    private void processDuringOutage(TcpLink link, String datasetId, String name) {
        double retriedBefore = transientRetries();
        link.cut();
        try {
            topics().publish(uploaded(datasetId, name), "a-test");
            await().atMost(WAIT).until(() -> transientRetries() >= retriedBefore + 3
                    || !deadLettered(datasetId).isEmpty());
        } finally {
            link.restore();
        }
        await().atMost(WAIT).until(() -> !effects(datasetId).isEmpty() || !deadLettered(datasetId).isEmpty());
    }

    private double transientRetries() {
        var counter = registry.find("tuneforge.inbox.retries")
                .tags("consumer", TestConsumer.CHANNEL, "fault", "transient").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void theAlertsOnDeadLettersWatchMetricsTheServiceExportsFromItsStart() throws Exception {
        String rules = Files.readString(Path.of("../deploy/k8s/monitoring/prometheusrule-inbox.yaml"));
        assertTrue(rules.contains("app.kubernetes.io/part-of: tuneforge") && rules.contains("app.kubernetes.io/name: "),
                "the rule file carries the labels of every manifest");
        String metrics = RestAssured.when().get("/q/metrics").then().statusCode(200).extract().asString();
        List<String> watched = Pattern.compile("tuneforge_inbox_[a-z_]+").matcher(rules).results()
                .map(MatchResult::group).distinct().toList();
        assertEquals(List.of("tuneforge_inbox_dead_lettered_total", "tuneforge_inbox_retries_total",
                "tuneforge_inbox_events_total"), watched);
        for (String metric : watched) {
            assertTrue(metrics.contains("\n" + metric + "{consumer=\"" + TestConsumer.CHANNEL + "\""), metric + " is exported");
        }
        // Registered at zero when the service starts: the first dead letter is an increase Prometheus sees.
        assertTrue(metrics.contains("tuneforge_inbox_dead_lettered_total{consumer=\"" + TestConsumer.CHANNEL
                + "\",topic=\"" + Topics.DATASETS + "\"}"), metrics);
        assertTrue(metrics.contains("tuneforge_inbox_events_total{consumer=\"" + TestConsumer.CHANNEL
                + "\",outcome=\"gave-up\"} 0.0"), metrics);
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
        return duplicates() >= 1;
    }

    private double duplicates() {
        var counter = registry.find("tuneforge.inbox.events")
                .tags("consumer", TestConsumer.CHANNEL, "outcome", "duplicate").counter();
        return counter == null ? 0 : counter.count();
    }

    private double deadLetteredCount() {
        var counter = registry.find("tuneforge.inbox.dead.lettered")
                .tags("consumer", TestConsumer.CHANNEL, "topic", Topics.DATASETS).counter();
        return counter == null ? 0 : counter.count();
    }

    private static Map<String, String> headers(ConsumerRecord<String, String> record, String... names) {
        Map<String, String> values = new HashMap<>();
        for (String name : names) {
            values.put(name, TopicClient.header(record, name));
        }
        return values;
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
