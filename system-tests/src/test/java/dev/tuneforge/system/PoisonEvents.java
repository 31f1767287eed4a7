package dev.tuneforge.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.Topics;
import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingPaused;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.ServiceProcess.Service;
import dev.tuneforge.platform.test.TopicClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Poison on the platform's topics as its running services meet it, checked from outside: on the wire (each topic's
 * {@code .dlq}), in each service's inbox, and through the gateway's dead-letter API.
 * <ul>
 * <li>A malformed record (a known event type whose value is not JSON) on each partition of each topic is dead-lettered
 *     by every consumer of the topic, naming itself, the record and why; a valid event behind it on the same partition
 *     is then processed by every one of them (it is in each one's inbox: its effect committed).</li>
 * <li>A well-formed event that fails deterministically is dead-lettered, after its three tries, by the consumers that
 *     cannot apply it, and processed by the others.</li>
 * <li>A dead letter replayed through the admin API once its cause is fixed takes effect, once.</li>
 * </ul>
 */
final class PoisonEvents {

    private static final Map<String, List<String>> CONSUMERS = TopicConsumers.OF;
    private static final String PROJECT = "prj_poison";
    private static final Duration WAIT = Duration.ofMinutes(2);

    private final Platform platform;
    private final TopicClient topics;

    PoisonEvents(Platform platform, TopicClient topics) {
        this.platform = platform;
        this.topics = topics;
    }

    /** A valid event of each topic that changes nothing another test looks at. */
    private static TuneforgeEvent harmless(String topic, int partition) {
        String n = "poison-" + partition;
        return switch (topic) {
            case Topics.DATASETS -> new DatasetRejected(PROJECT, "ds_" + n, "a test's", 1, null, null);
            case Topics.TRAINING -> new TrainingPaused(PROJECT, "job_" + n, null);
            case Topics.EVAL -> new EvalFailed(PROJECT, "ev_" + n, "job_" + n, n, Map.of(), "none", "a test's", null);
            case Topics.REGISTRY -> new ModelRolledBack(PROJECT, n, 2, 1);
            // served by a base model (no version): eval-service measures no drift of it, so never opens its object
            case Topics.MONITORING -> new ObservationsReceived(PROJECT, n, null,
                    "projects/" + PROJECT + "/observations/" + n + ".jsonl", 0);
            case Topics.COMMANDS -> new TrainingCancelRequested(PROJECT, "job_" + n, "a test");
            default -> throw new IllegalArgumentException(topic);
        };
    }

    void malformedThenValidOnEveryPartitionOfEveryTopic() throws Exception {
        record Sent(String topic, RecordMetadata malformed, RecordMetadata valid, String validId) { }
        List<Sent> sent = new ArrayList<>();
        for (String topic : Topics.MAIN) {
            for (int p = 0; p < Topics.PARTITIONS; p++) {
                EventEnvelope valid = EventEnvelope.wrap(harmless(topic, p), "poison-test");
                RecordMetadata bad = topics.send(malformed(topic, p, valid));
                ProducerRecord<String, String> good = TopicClient.toRecord(valid);
                sent.add(new Sent(topic, bad, topics.send(new ProducerRecord<>(topic, p, good.key(), good.value(),
                        good.headers())), valid.id().toString()));
            }
        }
        for (Sent s : sent) {
            for (String consumer : CONSUMERS.get(s.topic())) {
                await(consumer + " past " + s.valid()).atMost(WAIT).until(() -> topics.consumed(consumer, s.valid()));
                assertTrue(inInbox(consumer, s.validId()), consumer + " did not process the valid event behind the "
                        + "malformed one on " + s.topic() + "-" + s.valid().partition());
            }
            String where = s.topic() + "-" + s.malformed().partition() + "@" + s.malformed().offset();
            Map<String, ConsumerRecord<String, String>> letters = deadLetters(s.topic(), s.malformed());
            assertEquals(CONSUMERS.get(s.topic()), List.copyOf(letters.keySet()), "who dead-lettered " + where);
            letters.forEach((consumer, letter) -> {
                assertEquals("malformed", header(letter, "dead-letter-kind"), consumer + " on " + where);
                assertTrue(header(letter, "dead-letter-reason").contains(where), header(letter, "dead-letter-reason"));
                assertTrue(header(letter, "dead-letter-channel") != null, consumer + " names its channel");
            });
        }
    }

    /**
     * Well-formed events no consumer can apply as they are, one per topic where one exists, and the consumers that
     * cannot: every one of them says so in its dead letter after three tries, and the others process the event.
     * (Monitoring has none: the gateway records whatever a monitoring event says, and trainer-service acts only on a
     * DriftDetected of a model that a pipeline of its project trains.)
     */
    void failingEventsAreDeadLetteredByTheConsumersThatCannotApplyThem() throws Exception {
        record Failing(TuneforgeEvent event, String source, List<String> failingConsumers) { }
        List<Failing> failing = List.of(
                // its upload is not in S3
                new Failing(new DatasetUploaded(PROJECT, "ds_nofile", "no file", "chat",
                        "projects/" + PROJECT + "/uploads/ds_nofile.jsonl", "0", 1, null, null, "a test", null, null),
                        "gateway", List.of("dataset-service")),
                // no artifact to evaluate (eval_runs.artifact_key)
                new Failing(new TrainingFinished(PROJECT, "job_noartifact", "m", "b", "d", 1, "lora", null, "sha", 1,
                        Map.of(), null, "torch"), "trainer-service", List.of("eval-service")),
                // an outcome of no evaluation (the gateway's evals, the registry's eval_outcomes)
                new Failing(new EvalPassed(PROJECT, null, "job_noeval", "m", Map.of(), "g", null), "eval-service",
                        List.of("gateway", "registry-service")),
                // a version without an artifact (eval-service's model_versions)
                new Failing(new ModelRegistered(PROJECT, "noartifact", 1, "job_x", null, null, "candidate", null,
                        null, null, null, null, null, null, null, null, null, null, null, null, null),
                        "registry-service", List.of("eval-service")),
                // a pipeline of no dataset and no base model
                new Failing(new PipelineConfigured(PROJECT, "pl_nodataset", null, null, null, null, null, null, null,
                        "active", null), "gateway", List.of("gateway", "trainer-service")));
        for (Failing f : failing) {
            EventEnvelope envelope = EventEnvelope.wrap(f.event(), f.source());
            RecordMetadata at = topics.send(TopicClient.toRecord(envelope));
            String what = envelope.type().typeName() + " " + envelope.id();
            for (String consumer : CONSUMERS.get(envelope.topic())) {
                await(consumer + " past " + what).atMost(WAIT).until(() -> topics.consumed(consumer, at));
            }
            Map<String, ConsumerRecord<String, String>> letters = deadLetters(envelope.topic(), at);
            assertEquals(f.failingConsumers(), List.copyOf(letters.keySet()), "who dead-lettered " + what);
            letters.forEach((consumer, letter) -> {
                assertEquals("failed", header(letter, "dead-letter-kind"), consumer + ": " + what);
                assertEquals("3", header(letter, "dead-letter-attempts"), consumer + ": " + what);
                assertTrue(header(letter, "dead-letter-reason").startsWith(what + " failed 3 times, the last with "),
                        header(letter, "dead-letter-reason"));
            });
            for (String consumer : CONSUMERS.get(envelope.topic())) {
                if (!letters.containsKey(consumer)) {
                    assertTrue(inInbox(consumer, envelope.id().toString()), consumer + " processed " + what);
                }
            }
        }
    }

    void aDeadLetterReplayedOnceItsCauseIsFixedTakesEffect() throws Exception {
        String datasetId = "ds_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String key = "projects/" + PROJECT + "/uploads/" + datasetId + ".jsonl";
        EventEnvelope upload = EventEnvelope.wrap(new DatasetUploaded(PROJECT, datasetId, "replayed", "completion", key,
                "0", 0, null, null, "a test", null, null), "gateway");
        RecordMetadata at = topics.send(TopicClient.toRecord(upload));
        await("dataset-service past the upload").atMost(WAIT).until(() -> topics.consumed("dataset-service", at));
        ConsumerRecord<String, String> letter = deadLetters(Topics.DATASETS, at).get("dataset-service");
        assertTrue(letter != null, "dataset-service dead-letters an upload whose file is not in S3");
        String id = Topics.dlq(Topics.DATASETS) + ":" + letter.partition() + ":" + letter.offset();

        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            jsonl.append("{\"prompt\":\"What is ").append(i).append(" plus one?\",\"completion\":\"").append(i + 1)
                    .append("\"}\n");
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        EmbeddedStack stack = platform.stack();
        stack.s3Client().putObject(PutObjectArgs.builder().bucket(stack.bucket()).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());

        JsonNode replayed = platform.api().post("/api/v1/admin/dead-letters/replay", Map.of("id", id), 200);
        assertEquals(id, replayed.at("/replayed/0/id").asText(), replayed.toString());
        await("the replayed upload validated").atMost(WAIT)
                .until(() -> topics.events(DatasetReady.class, datasetId).size() == 1);
        platform.api().post("/api/v1/admin/dead-letters/replay", Map.of("id", id), 409);
        JsonNode shown = platform.api().get("/api/v1/admin/dead-letters/" + id);
        assertEquals("dataset-service", shown.path("service").asText(), shown.toString());
        assertTrue(shown.hasNonNull("replay"), shown.toString());
    }

    /** A record of a type known on {@code topic} whose value is not JSON. */
    private static ProducerRecord<String, String> malformed(String topic, int partition, EventEnvelope like) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(CloudEventHeaders.SPEC_VERSION, bytes(CloudEventHeaders.SPEC_VERSION_VALUE));
        headers.add(CloudEventHeaders.ID, bytes(UUID.randomUUID().toString()));
        headers.add(CloudEventHeaders.TYPE, bytes(like.type().typeName()));
        headers.add(CloudEventHeaders.SOURCE, bytes("poison-test"));
        headers.add(CloudEventHeaders.TIME, bytes(OffsetDateTime.now().toString()));
        return new ProducerRecord<>(topic, partition, "poison-" + partition, "{\"this is\": not JSON", headers);
    }

    /** The dead letters of the record at {@code at}, by the service that wrote each. */
    private Map<String, ConsumerRecord<String, String>> deadLetters(String topic, RecordMetadata at) {
        Map<String, ConsumerRecord<String, String>> letters = new TreeMap<>();
        for (ConsumerRecord<String, String> r : topics.readAll(Topics.dlq(topic))) {
            if (String.valueOf(at.partition()).equals(header(r, "dead-letter-partition"))
                    && String.valueOf(at.offset()).equals(header(r, "dead-letter-offset"))) {
                ConsumerRecord<String, String> first = letters.put(header(r, "dead-letter-service"), r);
                assertTrue(first == null, "dead-lettered twice by " + header(r, "dead-letter-service") + ": " + r);
            }
        }
        return letters;
    }

    /** Whether {@code service} recorded the event in its inbox: its effect committed. */
    private boolean inInbox(String service, String eventId) throws Exception {
        EmbeddedStack stack = platform.stack();
        try (Connection connection = DriverManager.getConnection(stack.jdbcUrl(Service.named(service).database()),
                stack.dbUsername(), stack.dbPassword());
             PreparedStatement query = connection.prepareStatement("SELECT 1 FROM tf_inbox WHERE event_id = ?::uuid")) {
            query.setString(1, eventId);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        }
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        return TopicClient.header(record, name);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
