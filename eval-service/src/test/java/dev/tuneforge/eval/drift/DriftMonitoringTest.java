package dev.tuneforge.eval.drift;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.drift.HashedNgrams;
import dev.tuneforge.drift.SparseEmbeddings;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMeasured;
import dev.tuneforge.events.DriftMetric;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.messaging.DeadLetterHeaders;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.fixture.JsonTask;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.safetensors.DType;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Drift monitoring through eval-service: a model version trained on the JSON task (its baseline: the training split,
 * with its base model's tokenizer) serves traffic in windows of 200 observations (its pipeline's {@code drift_window}).
 * Traffic like the training data is measured with nothing crossed; long prompts of another vocabulary answered in
 * plain text (a format break) open a drift episode, reported once, and the next such window is measured only; a
 * redelivered batch makes no second window; a malformed batch is dead-lettered, naming its line, and joins no window.
 * A window by time ({@code {"seconds": 1}}) of text-free observations (token counts and the gateway's prompt
 * embeddings) closes on the service's tick, with no further batch, measured on all but the vocabulary.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class DriftMonitoringTest {

    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final String PROJECT = "prj_drift";
    private static final String MODEL = "drifty";
    private static final String TIMED = "drifty-timed";
    private static final String BASE = "drift-tiny";
    private static final String[] OTHER_WORDS = {"turbine", "maintenance", "vibration", "bearing", "lubricant",
        "inspection", "schedule", "pressure", "valve", "compressor", "exhaust", "calibration"};

    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    Jdbc jdbc;
    @Inject
    MeterRegistry registry;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void shiftedTrafficWithAFormatBreakIsDetectedOncePerEpisodeAndTrainingLikeTrafficIsNot() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        trainedVersion(topics, MODEL, Map.of("observations", 200));

        // Traffic drawn like the training data: measured, nothing crossed.
        List<EventEnvelope> clean = List.of(batch(topics, "clean-a", inDistribution(100, 21)),
                batch(topics, "clean-b", inDistribution(100, 22)));
        DriftMeasured first = measured(topics, 1);
        assertEquals(200, first.observations());
        assertEquals(List.of(key("clean-a"), key("clean-b")), first.observationKeys());
        assertEquals(10, first.metrics().size(), first.metrics().toString());
        assertTrue(first.metrics().stream().noneMatch(DriftMetric::crossed), first.metrics().toString());
        assertTrue(store.exists(Baselines.key(PROJECT, MODEL, 1)), "the baseline is stored");

        // Longer prompts of another vocabulary, answered in plain text where training answered in JSON.
        batch(topics, "shifted-a", shifted(100, 31));
        batch(topics, "shifted-b", shifted(100, 32));
        DriftMeasured second = measured(topics, 2);
        await().atMost(WAIT).until(() -> !topics.events(DriftDetected.class, MODEL).isEmpty());
        DriftDetected detected = topics.events(DriftDetected.class, MODEL).getFirst();
        assertEquals(second.windowId(), detected.windowId());
        for (String metric : List.of("prompt_length_ks", "prompt_domain_classifier_auc", "output_validity_rate",
                "completion_vocabulary_js")) {
            assertTrue(detected.detected().contains(metric), metric + " not in " + detected.detected());
        }
        DriftMetric validity = second.metrics().stream().filter(m -> m.metric().equals("output_validity_rate"))
                .findFirst().orElseThrow();
        assertEquals(-1.0, validity.statistic(), 1e-12, "every completion valid before, none now");

        JsonNode report;
        try (InputStream in = store.get(second.reportKey())) {
            report = EventCodec.mapper().readTree(in);
        }
        assertEquals("projects/" + PROJECT + "/drift/" + MODEL + "/v1/" + second.windowId() + ".json",
                second.reportKey());
        assertEquals(20, report.at("/distributions/prompt_length/reference").size(), report.toString());
        assertEquals(20, report.at("/distributions/prompt_length/current").size());
        assertFalse(report.at("/distributions/completion_vocabulary/current/0/token").asText().isEmpty());
        // Snake case throughout, like the rest of the platform's JSON; the thresholds as a pipeline names them.
        List<String> names = new ArrayList<>();
        fieldNames(report, names);
        assertEquals(List.of(), names.stream().filter(n -> !n.matches("[a-z][a-z0-9_]*")).distinct().toList());
        assertEquals(0.01, report.at("/thresholds/ks_alpha").asDouble(), report.path("thresholds").toString());
        assertEquals(128, report.at("/thresholds/embeddings_per_side").asInt());

        // The same drift again: the episode is open, so measured only.
        batch(topics, "shifted-c", shifted(100, 33));
        batch(topics, "shifted-d", shifted(100, 34));
        DriftMeasured third = measured(topics, 3);
        assertTrue(third.metrics().stream().anyMatch(DriftMetric::crossed));
        assertEquals(1, topics.events(DriftDetected.class, MODEL).size(), "one DriftDetected per episode");
        assertEquals(1.0, registry.get(DriftGauges.CROSSED).tags("model", MODEL, "version", "1", "metric",
                "output_validity_rate").gauge().value());
        assertEquals(0.0, registry.get(DriftGauges.VALIDITY).tags("model", MODEL, "version", "1").gauge().value());

        // The first window's batches again (other event ids, same objects): enough for a window, yet none is made.
        for (EventEnvelope again : clean) {
            RecordMetadata sent = topics.send(TopicClient.toRecord(EventEnvelope.wrap(again.data(), "gateway")));
            await().atMost(WAIT).until(() -> topics.consumed("eval-service", sent));
        }
        assertEquals(3, topics.events(DriftMeasured.class, MODEL).size());
        assertEquals(6L, jdbc.queryOne("SELECT count(*) FROM drift_batches WHERE project_id = ? AND model_name = ?",
                r -> r.getLong(1), PROJECT, MODEL).orElseThrow());

        // A batch whose second line is not JSON: dead-lettered with the place named, nothing of it kept.
        String broken = key("broken");
        List<ObjectNode> lines = inDistribution(3, 41);
        store.put(broken, (lines.get(0) + "\n{\"id\": \"x\", \"time\": \n" + lines.get(2) + "\n")
                .getBytes(StandardCharsets.UTF_8), "application/jsonl");
        topics.publish(new ObservationsReceived(PROJECT, MODEL, 1, broken, 3), "gateway");
        await().atMost(WAIT).until(() -> deadLetter(topics, broken) != null);
        String reason = TopicClient.header(deadLetter(topics, broken), DeadLetterHeaders.REASON);
        assertTrue(reason.contains("observation object " + broken + " line 2: not a JSON object"), reason);
        assertEquals(0L, jdbc.queryOne("SELECT count(*) FROM drift_batches WHERE object_key = ?", r -> r.getLong(1),
                broken).orElseThrow());
    }

    @Test
    void aWindowByTimeOfTextFreeObservationsClosesWhenItsTimeIsUpThoughNoFurtherBatchComes() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        Path base = trainedVersion(topics, TIMED, Map.of("seconds", 1));
        // The project keeps no text: each line has its server's token counts and the gateway's features, the prompt's
        // hashed n-gram vector among them.
        String key = "projects/" + PROJECT + "/observations/" + TIMED + "/2026/12/06/ob_timed.jsonl";
        StringBuilder jsonl = new StringBuilder();
        try (HfTokenizer tokenizer = HfTokenizer.load(base)) {
            for (ObjectNode line : inDistribution(60, 51)) {
                jsonl.append(textFree(line, tokenizer).put("model", TIMED)).append('\n');
            }
        }
        store.put(key, jsonl.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        topics.publish(new ObservationsReceived(PROJECT, TIMED, 1, key, 60), "gateway");
        await().atMost(WAIT).until(() -> !topics.events(DriftMeasured.class, TIMED).isEmpty());
        DriftMeasured measured = topics.events(DriftMeasured.class, TIMED).getFirst();
        assertEquals(60, measured.observations());
        assertEquals(List.of(key), measured.observationKeys());
        assertEquals(List.of("prompt_length_psi", "prompt_length_ks", "prompt_length_wasserstein",
                "completion_length_psi", "completion_length_ks", "completion_length_wasserstein",
                "prompt_domain_classifier_auc", "prompt_embedding_mmd", "output_validity_rate"),
                measured.metrics().stream().map(DriftMetric::metric).toList(), "no token ids: no vocabulary metric");
        assertTrue(measured.metrics().stream().noneMatch(DriftMetric::crossed), measured.metrics().toString());
    }

    @Test
    void aPipelineWhoseDriftWindowEvalServiceCannotReadIsCountedOnceAsItArrives() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        // The gateway refuses such a window on create; an event from an older gateway may still carry one.
        topics.publish(new PipelineConfigured(PROJECT, "pl_unreadable", "ds_drift", BASE,
                "drifty-unreadable", "lora", Map.of(), Map.of(), Map.of("drift_window", Map.of("observations", 0)),
                "active"), "gateway");
        await().atMost(WAIT).until(() -> registry.find(DriftGauges.UNREADABLE_TRIGGERS)
                .tags("model", "drifty-unreadable").counter() != null);
        assertEquals(1.0, registry.get(DriftGauges.UNREADABLE_TRIGGERS).tags("project", PROJECT, "model",
                "drifty-unreadable", "pipeline", "pl_unreadable").counter().count());
        // Kept as sent, nothing half-stored: its windows use the service's defaults.
        assertEquals(1L, jdbc.queryOne("SELECT count(*) FROM pipeline_gates WHERE pipeline_id = ? AND model_name = ?",
                r -> r.getLong(1), "pl_unreadable", "drifty-unreadable").orElseThrow());
    }

    /** The line as a project with {@code raw_text=false} stores it (docs/ARCHITECTURE.md, <i>Observations</i>). */
    private static ObjectNode textFree(ObjectNode line, HfTokenizer tokenizer) {
        String prompt = line.at("/messages/0/content").asText();
        String completion = line.path("completion").asText();
        line.remove(List.of("messages", "completion"));
        line.put("prompt_tokens", tokenizer.encodeChat(List.of(new ChatMessage("user", prompt)), true).length);
        line.put("completion_tokens", tokenizer.encode(completion, false).length);
        double[] embedding = new HashedNgrams().embed(HashedNgrams.promptText(List.of(prompt)));
        ((ObjectNode) line.get("features")).set("prompt_embedding", SparseEmbeddings.write(embedding));
        return line;
    }

    /** A registered version of {@code model} trained on the JSON task, its pipeline's window; the base model's dir. */
    private Path trainedVersion(TopicClient topics, String model, Map<String, Object> window) throws Exception {
        Path dir = Files.createTempDirectory("drift");
        Path base = TinyLlamaWriter.write(dir.resolve("base"), new TinyLlamaWriter.Spec(128, 256, 4, 4, 4, 32, 0,
                false, false, DType.F32, 1, 256, 10000.0, 1.0, 3L));
        sync.upload(base, ObjectKeys.baseModel(BASE));
        String prefix = "projects/" + PROJECT + "/datasets/ds_drift/v1/";
        store.put(prefix + "train.jsonl", JsonTask.jsonl(500, 11, false, new HashSet<>())
                .getBytes(StandardCharsets.UTF_8), "application/jsonl");
        topics.publish(new DatasetReady(PROJECT, "ds_drift", 1, null, "chat", "c", prefix + "train.jsonl", "t", 500,
                null, null, 0, 500, new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json", null),
                "dataset-service");
        topics.publish(new ModelRegistered(PROJECT, model, 1, "job_" + model, "projects/" + PROJECT + "/models/"
                + model + "/v1/adapter/", "sha", ModelRegistered.CANDIDATE, null, null, null, null, BASE, "lora", null,
                "ds_drift", 1, null, null, null, "pl_" + model, null), "registry-service");
        topics.publish(new PipelineConfigured(PROJECT, "pl_" + model, "ds_drift", BASE, model, "lora", Map.of(),
                Map.of(), Map.of("drift_window", window), "active"), "gateway");
        await().atMost(WAIT).until(() -> jdbc.queryOne("SELECT count(*) FROM model_versions v JOIN dataset_versions d "
                + "ON d.project_id = v.project_id AND d.dataset_id = v.dataset_id AND d.version = v.dataset_version "
                + "JOIN pipeline_gates p ON p.project_id = v.project_id AND p.model_name = v.model_name "
                + "WHERE v.project_id = ? AND v.model_name = ?", r -> r.getLong(1), PROJECT, model).orElse(0L) == 1);
        return base;
    }

    private DriftMeasured measured(TopicClient topics, int count) {
        await().atMost(WAIT).until(() -> topics.events(DriftMeasured.class, MODEL).size() >= count);
        List<DriftMeasured> all = topics.events(DriftMeasured.class, MODEL);
        assertEquals(count, all.size(), all.toString());
        return all.getLast();
    }

    private static ConsumerRecord<String, String> deadLetter(TopicClient topics, String objectKey) {
        return topics.readAll("tuneforge.monitoring.dlq").stream()
                .filter(r -> r.value().contains(objectKey)).findFirst().orElse(null);
    }

    private static void fieldNames(JsonNode node, List<String> out) {
        node.properties().forEach(e -> {
            out.add(e.getKey());
            fieldNames(e.getValue(), out);
        });
        if (node.isArray()) {
            node.elements().forEachRemaining(e -> fieldNames(e, out));
        }
    }

    private static String key(String name) {
        return "projects/" + PROJECT + "/observations/" + MODEL + "/2026/12/06/ob_" + name + ".jsonl";
    }

    private EventEnvelope batch(TopicClient topics, String name, List<ObjectNode> lines) {
        StringBuilder jsonl = new StringBuilder();
        lines.forEach(line -> jsonl.append(line).append('\n'));
        store.put(key(name), jsonl.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        return topics.publish(new ObservationsReceived(PROJECT, MODEL, 1, key(name), lines.size()), "gateway");
    }

    /** Conversations drawn as the training examples are (other draws of the same generator). */
    private static List<ObjectNode> inDistribution(int count, long seed) {
        Random random = new Random(seed);
        Set<String> names = new HashSet<>();
        List<ObjectNode> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            JsonNode example = JsonTask.example(random, false, names);
            out.add(line(i, example.at("/messages/0/content").asText(), example.at("/messages/1/content").asText()));
        }
        return out;
    }

    /** Prompts four times as long in another vocabulary, answered in prose instead of JSON. */
    private static List<ObjectNode> shifted(int count, long seed) {
        Random random = new Random(seed);
        List<ObjectNode> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder prompt = new StringBuilder("Summarise this log entry:");
            for (int w = 0; w < 30 + random.nextInt(20); w++) {
                prompt.append(' ').append(OTHER_WORDS[random.nextInt(OTHER_WORDS.length)]);
            }
            String answer = "The " + OTHER_WORDS[random.nextInt(OTHER_WORDS.length)] + " needs an inspection soon.";
            out.add(line(i, prompt.toString(), answer));
        }
        return out;
    }

    private static ObjectNode line(int i, String prompt, String completion) {
        ObjectNode line = EventCodec.mapper().createObjectNode();
        line.put("id", "o" + i);
        line.put("time", Instant.parse("2026-12-06T10:00:00Z").plusSeconds(i).toString());
        line.put("model", MODEL);
        line.put("version", 1);
        line.put("source", "external");
        line.putArray("messages").addObject().put("role", "user").put("content", prompt);
        line.put("completion", completion);
        line.putNull("latency_ms");
        line.putNull("prompt_tokens");
        line.putNull("completion_tokens");
        ObjectNode features = line.putObject("features");
        features.put("messages", 1);
        features.put("prompt_chars", prompt.length());
        features.put("completion_chars", completion.length());
        features.put("completion_json_valid", completion.startsWith("{"));
        return line;
    }
}
