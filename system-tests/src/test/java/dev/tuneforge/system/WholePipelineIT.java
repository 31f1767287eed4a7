package dev.tuneforge.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.platform.test.TopicClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole pipeline as a user drives it, through the public API only: the five services started as
 * {@code bin/tuneforge up} starts them, {@code tiny-llama} registered with the CLI, then {@code tuneforge demo}
 * (dataset → fine-tuning → evaluation → promotion → a JSON answer from the champion). Then, on the wire and
 * through the API:
 * <ul>
 * <li>the demo's chain DatasetUploaded → DatasetReady → TrainingRequested → TrainingStarted →
 *     TrainingFinished → EvalPassed → ModelRegistered → ModelPromoted happened exactly once, in order, each
 *     linked to the one before by its ids and digests;</li>
 * <li>lineage from the champion back to the dataset version and the digest of the very bytes the demo uploaded,
 *     and from the dataset version forward to the model version;</li>
 * <li>a second version (a pipeline with a lenient gate, two training steps, triggered by an append) becomes
 *     champion and answers chat, observably not as version 1; a rollback makes version 1 champion again and
 *     the one that answers chat, and the registry topic holds exactly the six events of these moves.</li>
 * </ul>
 * Before the demo, poison on every topic ({@link PoisonEvents}): each consumer dead-letters it with the reason and goes
 * on, and the demo's chain then crosses every partition the poison lies on.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WholePipelineIT {

    private static final Duration WAIT = Duration.ofMinutes(5);
    /** The demo's model name and chat prompt (a name and an age it never trained on). */
    private static final String MODEL = "json-bot";
    private static final String PROMPT = "Give me a JSON object with name Tazori and age 52";
    /** Three examples unlike the demo's and each other's, so none is dropped as a (near) duplicate. */
    private static final String NEW_EXAMPLES = example("What colour is the sky on a clear day?", "Blue.")
            + example("Name a prime number between ten and twenty.", "Thirteen.")
            + example("Which planet do we live on?", "Earth.");

    @RegisterExtension
    static final Platform platform = Platform.of("whole-pipeline", "dataset-service", "trainer-service",
            "eval-service", "registry-service");

    @Test
    @Order(1) // its poison lies on every partition of every topic when the demo's chain crosses them
    void poisonOnEveryTopicGoesToEachConsumersDeadLettersTheConsumersGoOnAndAReplayTakesEffect() throws Exception {
        TopicClient topics = new TopicClient(platform.stack().kafkaBootstrapServers());
        PoisonEvents poison = new PoisonEvents(platform, topics);
        poison.malformedThenValidOnEveryPartitionOfEveryTopic();
        poison.failingEventsAreDeadLetteredByTheConsumersThatCannotApplyThem();
        poison.aDeadLetterReplayedOnceItsCauseIsFixedTakesEffect();
    }

    @Test
    @Order(2)
    void theDemoItsEventChainLineageAndARollbackToItsModel() throws Exception {
        Api api = platform.api();
        Cli cli = platform.cli();
        platform.demo();

        JsonNode card = api.get("/api/v1/models/" + MODEL + "/versions/1");
        assertEquals(1, api.get("/api/v1/models/" + MODEL).path("champion").asInt(), card.toString());
        assertEquals("promoted", card.path("status").asText(), card.toString());
        String jobId = card.path("job_id").asText();
        String datasetId = card.at("/dataset/id").asText();

        JsonNode answer = chat();
        assertEquals(MODEL + ":1", answer.path("system_fingerprint").asText(), answer.toString());
        String v1Answer = content(answer);
        assertTrue(Api.JSON.readTree(v1Answer).isObject(), v1Answer);

        // Lineage, upstream: the champion → its job → the dataset version → the upload, whose digest is that of
        // the file the demo wrote and uploaded; downstream: the dataset version → the model version.
        JsonNode lineage = api.get("/api/v1/models/" + MODEL + "/versions/1/lineage");
        assertEquals(jobId, lineage.at("/job/id").asText(), lineage.toString());
        assertEquals(datasetId, lineage.at("/dataset_version/dataset_id").asText(), lineage.toString());
        assertEquals(1, lineage.at("/dataset_version/version").asInt(), lineage.toString());
        String uploadDigest = lineage.at("/upload/sha256").asText();
        Map<String, Path> written = sha256OfFiles(cli.tmp());
        assertNotNull(written.get(uploadDigest), "the upload's digest " + uploadDigest
                + " is none of the files the demo wrote: " + written);
        assertEquals(List.of(MODEL + ":1"), versions(api.get("/api/v1/datasets/" + datasetId + "/versions/1/models")));

        // A second version: a pipeline with a gate any candidate passes, two steps of the same method on the same
        // base model, triggered by appending new examples to the demo's dataset.
        String pipelineId = api.post("/api/v1/pipelines", Map.of("dataset_id", datasetId, "model_name", MODEL,
                "base_model", card.at("/base_model/name").asText(), "method", card.path("method").asText(),
                "hyperparameters", Map.of("max_steps", 2, "batch_size", 2),
                "gate", Map.of("rules", List.of(Map.of("metric", "exact_match", "op", ">=", "value", 0))),
                "triggers", Map.of("min_new_examples", 1)), 201).path("id").asText();
        // The pipeline travels on the commands topic, the append's DatasetReady on the datasets topic: an append
        // right away could reach trainer-service first and start nothing, or eval-service could judge the job
        // before it knows the gate. So the append waits until both have consumed the pipeline.
        TopicClient topics = new TopicClient(platform.stack().kafkaBootstrapServers());
        await().atMost(WAIT).until(() -> topics.readAll(EventType.PIPELINE_CONFIGURED.topic()).stream()
                .filter(r -> pipelineId.equals(r.key()))
                .anyMatch(r -> topics.consumed("trainer-service", r) && topics.consumed("eval-service", r)));
        api.send("POST", "/api/v1/datasets/" + datasetId + "/versions", "application/jsonl", NEW_EXAMPLES, 202);
        await().atMost(WAIT).until(() -> api.get("/api/v1/models/" + MODEL).path("champion").asInt() == 2);
        JsonNode versions = api.get("/api/v1/models/" + MODEL + "/versions").path("data");
        assertEquals("[\"previous-champion\"]", versions.at("/0/aliases").toString(), versions.toString());
        assertEquals("[\"champion\"]", versions.at("/1/aliases").toString(), versions.toString());
        assertEquals(List.of("promoted", "promoted"), statuses(versions));

        answer = chat();
        assertEquals(MODEL + ":2", answer.path("system_fingerprint").asText(), answer.toString());
        assertNotEquals(v1Answer, content(answer), "version 2 answers as version 1 does");

        // Rollback: version 1 is champion again, and the one that answers.
        api.send("POST", "/api/v1/models/" + MODEL + "/rollback", null, null, 202);
        await().atMost(WAIT).until(() -> api.get("/api/v1/models/" + MODEL).path("champion").asInt() == 1);
        answer = chat();
        assertEquals(MODEL + ":1", answer.path("system_fingerprint").asText(), answer.toString());
        assertEquals(v1Answer, content(answer));
        assertEquals("{\"champion\":1}", api.get("/api/v1/models/" + MODEL).path("aliases").toString());
        versions = api.get("/api/v1/models/" + MODEL + "/versions").path("data");
        assertEquals("[\"champion\"]", versions.at("/0/aliases").toString(), versions.toString());
        assertEquals("[]", versions.at("/1/aliases").toString(), versions.toString());
        assertEquals(List.of("promoted", "promoted"), statuses(versions));

        JsonNode lineage2 = api.get("/api/v1/models/" + MODEL + "/versions/2/lineage");
        assertEquals(2, lineage2.at("/dataset_version/version").asInt(), lineage2.toString());
        assertEquals(1, lineage2.at("/dataset_version/parent_version").asInt(), lineage2.toString());
        assertEquals(List.of(MODEL + ":2"), versions(api.get("/api/v1/datasets/" + datasetId + "/versions/2/models")));

        // On the wire: the registry's moves of the model, exactly these and no more.
        List<String> moves = List.of("registered 1 candidate", "champion 1 (was null)", "registered 2 candidate",
                "champion 2 (was 1)", "rolled back 2 to 1", "champion 1 (was 2)");
        await().atMost(Duration.ofSeconds(30)).during(Duration.ofSeconds(3))
                .until(() -> registryMoves(topics).equals(moves));

        // The demo's chain, read after all of this: each event once, in order, linked by ids and digests.
        DemoChain chain = DemoChain.assertOnceAndInOrder(topics, MODEL, datasetId, jobId, lineage);
        assertEquals("djl", chain.started().as(TrainingStarted.class).runtime(), "no runtime asked: the default");
    }

    @Test
    @Order(3) // on what the demo and the second version left: json-bot v1 champion, v2 promoted before
    void theDashboardInARealBrowserSignsInUploadsTrainsEvaluatesPromotesAndIsKeyboardAccessible() throws Exception {
        // The drift page draws what eval-service measures: windows of version 1, written here as it writes them.
        DriftWindows.write(platform.stack(), platform.api().get("/api/v1/me").path("project_id").asText(), MODEL, 1);
        DashboardInBrowser.Run browser = DashboardInBrowser.run(platform, MODEL);
        assertEquals(0, browser.exitCode(), browser.output());
        try (Stream<Path> shots = Files.list(browser.out().resolve("screenshots"))) {
            assertTrue(shots.count() >= 9, "one screenshot per test in " + browser.out());
        }
        assertEquals(1, platform.api().get("/api/v1/models/" + MODEL).path("champion").asInt(), "rolled back in the browser");
    }

    /** The model's events on the registry topic (one partition: its key is the model name), in words. */
    private static List<String> registryMoves(TopicClient topics) {
        List<String> moves = new ArrayList<>();
        for (ConsumerRecord<String, String> r : topics.readAll(EventType.MODEL_REGISTERED.topic())) {
            if (!MODEL.equals(r.key())) {
                continue;
            }
            EventType type = EventType.byName(TopicClient.header(r, CloudEventHeaders.TYPE)).orElseThrow();
            switch (EventCodec.read(type, r.value())) {
                case ModelRegistered e -> moves.add("registered " + e.version() + " " + e.status());
                case ModelPromoted e -> moves.add(e.alias() + " " + e.version() + " (was " + e.previousVersion() + ")");
                case ModelRolledBack e -> moves.add("rolled back " + e.fromVersion() + " to " + e.toVersion());
                default -> moves.add(type.typeName());
            }
        }
        return moves;
    }

    private static String example(String user, String assistant) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"" + user
                + "\"},{\"role\":\"assistant\",\"content\":\"" + assistant + "\"}]}\n";
    }

    private static JsonNode chat() throws Exception {
        return platform.api().post("/v1/chat/completions", Map.of("model", MODEL, "temperature", 0, "max_tokens", 64,
                "messages", List.of(Map.of("role", "user", "content", PROMPT))), 200);
    }

    private static String content(JsonNode completion) {
        return completion.at("/choices/0/message/content").asText();
    }

    /** {@code name:version} of each model version in a page. */
    private static List<String> versions(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.path("data").forEach(v -> out.add(v.path("name").asText() + ":" + v.path("version").asInt()));
        return out;
    }

    private static List<String> statuses(JsonNode versions) {
        List<String> out = new ArrayList<>();
        versions.forEach(v -> out.add(v.path("status").asText()));
        return out;
    }

    /** sha256 → file, for every file under {@code dir}. */
    private static Map<String, Path> sha256OfFiles(Path dir) throws Exception {
        Map<String, Path> digests = new HashMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                digests.put(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(Files.readAllBytes(file))), file);
            }
        }
        return digests;
    }
}
