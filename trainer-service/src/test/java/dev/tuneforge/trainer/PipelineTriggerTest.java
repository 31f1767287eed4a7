package dev.tuneforge.trainer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMetric;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.Topics;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.kit.storage.DirectorySync;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A pipeline with "at least N new examples" starts exactly one job for a dataset version that adds N or
 * more, none for one that adds fewer, and none again when the same {@code DatasetReady} is delivered twice. A
 * pipeline with {@code on_drift} answers a {@code DriftDetected} of its model as eval-service writes it: one job
 * naming the event (none again when it is delivered twice, none within the cooldown, audited), or the drifted
 * window's prompts as a review dataset uploaded for dataset-service (none from a window without text).
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class PipelineTriggerTest {

    private static final Duration WAIT = Duration.ofMinutes(2);

    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    dev.tuneforge.kit.db.Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void appendingEnoughExamplesStartsExactlyOneJob() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
        String ds = TrainingFixture.newId("ds_");
        String pipeline = TrainingFixture.newId("pl_");
        configure(topics, pipeline, ds, "bot", Map.of("min_new_examples", 5, "cooldown_seconds", 0));

        TrainingFixture.dataset(store, topics, ds, 1, null, 10, 10);          // first version: no parent, no trigger
        TrainingFixture.dataset(store, topics, ds, 2, 1, 13, 3);              // 3 new: below the threshold
        DatasetReady enough = TrainingFixture.dataset(store, topics, ds, 3, 2, 19, 6); // 6 new: one job
        // The same version announced again (a new event, e.g. re-published) must not start a second job.
        // It sits right behind the first on the dataset's partition, so it is handled before the job below ends.
        topics.send(TopicClient.toRecord(EventEnvelope.wrap(enough, "dataset-service")));

        await().atMost(WAIT).until(() -> !TrainingFixture.requests(topics, pipeline).isEmpty());
        TrainingRequested job = TrainingFixture.requests(topics, pipeline).getFirst();
        assertEquals(3, job.datasetVersion());
        assertEquals("bot", job.modelName());
        assertEquals(Map.of("type", "new_data", "dataset_version", 3), job.trigger());
        await().atMost(WAIT).until(() -> !topics.events(TrainingFinished.class, job.jobId()).isEmpty());
        assertEquals(pipeline, topics.events(TrainingFinished.class, job.jobId()).getFirst().pipelineId());
        assertEquals(1, TrainingFixture.requests(topics, pipeline).size());
    }

    @Test
    void driftOfThePipelinesModelStartsOneJobNamingTheEventAndNoneWithinTheCooldownOrPaused() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        TrainingFixture.baseModel(sync, store);
        String ds = TrainingFixture.newId("ds_");
        String pipeline = TrainingFixture.newId("pl_");
        String model = TrainingFixture.newId("m-");
        configure(topics, pipeline, ds, model, onDrift(Map.of(
                "metrics", List.of("prompt_length_psi", "output_validity_rate"), "cooldown_seconds", 3600)));
        TrainingFixture.dataset(store, topics, ds, 1, null, 10, 10);
        TrainingFixture.dataset(store, topics, ds, 2, 1, 14, 4);
        await().atMost(WAIT).until(() -> jdbc.queryOne(
                "SELECT 1 FROM dataset_versions WHERE dataset_id = ? AND version = 2", r -> true, ds).isPresent());

        // A metric the pipeline does not answer to: nothing, not even an audit row.
        EventEnvelope other = topics.publish(drift(model, "w-0", List.of("completion_vocabulary_js"), List.of()),
                "eval-service");
        EventEnvelope first = EventEnvelope.wrap(drift(model, "w-1", List.of("prompt_length_psi",
                "prompt_length_ks"), List.of()), "eval-service");
        topics.send(TopicClient.toRecord(first));
        topics.send(TopicClient.toRecord(first)); // delivered twice: still one job
        EventEnvelope within = topics.publish(drift(model, "w-2", List.of("output_validity_rate"), List.of()),
                "eval-service");

        await().atMost(WAIT).until(() -> !actions(pipeline, within.id().toString()).isEmpty()
                && !TrainingFixture.requests(topics, pipeline).isEmpty());
        List<TrainingRequested> jobs = TrainingFixture.requests(topics, pipeline);
        assertEquals(1, jobs.size(), "jobs of " + pipeline);
        TrainingRequested job = jobs.getFirst();
        assertEquals(2, job.datasetVersion(), "the latest ready version");
        assertEquals(model, job.modelName());
        assertEquals(Map.of("type", "drift", "event_id", first.id().toString(), "window_id", "w-1", "model_version", 3,
                "metrics", List.of("prompt_length_psi")), job.trigger());
        assertEquals(List.of("retrain job " + job.jobId() + " [\"prompt_length_psi\"]"),
                actions(pipeline, first.id().toString()));
        assertEquals(List.of("retrain skipped cooldown [\"output_validity_rate\"]"),
                actions(pipeline, within.id().toString()));
        assertEquals(List.of(), actions(pipeline, other.id().toString()));

        // Paused, it starts nothing either, whatever the cooldown, and says why.
        topics.publish(new PipelineConfigured(TrainingFixture.PROJECT, pipeline, ds, TrainingFixture.BASE_MODEL, model,
                "lora", Map.of(), Map.of(), onDrift(Map.of("cooldown_seconds", 0)), "paused"), "gateway");
        await().atMost(WAIT).until(() -> jdbc.queryOne("SELECT status FROM pipelines WHERE pipeline_id = ?",
                r -> r.getString(1), pipeline).orElseThrow().equals("paused"));
        EventEnvelope paused = topics.publish(drift(model, "w-3", List.of("prompt_length_ks"), List.of()),
                "eval-service");
        await().atMost(WAIT).until(() -> !actions(pipeline, paused.id().toString()).isEmpty());
        assertEquals(List.of("retrain skipped paused [\"prompt_length_ks\"]"),
                actions(pipeline, paused.id().toString()));
        assertEquals(1, TrainingFixture.requests(topics, pipeline).size());
    }

    @Test
    void driftExportsTheWindowsPromptsAsAReviewDatasetOnceAndNothingFromAWindowWithoutText() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        String ds = TrainingFixture.newId("ds_");
        String pipeline = TrainingFixture.newId("pl_");
        String model = TrainingFixture.newId("m-");
        configure(topics, pipeline, ds, model, onDrift(Map.of("actions", List.of("export_review"),
                "cooldown_seconds", 0)));
        String prefix = "projects/" + TrainingFixture.PROJECT + "/observations/" + model + "/2026/12/06/";
        store.put(prefix + "ob_1.jsonl", (observation("o1", "[{\"role\":\"system\",\"content\":\"Answer in JSON\"},"
                + "{\"role\":\"user\",\"content\":\"Name 1\"}]", "{\\\"n\\\": 1}")
                + observation("o2", "[{\"role\":\"user\",\"content\":\"Nom 2\"}]", "n=2")).getBytes(UTF_8),
                "application/jsonl");
        store.put(prefix + "ob_2.jsonl", observation("o3", "[{\"role\":\"user\",\"content\":\"Nome 3\"}]", "3")
                .getBytes(UTF_8), "application/jsonl");
        store.put(prefix + "ob_3.jsonl", "{\"id\":\"o4\",\"version\":3,\"features\":{\"messages\":1}}\n"
                .getBytes(UTF_8), "application/jsonl");

        EventEnvelope drifted = EventEnvelope.wrap(drift(model, "w-1", List.of("prompt_domain_classifier_auc"),
                List.of(prefix + "ob_1.jsonl", prefix + "ob_2.jsonl")), "eval-service");
        topics.send(TopicClient.toRecord(drifted));
        topics.send(TopicClient.toRecord(drifted)); // delivered twice: still one dataset
        EventEnvelope textFree = topics.publish(drift(model, "w-2", List.of("prompt_domain_classifier_auc"),
                List.of(prefix + "ob_3.jsonl")), "eval-service");

        await().atMost(WAIT).until(() -> !actions(pipeline, textFree.id().toString()).isEmpty()
                && !uploads(topics, pipeline).isEmpty());
        List<DatasetUploaded> uploads = uploads(topics, pipeline);
        assertEquals(1, uploads.size(), "review datasets of " + pipeline);
        DatasetUploaded review = uploads.getFirst();
        assertEquals("review", review.purpose());
        assertEquals("chat", review.format());
        assertEquals(TrainingFixture.BASE_MODEL, review.baseModel());
        assertEquals(List.of(
                "{\"messages\":[{\"role\":\"system\",\"content\":\"Answer in JSON\"},{\"role\":\"user\",\"content\":"
                        + "\"Name 1\"},{\"role\":\"assistant\",\"content\":\"{\\\"n\\\": 1}\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Nom 2\"},"
                        + "{\"role\":\"assistant\",\"content\":\"n=2\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Nome 3\"},"
                        + "{\"role\":\"assistant\",\"content\":\"3\"}]}"),
                new String(store.get(review.objectKey()).readAllBytes(), UTF_8).lines().toList());
        assertEquals(List.of("export_review dataset " + review.datasetId() + " [\"prompt_domain_classifier_auc\"]"),
                actions(pipeline, drifted.id().toString()));
        assertEquals(List.of("export_review skipped no_text [\"prompt_domain_classifier_auc\"]"),
                actions(pipeline, textFree.id().toString()));
    }

    private static Map<String, Object> onDrift(Map<String, Object> section) {
        return Map.of("on_drift", section);
    }

    /**
     * A pipeline configured as the gateway announces it. Pipelines come on the commands topic, datasets and drift on
     * their own: a user creates the pipeline before appending, so the test waits for it.
     */
    private void configure(TopicClient topics, String pipeline, String ds, String model, Map<String, Object> triggers) {
        topics.publish(new PipelineConfigured(TrainingFixture.PROJECT, pipeline, ds, TrainingFixture.BASE_MODEL, model,
                "lora", Map.of("max_steps", 2, "batch_size", 2, "lora_r", 2), Map.of(), triggers, "active"), "gateway");
        await().atMost(WAIT).until(() -> jdbc.queryOne("SELECT status FROM pipelines WHERE pipeline_id = ?",
                r -> r.getString(1), pipeline).isPresent());
    }

    /** The datasets a pipeline uploaded: its {@code DatasetUploaded}s on the datasets topic. */
    private static List<DatasetUploaded> uploads(TopicClient topics, String pipeline) {
        return topics.readAll(Topics.DATASETS).stream()
                .filter(r -> EventType.DATASET_UPLOADED.typeName().equals(TopicClient.header(r, "ce_type")))
                .map(r -> (DatasetUploaded) EventCodec.read(EventType.DATASET_UPLOADED, r.value()))
                .filter(u -> ("pipeline:" + pipeline).equals(u.uploadedBy()))
                .toList();
    }

    /** A DriftDetected of version 3 of {@code model} as eval-service writes it. */
    private static DriftDetected drift(String model, String window, List<String> detected, List<String> observations) {
        List<DriftMetric> metrics = detected.stream().map(m -> new DriftMetric(m, 0.5, 0.5, 0.2, true)).toList();
        return new DriftDetected(TrainingFixture.PROJECT, model, 3, window, Instant.parse("2026-12-06T10:00:00Z"),
                Instant.parse("2026-12-06T11:00:00Z"), 200, metrics, detected, "projects/" + TrainingFixture.PROJECT
                + "/drift/" + window + ".json", observations);
    }

    /** An observation line as the gateway writes it (docs/ARCHITECTURE.md "Observations"). */
    private static String observation(String id, String messages, String completion) {
        return "{\"id\":\"" + id + "\",\"time\":\"2026-12-06T10:30:00Z\",\"model\":\"m\",\"version\":3,"
                + "\"source\":\"gateway\",\"messages\":" + messages + ",\"completion\":\"" + completion + "\","
                + "\"latency_ms\":12,\"prompt_tokens\":null,\"completion_tokens\":null,"
                + "\"features\":{\"messages\":1}}\n";
    }

    /** The audit rows of a pipeline for one DriftDetected: action, outcome, job/dataset id or reason, metrics. */
    private List<String> actions(String pipeline, String eventId) {
        return jdbc.query("""
                SELECT action || ' ' || outcome || ' ' || COALESCE(job_id, dataset_id, skip_reason) || ' '
                       || metrics::text
                FROM pipeline_drift_actions WHERE pipeline_id = ? AND event_id = CAST(? AS uuid) ORDER BY action""",
                r -> r.getString(1), pipeline, eventId);
    }
}
