package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.gateway.domain.ChatObservations;
import dev.tuneforge.gateway.domain.ChatTarget;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Observations: batches from servers elsewhere through {@code POST /api/v1/models/{name}/observations} (checked
 * whole, stored once per id, as JSONL in S3 announced by ObservationsReceived on tuneforge.monitoring), the project
 * setting that keeps no text, and the chats the gateway serves, recorded by {@link ChatObservations}.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class ObservationsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ObjectStore store;
    @Inject
    ChatObservations chats;

    @Test
    void aBatchIsStoredPerVersionAsJsonlAnnouncedOnTheMonitoringTopicAndAReSentObservationIsNotStoredTwice()
            throws IOException {
        Watched watched = newProjectWithModel("support", 2);
        List<Map<String, Object>> batch = List.of(
                observation("a-1", 1, "What is 2+2?", "{\"answer\": 4}"),
                observation("a-2", 2, "Name a colour", "blue"),
                observation("a-3", 1, "Hi", "Hello"));

        ExtractableResponse<Response> first = post(watched.member(), "support", Map.of("observations", batch))
                .statusCode(200).body("accepted", is(3)).body("duplicates", is(0))
                .body("batches.version", containsInAnyOrder(1, 2)).body("batches.count", containsInAnyOrder(2, 1))
                .extract();
        String v1Key = first.path("batches.find { it.version == 1 }.object_key");
        assertTrue(v1Key.startsWith("projects/" + watched.project() + "/observations/support/"), v1Key);
        assertTrue(v1Key.endsWith(".jsonl"), v1Key);

        List<JsonNode> lines = lines(v1Key);
        assertEquals(List.of("a-1", "a-3"), lines.stream().map(l -> l.path("id").asText()).toList());
        JsonNode line = lines.get(0);
        assertEquals("support", line.path("model").asText());
        assertEquals(1, line.path("version").asInt());
        assertEquals("external", line.path("source").asText());
        assertEquals("2026-01-31T12:00:00Z", line.path("time").asText());
        assertEquals("user", line.path("messages").path(0).path("role").asText());
        assertEquals("What is 2+2?", line.path("messages").path(0).path("content").asText());
        assertEquals("{\"answer\": 4}", line.path("completion").asText());
        assertEquals(120, line.path("latency_ms").asInt());
        assertEquals(7, line.path("prompt_tokens").asInt());
        assertEquals(12, line.path("features").path("prompt_chars").asInt());
        assertTrue(line.path("features").path("completion_json_valid").asBoolean());
        assertFalse(lines.get(1).path("features").path("completion_json_valid").asBoolean());

        List<ObservationsReceived> events = await().atMost(WAIT).until(() -> received(watched), e -> e.size() == 2);
        ObservationsReceived ofV1 = events.stream().filter(e -> e.modelVersion() == 1).findFirst().orElseThrow();
        assertEquals(new ObservationsReceived(watched.project(), "support", 1, v1Key, 2), ofV1);

        // Sent again with one more: only the new one is stored, and announced.
        List<Map<String, Object>> again = new ArrayList<>(batch);
        again.add(observation("a-4", 2, "Again", "Yes"));
        post(watched.member(), "support", Map.of("observations", again)).statusCode(200)
                .body("accepted", is(1)).body("duplicates", is(3)).body("batches.count", containsInAnyOrder(1));
        await().atMost(WAIT).until(() -> received(watched), e -> e.size() == 3);
        post(watched.member(), "support", Map.of("observations", again)).statusCode(200)
                .body("accepted", is(0)).body("duplicates", is(4)).body("batches.size()", is(0));
    }

    @Test
    void everyProblemOfABatchIsListedWithItsPathAndNothingOfItIsStored() {
        Watched watched = newProjectWithModel("checked", 1);
        Map<String, Object> good = observation("b-1", 1, "Hi", "Hello");
        Map<String, Object> unknownVersion = observation("b-2", 9, "Hi", "Hello");
        Map<String, Object> badMessages = new HashMap<>(observation("b-3", 1, "Hi", "Hello"));
        badMessages.put("messages", List.of(Map.of("role", "wizard", "content", "x"), Map.of("role", "user")));
        Map<String, Object> duplicate = observation("b-1", 1, "Hi", "Hello");
        Map<String, Object> future = new HashMap<>(observation("b-5", 1, "Hi", "Hello"));
        future.put("time", Instant.now().plus(Duration.ofDays(2)).toString());
        future.put("completion", 42);
        future.put("colour", "red");
        Map<String, Object> noId = new HashMap<>(observation("b-6", 1, "Hi", "Hello"));
        noId.remove("id");

        post(watched.member(), "checked", Map.of("observations",
                List.of(good, unknownVersion, badMessages, duplicate, future, noId))).statusCode(422)
                .contentType("application/problem+json")
                .body("type", is("https://tuneforge.dev/problems/invalid-observations"))
                .body("errors", hasItems(
                        "observations[1].version: model 'checked' has no version 9",
                        "observations[2].messages[0].role: must be one of system, developer, user, assistant, tool;"
                                + " was 'wizard'",
                        "observations[2].messages[1].content: missing",
                        "observations[3].id: 'b-1' is also the id of observations[0]",
                        "observations[4].completion: must be a string, was number",
                        "observations[4].colour: unknown field",
                        "observations[5].id: missing"))
                .body("errors.find { it.startsWith('observations[4].time') }", containsString("is in the future"));

        // Nothing was stored, nor its ids recorded: the good one alone is accepted afterwards.
        assertTrue(store.list("projects/" + watched.project() + "/observations/").isEmpty());
        post(watched.member(), "checked", Map.of("observations", List.of(good))).statusCode(200)
                .body("accepted", is(1)).body("duplicates", is(0));

        // At most tuneforge.observations.max-batch (1000) at once.
        List<Map<String, Object>> tooMany = IntStream.range(0, 1001)
                .mapToObj(i -> observation("c-" + i, 1, "Hi", "Hello")).toList();
        post(watched.member(), "checked", Map.of("observations", tooMany)).statusCode(422)
                .body("errors", hasItems("observations: at most 1000 in one request, got 1001; send them in several"));
        post(watched.member(), "checked", Map.of("observations", List.of())).statusCode(422)
                .body("errors", hasItems("observations: must be a non-empty array"));

        // A model the project does not have; a read-only key.
        post(watched.member(), "nobody", Map.of("observations", List.of(good))).statusCode(404);
        Gateway.Key reader = Gateway.newKey(watched.project(), "read-only");
        post(reader, "checked", Map.of("observations", List.of(good))).statusCode(403);
    }

    @Test
    void aProjectThatKeepsNoTextGetsDerivedFeaturesOnly() throws IOException {
        Watched watched = newProjectWithModel("private", 1);
        Gateway.Key admin = Gateway.newKey(watched.project(), "admin");
        as(watched.member().secret()).when().get("/api/v1/projects/" + watched.project() + "/settings")
                .then().statusCode(200).body("observations.raw_text", is(true));
        Map<String, Object> off = Map.of("observations", Map.of("raw_text", false));
        as(watched.member().secret()).contentType("application/json").body(off)
                .when().put("/api/v1/projects/" + watched.project() + "/settings").then().statusCode(403);
        as(admin.secret()).contentType("application/json").body(off)
                .when().put("/api/v1/projects/" + watched.project() + "/settings").then().statusCode(200)
                .body("observations.raw_text", is(false));

        String key = post(watched.member(), "private", Map.of("observations",
                List.of(observation("secret-1", 1, "My card number is 1234", "{\"ok\": true}")))).statusCode(200)
                .extract().path("batches[0].object_key");
        byte[] stored = read(key);
        assertFalse(new String(stored, StandardCharsets.UTF_8).contains("1234"));
        JsonNode line = JSON.readTree(stored);
        assertFalse(line.has("messages"));
        assertFalse(line.has("completion"));
        assertEquals(22, line.path("features").path("prompt_chars").asInt());
        assertEquals(12, line.path("features").path("completion_chars").asInt());
        assertTrue(line.path("features").path("completion_json_valid").asBoolean());
        assertEquals(7, line.path("prompt_tokens").asInt());
    }

    /**
     * A chat the gateway served (here handed to the recorder as OpenAiResource hands it: the request, then the
     * completion; ChatTest chats through real servers) becomes an observation of the version that served it,
     * written by the recorder's own thread: JSONL in S3 and ObservationsReceived.
     */
    @Test
    void aServedChatIsRecordedAsAnObservationOfTheVersionThatServedIt() throws IOException {
        Watched watched = newProjectWithModel("served", 1);
        ChatTarget target = new ChatTarget("served@champion", "served:1", "x", BaseModels.TINY, null, null, false);
        ChatObservations.Transcript streamed = new ChatObservations.Transcript(watched.project(), target,
                JSON.readTree("{\"model\": \"served@champion\", \"messages\": [{\"role\": \"system\", \"content\":"
                        + " \"Be brief\"}, {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hi\"}]}]}"));
        streamed.chunk(JSON.readTree("{\"id\": \"chatcmpl-1\", \"model\": \"m\", \"choices\": [{\"delta\":"
                + " {\"role\": \"assistant\", \"content\": \"Hel\"}}]}"));
        streamed.chunk(JSON.readTree("{\"id\": \"chatcmpl-1\", \"model\": \"m\", \"choices\": [{\"delta\":"
                + " {\"content\": \"lo\"}}]}"));
        streamed.chunk(JSON.readTree("{\"id\": \"chatcmpl-1\", \"model\": \"m\", \"choices\": [],"
                + " \"usage\": {\"prompt_tokens\": 9, \"completion_tokens\": 2}}"));
        chats.record(streamed);

        ObservationsReceived event = await().atMost(WAIT).until(() -> received(watched), e -> e.size() == 1).get(0);
        assertEquals("served", event.modelName());
        assertEquals(1, event.modelVersion());
        assertEquals(1, event.count());
        JsonNode line = lines(event.objectKey()).get(0);
        assertEquals("chatcmpl-1", line.path("id").asText());
        assertEquals("gateway", line.path("source").asText());
        assertEquals("Hello", line.path("completion").asText());
        assertEquals("Hi", line.path("messages").path(1).path("content").asText());
        assertEquals(9, line.path("prompt_tokens").asInt());
        assertEquals(2, line.path("completion_tokens").asInt());
        assertTrue(line.path("latency_ms").isIntegralNumber());
    }

    /**
     * While S3 is away, a batch sent to the intake is refused with 503 and nothing of it is kept (its ids neither:
     * sent again afterwards, it is accepted whole), and a served chat waits in the recorder's buffer: written once S3
     * is back, not dropped.
     */
    @Test
    void whileS3IsAwayTheIntakeAnswers503AndKeepsNothingAndAServedChatIsWrittenOnceItIsBack() throws IOException {
        Watched watched = newProjectWithModel("outage", 1);
        Map<String, Object> body = Map.of("observations", List.of(observation("d-1", 1, "Hi", "Hello")));
        ChatTarget target = new ChatTarget("outage:1", "outage:1", "x", BaseModels.TINY, null, null, false);
        ChatObservations.Transcript chat = new ChatObservations.Transcript(watched.project(), target,
                JSON.readTree("{\"model\": \"outage:1\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}"));
        chat.answer(JSON.readTree("{\"id\": \"chatcmpl-outage\", \"model\": \"m\", \"choices\": [{\"message\":"
                + " {\"role\": \"assistant\", \"content\": \"Hello\"}}]}"));
        TuneforgeStack.stack().killS3();
        try {
            post(watched.member(), "outage", body).statusCode(503);
            chats.record(chat);
            // The recorder tries (and fails) a few times while S3 is away; the chat stays buffered.
            await().atMost(WAIT).pollDelay(Duration.ofMillis(600)).until(() -> chats.buffered() >= 1);
        } finally {
            TuneforgeStack.stack().startS3();
        }
        ObservationsReceived written = await().atMost(WAIT).until(() -> received(watched), e -> e.size() == 1).get(0);
        assertEquals("chatcmpl-outage", lines(written.objectKey()).get(0).path("id").asText());
        post(watched.member(), "outage", body).statusCode(200).body("accepted", is(1)).body("duplicates", is(0));
    }

    private record Watched(TopicClient topics, String project, Gateway.Key member) {
    }

    /** A new project whose model {@code name} has versions 1 to {@code versions}. */
    private Watched newProjectWithModel(String name, int versions) {
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        for (int version = 1; version <= versions; version++) {
            topics.publish(new ModelRegistered(project, name, version, "job-" + version,
                    "projects/" + project + "/jobs/job-" + version + "/output/adapter/", "sha", "candidate"),
                    "registry-service");
        }
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/" + name)
                .then().statusCode(200).body("latest_version", is(versions)));
        return new Watched(topics, project, member);
    }

    private List<ObservationsReceived> received(Watched watched) {
        return watched.topics().events(ObservationsReceived.class, null).stream()
                .filter(e -> e.projectId().equals(watched.project())).toList();
    }

    private static Map<String, Object> observation(String id, int version, String prompt, String completion) {
        return Map.of("id", id, "version", version, "time", "2026-01-31T12:00:00Z",
                "messages", List.of(Map.of("role", "user", "content", prompt)), "completion", completion,
                "latency_ms", 120, "prompt_tokens", 7, "completion_tokens", 5);
    }

    private static io.restassured.response.ValidatableResponse post(Gateway.Key key, String model, Object body) {
        return as(key.secret()).contentType("application/json").body(body)
                .when().post("/api/v1/models/" + model + "/observations").then();
    }

    private byte[] read(String key) throws IOException {
        try (InputStream in = store.get(key)) {
            return in.readAllBytes();
        }
    }

    private List<JsonNode> lines(String key) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : new String(read(key), StandardCharsets.UTF_8).split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }
}
