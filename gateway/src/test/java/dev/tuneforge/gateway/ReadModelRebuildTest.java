package dev.tuneforge.gateway;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMeasured;
import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.Topics;
import dev.tuneforge.events.SweepFinished;
import dev.tuneforge.events.SweepRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The read model rebuilt from the topics alone has exactly the rows the live projection wrote. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class ReadModelRebuildTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String JSONL = "{\"prompt\":\"2+2?\",\"completion\":\"4\"}\n";

    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void rebuildingFromTheTopicsGivesTheRowsOfTheLiveProjection() {
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String ready = upload(member, "will-be-ready");
        String rejected = upload(member, "will-be-rejected");
        TopicClient topics = new TopicClient(bootstrap);
        // As dataset-service would: answer an upload once its DatasetUploaded is on the topic.
        await().atMost(WAIT).until(() -> topics.events(DatasetUploaded.class, ready).size() == 1
                && topics.events(DatasetUploaded.class, rejected).size() == 1);
        topics.publish(new DatasetReady(project, ready, 1, null, "completion", "abc", "k", "abc", 1, null, null, 0, 1,
                null, null, null), "dataset-service");
        topics.publish(new DatasetRejected(project, rejected, "line 1: not JSON", 1, null, null), "dataset-service");
        topics.publish(new TrainingStarted(project, "job-r", 1, "djl", "cpu-0", null), "trainer-service");
        topics.publish(new ModelPromoted(project, "model-r", 1, "champion", null), "registry-service");
        topics.publish(new ModelRegistered(project, "model-r", 2, "job-r", "a/", "a2", "candidate"), "registry-service");
        topics.publish(new ModelPromoted(project, "model-r", 2, "champion", 1), "registry-service");
        topics.publish(new ModelRolledBack(project, "model-r", 2, 1), "registry-service");
        // A job whose request (commands topic) and training events (training topic) replay in any interleaving.
        topics.publish(new TrainingRequested(project, "job-r", "tiny", ready, 1, "lora", Map.of("lora_r", 8), "model-r",
                member.id(), null, 3), "gateway");
        topics.publish(new TrainingProgress(project, "job-r", 1, 2, 0.5, 2.0, 1e-4, 100, 5L, null, null, 1),
                "trainer-service");
        topics.publish(new TrainingProgress(project, "job-r", 2, 2, 1.0, 1.5, 0, 120, 0L, 1.6, 0.4, 1),
                "trainer-service");
        topics.publish(new CheckpointSaved(project, "job-r", 2, "projects/" + project + "/jobs/job-r/checkpoints/step-2/",
                "c2"), "trainer-service");
        topics.publish(new TrainingFinished(project, "job-r", "model-r", "tiny", ready, 1, "lora", "a/", "a2", 2,
                Map.of("train_loss", 1.5), null), "trainer-service");
        topics.publish(new TrainingFailed(project, "job-f", "bad_spec", "no", 1), "trainer-service");
        topics.publish(new EvalPassed(project, "ev-r", "job-r", "model-r", Map.of("exact_match", 0.5), "loss <= base",
                "projects/" + project + "/eval/ev-r/report.json"), "eval-service");
        topics.publish(new EvalFailed(project, "ev-f", "job-f", "model-r", Map.of(), "loss <= base", "no", null),
                "eval-service");
        topics.publish(new PipelineConfigured(project, "pl-r", ready, "tiny", "model-r", "lora", Map.of(), Map.of(),
                Map.of("min_new_examples", 5), "active"), "gateway");
        topics.publish(new PipelineConfigured(project, "pl-r", ready, "tiny", "model-r", "lora", Map.of(), Map.of(),
                Map.of("min_new_examples", 5), "paused"), "gateway");
        // A sweep: its request (commands topic) and its end (training topic) in any order, a trial stopped early.
        topics.publish(new SweepRequested(project, "swp-r", "tiny", ready, 1, "lora", Map.of("max_steps", 4),
                Map.of("learning_rate", List.of(1e-3, 1e-7)), "grid", null, 2, null,
                new SweepRequested.MedianStop(1, 1), "model-r", member.id(), null, null), "gateway");
        topics.publish(new TrainingRequested(project, "job-s", "tiny", ready, 1, "lora", Map.of("learning_rate", 1e-7),
                "model-r", member.id(), null, null, null, "swp-r", 1), "trainer-service");
        topics.publish(new TrainingCancelled(project, "job-s", 2L, true, "worse than the median"), "trainer-service");
        topics.publish(new SweepFinished(project, "swp-r", "model-r", "failed", "no trial succeeded", null, null,
                List.of(new SweepFinished.Trial(1, "job-s", Map.of("learning_rate", 1e-7), "stopped_early", 3.0,
                        "worse than the median")), null), "trainer-service");
        // A drift window, and the episode it opened (announced before the window's DriftMeasured is redelivered).
        DriftMeasured window = ModelsApiTest.drift(project, 2, "w-r", Instant.parse("2026-12-01T10:00:00Z"), 0.4,
                true, "projects/" + project + "/monitoring/w-r.json");
        topics.publish(window, "eval-service");
        topics.publish(new DriftDetected(project, "drifty", 2, "w-r", window.windowStart(), window.windowEnd(),
                window.observations(), window.metrics(), List.of("prompt_length_psi"), window.reportKey(),
                window.observationKeys()), "eval-service");
        topics.publish(window, "eval-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/sweeps/swp-r")
                .then().statusCode(200).body("status", is("failed")).body("trials[1].state", is("stopped_early")));
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/datasets/" + rejected)
                .then().statusCode(200).body("status", is("rejected")));
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/pipelines/pl-r")
                .then().statusCode(200).body("status", is("paused")));
        awaitLiveProjectionCaughtUp();

        List<String> liveEvents = rows("SELECT to_jsonb(e)::text FROM events e ORDER BY seq");
        List<String> liveDatasets = rows("SELECT to_jsonb(d)::text FROM datasets d ORDER BY dataset_id");
        List<String> liveVersions = rows("SELECT to_jsonb(v)::text FROM dataset_versions v ORDER BY dataset_id, version");
        Map<String, List<String>> liveJobTables = jobTables();
        assertFalse(liveEvents.isEmpty());
        assertFalse(liveVersions.isEmpty());
        liveJobTables.forEach((table, rows) -> assertFalse(rows.isEmpty(), table));

        as(ADMIN).when().post("/api/v1/admin/read-model/rebuild").then().statusCode(200)
                .body("events", is(liveEvents.size())).body("records", greaterThan(0));
        assertEquals(liveDatasets, rows("SELECT to_jsonb(d)::text FROM datasets d ORDER BY dataset_id"));
        assertEquals(liveVersions, rows("SELECT to_jsonb(v)::text FROM dataset_versions v ORDER BY dataset_id, version"));
        assertEquals(liveEvents, rows("SELECT to_jsonb(e)::text FROM events e ORDER BY seq"),
                "same rows, same seq: SSE clients' Last-Event-ID stays valid");
        assertEquals(liveJobTables, jobTables());

        // From nothing at all: only the numbering of events (seq) may differ.
        List<String> withoutSeq = rows("SELECT (to_jsonb(e) - 'seq')::text FROM events e ORDER BY event_id");
        jdbc.update("DELETE FROM events");
        jdbc.update("DELETE FROM datasets");
        jdbc.update("DELETE FROM dataset_versions");
        for (String table : liveJobTables.keySet()) {
            jdbc.update("DELETE FROM " + table);
        }
        as(ADMIN).when().post("/api/v1/admin/read-model/rebuild").then().statusCode(200);
        assertEquals(liveDatasets, rows("SELECT to_jsonb(d)::text FROM datasets d ORDER BY dataset_id"));
        assertEquals(liveJobTables, jobTables());
        assertEquals(liveVersions, rows("SELECT to_jsonb(v)::text FROM dataset_versions v ORDER BY dataset_id, version"));
        assertEquals(withoutSeq, rows("SELECT (to_jsonb(e) - 'seq')::text FROM events e ORDER BY event_id"));
        as(member.secret()).when().get("/api/v1/datasets/" + ready).then().statusCode(200).body("status", is("ready"));
    }

    private static String upload(Gateway.Key key, String name) {
        return as(key.secret()).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets?name=" + name).then().statusCode(202).extract().path("id");
    }

    /** The rows of the jobs, pipelines, evaluation and registry tables, in a stable order. */
    private Map<String, List<String>> jobTables() {
        Map<String, List<String>> tables = new java.util.LinkedHashMap<>();
        tables.put("jobs", rows("SELECT to_jsonb(t)::text FROM jobs t ORDER BY job_id"));
        tables.put("job_metrics", rows("SELECT to_jsonb(t)::text FROM job_metrics t ORDER BY job_id, attempt, step"));
        tables.put("job_checkpoints", rows("SELECT to_jsonb(t)::text FROM job_checkpoints t ORDER BY job_id, step"));
        tables.put("pipelines", rows("SELECT to_jsonb(t)::text FROM pipelines t ORDER BY pipeline_id"));
        tables.put("evals", rows("SELECT to_jsonb(t)::text FROM evals t ORDER BY eval_id"));
        tables.put("models", rows("SELECT to_jsonb(t)::text FROM models t ORDER BY project_id, model_name"));
        tables.put("model_versions", rows("SELECT to_jsonb(t)::text FROM model_versions t"
                + " ORDER BY project_id, model_name, version"));
        tables.put("model_aliases", rows("SELECT to_jsonb(t)::text FROM model_aliases t"
                + " ORDER BY project_id, model_name, alias"));
        tables.put("sweeps", rows("SELECT to_jsonb(t)::text FROM sweeps t ORDER BY sweep_id"));
        tables.put("drift_windows", rows("SELECT to_jsonb(t)::text FROM drift_windows t"
                + " ORDER BY project_id, model_name, model_version, window_id"));
        return tables;
    }

    private List<String> rows(String sql) {
        return jdbc.query(sql, row -> row.getString(1));
    }

    /** Nothing left in the outbox, and the gateway's group has committed every main topic to its end. */
    private void awaitLiveProjectionCaughtUp() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
                long pending = jdbc.queryOne("SELECT count(*) FROM tf_outbox WHERE sent_at IS NULL",
                        row -> row.getLong(1)).orElse(0L);
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("gateway")
                        .partitionsToOffsetAndMetadata().get();
                Map<TopicPartition, OffsetSpec> latest = admin.describeTopics(Topics.MAIN).allTopicNames().get()
                        .values().stream().flatMap(topic -> topic.partitions().stream()
                                .map(p -> new TopicPartition(topic.name(), p.partition())))
                        .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
                return pending == 0 && admin.listOffsets(latest).all().get().entrySet().stream()
                        .allMatch(end -> end.getValue().offset() == 0 || (committed.get(end.getKey()) != null
                                && committed.get(end.getKey()).offset() >= end.getValue().offset()));
            });
        }
    }
}
