package dev.tuneforge.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.platform.test.TopicClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
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
 */
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
    void theDemoItsEventChainLineageAndARollbackToItsModel() throws Exception {
        Api api = platform.api();
        Cli cli = platform.cli();
        // As `bin/tuneforge up` does: write the tiny base model and register it through the API.
        Path tiny = platform.data().resolve("base-models/tiny-llama");
        assertOk(cli.run("base-models", "write-tiny", tiny.toString()));
        assertOk(cli.run("base-models", "upload", tiny.toString(), "--name", "tiny-llama"));

        Cli.Run demo = cli.run("demo");
        Files.writeString(platform.data().resolve("logs/demo.out"), demo.output());
        assertOk(demo);
        assertTrue(demo.output().contains("answer is valid JSON"), demo.output());

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
        assertTheDemosChain(topics, datasetId, jobId, lineage);
    }

    /**
     * DatasetUploaded → DatasetReady → TrainingRequested → TrainingStarted → TrainingFinished → EvalPassed
     * → ModelRegistered → ModelPromoted of the demo's flow: each exactly once on the wire, each linked to the
     * ones before by ids and digests (and to the lineage the API showed), none earlier than the one before
     * ({@code ce_time}), and after it in its partition where two share one.
     */
    private static void assertTheDemosChain(TopicClient topics, String datasetId, String jobId, JsonNode lineage) {
        Map<String, List<ConsumerRecord<String, String>>> wire = new HashMap<>();
        Seen uploaded = once(topics, wire, DatasetUploaded.class,
                u -> u.objectKey().equals(lineage.at("/upload/object_key").asText()));
        Seen ready = once(topics, wire, DatasetReady.class, r -> r.datasetId().equals(datasetId) && r.version() == 1);
        Seen requested = once(topics, wire, TrainingRequested.class,
                r -> r.datasetId().equals(datasetId) && r.datasetVersion() == 1);
        Seen started = once(topics, wire, TrainingStarted.class, s -> s.jobId().equals(jobId));
        Seen finished = once(topics, wire, TrainingFinished.class, f -> f.jobId().equals(jobId));
        Seen passed = once(topics, wire, EvalPassed.class, p -> p.jobId().equals(jobId));
        Seen registered = once(topics, wire, ModelRegistered.class,
                r -> r.modelName().equals(MODEL) && r.version() == 1);
        Seen promoted = once(topics, wire, ModelPromoted.class,
                p -> p.modelName().equals(MODEL) && p.version() == 1 && p.previousVersion() == null);
        assertEquals(List.of(), events(topics, wire, EvalFailed.class, f -> f.jobId().equals(jobId)));

        assertEquals(lineage.at("/upload/sha256").asText(), uploaded.as(DatasetUploaded.class).sha256());
        assertEquals(lineage.at("/dataset_version/content_sha256").asText(),
                ready.as(DatasetReady.class).contentSha256());
        assertEquals(lineage.at("/dataset_version/train_sha256").asText(), ready.as(DatasetReady.class).trainSha256());
        assertEquals(jobId, requested.as(TrainingRequested.class).jobId());
        assertEquals(MODEL, requested.as(TrainingRequested.class).modelName());
        assertEquals(1, started.as(TrainingStarted.class).attempt());
        ModelRegistered version = registered.as(ModelRegistered.class);
        assertEquals(jobId, version.jobId());
        assertEquals(passed.as(EvalPassed.class).evalId(), version.evalId());
        assertEquals(finished.as(TrainingFinished.class).artifactSha256(), version.artifactSha256());
        assertEquals(ready.as(DatasetReady.class).contentSha256(), version.datasetSha256());
        assertEquals(version.artifactSha256(), lineage.at("/model/artifact_sha256").asText());

        List<Seen> chain = List.of(uploaded, ready, requested, started, finished, passed, registered, promoted);
        for (int i = 1; i < chain.size(); i++) {
            Seen before = chain.get(i - 1);
            Seen after = chain.get(i);
            assertFalse(after.time().isBefore(before.time()), before + " then " + after);
            if (before.record().topic().equals(after.record().topic())
                    && before.record().partition() == after.record().partition()) {
                assertTrue(before.record().offset() < after.record().offset(), before + " then " + after);
            }
        }
    }

    /** One event on the wire: its record (topic, partition, offset, headers) and its data. */
    private record Seen(ConsumerRecord<String, String> record, TuneforgeEvent event) {

        Instant time() {
            return OffsetDateTime.parse(TopicClient.header(record, CloudEventHeaders.TIME)).toInstant();
        }

        <T extends TuneforgeEvent> T as(Class<T> type) {
            return type.cast(event);
        }

        @Override
        public String toString() {
            return event.getClass().getSimpleName() + " at " + record.topic() + "-" + record.partition() + "@"
                    + record.offset() + " (" + time() + ")";
        }
    }

    /** The one event of this type that {@code ofTheFlow} picks; fails if there is none or more than one. */
    private static <T extends TuneforgeEvent> Seen once(TopicClient topics,
            Map<String, List<ConsumerRecord<String, String>>> wire, Class<T> type, Predicate<T> ofTheFlow) {
        List<Seen> seen = events(topics, wire, type, ofTheFlow);
        assertEquals(1, seen.size(), type.getSimpleName() + " of the demo's flow: " + seen);
        return seen.getFirst();
    }

    private static <T extends TuneforgeEvent> List<Seen> events(TopicClient topics,
            Map<String, List<ConsumerRecord<String, String>>> wire, Class<T> type, Predicate<T> filter) {
        EventType eventType = Arrays.stream(EventType.values()).filter(t -> t.recordClass().equals(type))
                .findFirst().orElseThrow();
        return wire.computeIfAbsent(eventType.topic(), topics::readAll).stream()
                .filter(r -> eventType.typeName().equals(TopicClient.header(r, CloudEventHeaders.TYPE)))
                .map(r -> new Seen(r, EventCodec.read(eventType, r.value())))
                .filter(s -> filter.test(type.cast(s.event())))
                .toList();
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

    private static void assertOk(Cli.Run run) {
        assertEquals(0, run.exitCode(), run.output());
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
