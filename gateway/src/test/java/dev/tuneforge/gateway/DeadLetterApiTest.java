package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.cli.CliEnv;
import dev.tuneforge.cli.ExitCodes;
import dev.tuneforge.cli.TuneforgeCli;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.MalformedEventException;
import dev.tuneforge.events.Topics;
import dev.tuneforge.kit.messaging.DeadLetterHeaders;
import dev.tuneforge.kit.messaging.DeadLetterWriter;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /api/v1/admin/dead-letters} and {@code tuneforge admin dlq}: the gateway's own consumers dead-letter a record
 * they cannot read, the platform admin lists and shows it, and a dead letter replayed from the command line reaches
 * the read model.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class DeadLetterApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATH = "/api/v1/admin/dead-letters";

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    @TestHTTPResource("/")
    URL gateway;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    DeadLetterWriter writer;
    @TempDir
    Path home;

    @Test
    void onlyThePlatformAdminSeesDeadLetters() {
        Gateway.Key projectAdmin = Gateway.newKey(Gateway.newProject(), "admin");
        Gateway.as(projectAdmin.secret()).when().get(PATH).then().statusCode(403);
        Gateway.as(projectAdmin.secret()).contentType("application/json").body(Map.of("topic", Topics.DATASETS))
                .when().post(PATH + "/replay").then().statusCode(403);
        Gateway.as(Gateway.ADMIN).when().get(PATH).then().statusCode(200);
        Gateway.as(Gateway.ADMIN).when().get(PATH + "?status=lost").then().statusCode(400);
        Gateway.as(Gateway.ADMIN).when().get(PATH + "/not-an-id").then().statusCode(400);
        Gateway.as(Gateway.ADMIN).when().get(PATH + "/tuneforge.nope.dlq:0:0").then().statusCode(404);
        Gateway.as(Gateway.ADMIN).contentType("application/json").body(Map.of()).when().post(PATH + "/replay").then()
                .statusCode(400);
    }

    @Test
    void aRecordTheReadModelCannotReadIsListedWithTheConsumerThatFailedAndWhy() {
        String key = "mon-" + UUID.randomUUID();
        RecordHeaders headers = new RecordHeaders();
        headers.add(CloudEventHeaders.ID, UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
        headers.add(CloudEventHeaders.TYPE, EventType.DRIFT_MEASURED.typeName().getBytes(StandardCharsets.UTF_8));
        headers.add(CloudEventHeaders.TIME, "yesterday".getBytes(StandardCharsets.UTF_8));
        RecordMetadata sent = new TopicClient(bootstrap).send(new ProducerRecord<>(Topics.MONITORING, null, key,
                "{}", headers));

        Map<String, Object> letter = await().atMost(WAIT).until(() -> deadLetterWithKey(Topics.MONITORING, key),
                Optional::isPresent).orElseThrow();
        assertEquals(List.of("gateway", "monitoring-in", Topics.MONITORING, sent.partition(), (int) sent.offset(),
                        DeadLetterHeaders.KIND_MALFORMED, MalformedEventException.class.getName()),
                List.of(letter.get("service"), letter.get("channel"), letter.get("topic"), letter.get("partition"),
                        letter.get("offset"), letter.get("kind"), letter.get("exception_class")));
        String reason = (String) letter.get("reason");
        assertTrue(reason.contains("ce_time is not RFC 3339: yesterday"), reason);

        JsonPath shown = Gateway.as(Gateway.ADMIN).when().get(PATH + "/" + letter.get("id")).then()
                .statusCode(200).extract().jsonPath();
        assertEquals("{}", shown.getString("value"));
        assertEquals("yesterday", shown.getString("headers.ce_time"));
    }

    @Test
    void aDeadLetterReplayedFromTheCommandLineReachesTheReadModelOnce() throws Exception {
        // Two uploads the gateway's read model dead-lettered (as a release with a bug in its projection would have):
        // neither dataset is in the read model.
        String first = "ds_" + UUID.randomUUID();
        String second = "ds_" + UUID.randomUUID();
        deadLetteredByTheGateway(first);
        deadLetteredByTheGateway(second);
        Gateway.as(Gateway.ADMIN).when().get("/api/v1/datasets/" + first).then().statusCode(404);
        assertEquals(0, cli("login", "--url", gateway.toString(), "--key", Gateway.ADMIN).code());

        Run list = cli("admin", "dlq", "list", "--topic", Topics.DATASETS, "--service", "gateway", "--limit", "200",
                "--json");
        assertEquals(0, list.code(), list.err());
        String id = idOf(list.json(), first);
        Run show = cli("admin", "dlq", "show", id);
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("consumer:      gateway / datasets-in"), show.out());
        assertTrue(show.out().contains("a projection bug, fixed since"), show.out());

        Run replay = cli("admin", "dlq", "replay", id);
        assertEquals(0, replay.code(), replay.err());
        assertTrue(replay.out().startsWith("Replayed " + id + " to " + Topics.DATASETS + "-"), replay.out());
        await().atMost(WAIT).untilAsserted(() -> Gateway.as(Gateway.ADMIN).when().get("/api/v1/datasets/" + first)
                .then().statusCode(200));
        assertEquals("replayed-upload", Gateway.as(Gateway.ADMIN).when().get("/api/v1/datasets/" + first).then()
                .extract().jsonPath().getString("name"));
        assertEquals(ExitCodes.CONFLICT, cli("admin", "dlq", "replay", id).code(), "a dead letter is replayed once");
        Run replayed = cli("admin", "dlq", "list", "--topic", Topics.DATASETS, "--status", "replayed", "--limit", "200",
                "--json");
        assertTrue(replayed.json().path("data").toString().contains(id), replayed.out());

        Run all = cli("admin", "dlq", "replay", "--topic", Topics.DATASETS, "--service", "gateway");
        assertEquals(0, all.code(), all.err());
        assertTrue(all.out().contains("Replayed " + idOf(list.json(), second)), all.out());
        await().atMost(WAIT).untilAsserted(() -> Gateway.as(Gateway.ADMIN).when().get("/api/v1/datasets/" + second)
                .then().statusCode(200));
        assertEquals(ExitCodes.USAGE, cli("admin", "dlq", "replay").code(), "an id or --topic");
    }

    /** What {@code InboxProcessor} writes when the gateway's datasets channel gives an upload up. */
    private void deadLetteredByTheGateway(String datasetId) {
        EventEnvelope envelope = EventEnvelope.wrap(new DatasetUploaded("default", datasetId, "replayed-upload", "chat",
                "projects/default/uploads/" + datasetId, "00", 1, null, null, "key_test", null, null), "gateway");
        ProducerRecord<String, String> record = TopicClient.toRecord(envelope);
        ConsumerRecord<String, String> consumed = new ConsumerRecord<>(record.topic(), 0, 0L, 0L,
                TimestampType.CREATE_TIME, 0, 0, record.key(), record.value(), record.headers(), Optional.empty());
        writer.write(new DeadLetterWriter.Poison("gateway", "datasets-in", consumed, DeadLetterHeaders.KIND_FAILED,
                "failed 3 times: a projection bug, fixed since", new IllegalStateException("a projection bug"), 3));
    }

    private Optional<Map<String, Object>> deadLetterWithKey(String topic, String key) {
        List<Map<String, Object>> letters = Gateway.as(Gateway.ADMIN).queryParam("topic", topic)
                .queryParam("limit", 200).when().get(PATH).then().statusCode(200).extract().jsonPath().getList("data");
        return letters.stream().filter(letter -> key.equals(letter.get("key"))).findFirst();
    }

    private static String idOf(JsonNode page, String key) {
        for (JsonNode letter : page.path("data")) {
            if (key.equals(letter.path("key").asText())) {
                return letter.path("id").asText();
            }
        }
        throw new AssertionError("no dead letter with key " + key + " in " + page);
    }

    private Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliEnv env = new CliEnv(Map.of("TUNEFORGE_CONFIG", home.resolve("config.json").toString(), "HOME",
                home.toString()), new PrintWriter(out), new PrintWriter(err), new BufferedReader(new StringReader("")));
        int code = TuneforgeCli.run(args, env);
        return new Run(code, out.toString(), err.toString());
    }
}
