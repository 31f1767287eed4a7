package dev.tuneforge.eval;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.PipelineConfigured;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerProcess;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.worker.fixture.JsonTask;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerExit;
import dev.tuneforge.worker.safetensors.DType;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The JSON-output demo task through eval-service with the real worker: a fine-tuned candidate passes the
 * default gate; the base model itself and an under-trained candidate fail, each with the rule and numbers
 * that failed; the base model is evaluated once for all three (cache), and so is the few-shot baseline (the base model
 * with three training examples before each held-out one), which is too long for this model's context and is reported
 * as skipped without failing anyone's evaluation; a redelivered {@code TrainingFinished} causes no second evaluation.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class EvaluationFlowTest {

    private static final Duration WAIT = Duration.ofMinutes(6);
    private static final String PROJECT = "prj_eval";
    private static final String BASE = "json-tiny";

    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    Jdbc jdbc;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "tuneforge.eval.djl-home")
    String djlHome;

    @Test
    void theFineTunedModelPassesAndTheBaseAndAnUnderTrainedOneFail() throws Exception {
        Path dir = Files.createTempDirectory("eval-flow");
        Path base = TinyLlamaWriter.write(dir.resolve("base"), new TinyLlamaWriter.Spec(128, 256, 4, 4, 4, 32, 0,
                false, false, DType.F32, 1, 256, 10000.0, 1.0, 3L));
        sync.upload(base, ObjectKeys.baseModel(BASE));
        Set<String> seen = new HashSet<>();
        Files.writeString(dir.resolve("train.jsonl"), JsonTask.jsonl(500, 11, false, seen));
        String heldOut = JsonTask.jsonl(30, 12, true, seen);
        String prefix = "projects/" + PROJECT + "/datasets/ds_json/v1/";
        store.put(prefix + "train.jsonl", Files.readAllBytes(dir.resolve("train.jsonl")), "application/jsonl");
        store.put(prefix + "validation.jsonl", heldOut.getBytes(StandardCharsets.UTF_8), "application/jsonl");
        TopicClient topics = new TopicClient(bootstrap);
        topics.publish(new DatasetReady(PROJECT, "ds_json", 1, null, "chat", "c", prefix + "train.jsonl", "t", 500,
                prefix + "validation.jsonl", "v", 30, 500, new TokenStats(1, 1, 1, 1, 1, 0), prefix + "report.json",
                null), "dataset-service");

        // The recipe of the worker's learning test, shortened; and the same stopped after 3 steps.
        String good = train(dir, base, "good", Map.of("epochs", 10));
        String under = train(dir, base, "under", Map.of("max_steps", 3));

        TrainingFinished goodJob = finished("job_good", good);
        topics.publish(goodJob, "trainer-service");
        topics.publish(finished("job_under", under), "trainer-service");
        topics.publish(finished("job_base", ObjectKeys.baseModel(BASE)), "trainer-service");

        await().atMost(WAIT).until(() -> !topics.events(EvalPassed.class, "job_good").isEmpty()
                || !topics.events(EvalFailed.class, "job_good").isEmpty());
        assertTrue(topics.events(EvalFailed.class, "job_good").isEmpty(),
                () -> "the fine-tuned model failed: " + topics.events(EvalFailed.class, "job_good"));
        EvalPassed passed = topics.events(EvalPassed.class, "job_good").getFirst();
        assertTrue(passed.metrics().get("exact_match") >= 0.5, passed.metrics().toString());
        assertTrue(passed.metrics().get("json_valid") >= 0.9, passed.metrics().toString());

        await().atMost(WAIT).until(() -> !topics.events(EvalFailed.class, "job_under").isEmpty()
                && !topics.events(EvalFailed.class, "job_base").isEmpty());
        for (String job : new String[] {"job_under", "job_base"}) {
            EvalFailed failed = topics.events(EvalFailed.class, job).getFirst();
            assertTrue(failed.reason().contains("exact_match 0.0 < base 0.0 + 0.05"), job + ": " + failed.reason());
            assertTrue(failed.metrics().get("exact_match") <= 0.1, job + ": " + failed.metrics());
        }

        JsonNode report;
        try (InputStream in = store.get(passed.reportKey())) {
            report = EventCodec.mapper().readTree(in);
        }
        assertTrue(report.path("passed").asBoolean());
        assertTrue(report.at("/subjects/candidate/metrics/exact_match").asDouble() > 0.5);
        assertEquals(0.0, report.at("/subjects/base/metrics/exact_match").asDouble());
        assertTrue(report.at("/candidate_vs_base/exact_match/wins").asInt() > 0);
        JsonNode win = report.at("/samples/wins/0");
        assertEquals(win.path("reference").asText(), win.path("candidate").asText().strip(), report.path("samples").toString());
        assertEquals(2, report.at("/subjects/candidate/ci95/exact_match").size());
        // The few-shot baseline: three training examples before each held-out one are more than this model's context
        // of 256 byte tokens holds, so the worker cuts every answer off; the report says so, the verdict stands.
        assertEquals("with 3 training examples before it, no held-out example's answer fits in the model's context",
                report.at("/few_shot_skipped/reason").asText(), report.toString());
        assertTrue(report.at("/subjects/few_shot").isMissingNode());

        // The base model's results were computed once and reused by all three evaluations.
        assertEquals(1L, jdbc.queryOne("SELECT count(*) FROM eval_cache WHERE subject LIKE 'base:json-tiny@%'",
                r -> r.getLong(1)).orElseThrow());
        assertEquals(1L, jdbc.queryOne("SELECT count(*) FROM eval_cache WHERE subject LIKE 'few-shot-3:base:json-tiny@%'",
                r -> r.getLong(1)).orElseThrow(), "so was the few-shot baseline's");

        // Forgetting: the same fine-tuned model, under a pipeline whose gate also wants the loss on a general set
        // to rise by at most 0.01 over the base model's — a full fine-tune on one task does not keep that.
        String general = "projects/" + PROJECT + "/datasets/ds_general/v1/";
        StringBuilder generalText = new StringBuilder();
        for (String q : new String[] {"What is LoRA?", "What does a trainer do?", "Name a capital city.",
                "What is evaluation?", "Count to three."}) {
            generalText.append("{\"messages\":[{\"role\":\"user\",\"content\":\"").append(q)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"Fine-tuning adapts a pre-trained language "
                            + "model to a task.\"}]}\n");
        }
        store.put(general + "train.jsonl", generalText.toString().getBytes(StandardCharsets.UTF_8), "application/jsonl");
        topics.publish(new DatasetReady(PROJECT, "ds_general", 1, null, "chat", "g", general + "train.jsonl", "t", 5,
                general + "validation.jsonl", "v", 0, 5, new TokenStats(1, 1, 1, 1, 1, 0), general + "report.json",
                null), "dataset-service");
        topics.publish(new PipelineConfigured(PROJECT, "pl_json", "ds_json", BASE, "json-bot", "full", Map.of(),
                Map.of("forgetting", Map.of("dataset_id", "ds_general", "dataset_version", 1, "max_loss_increase", 0.01)),
                Map.of(), "active"), "gateway");
        await().atMost(WAIT).until(() -> jdbc.queryOne("SELECT count(*) FROM pipeline_gates WHERE pipeline_id = 'pl_json'",
                r -> r.getLong(1)).orElse(0L) == 1 && jdbc.queryOne("SELECT count(*) FROM dataset_versions WHERE "
                + "dataset_id = 'ds_general'", r -> r.getLong(1)).orElse(0L) == 1);
        topics.publish(new TrainingFinished(PROJECT, "job_forget", "json-bot", BASE, "ds_json", 1, "full", good, "sha",
                1, Map.of("train_loss", 0.1), "pl_json"), "trainer-service");
        await().atMost(WAIT).until(() -> !topics.events(EvalFailed.class, "job_forget").isEmpty());
        EvalFailed forgot = topics.events(EvalFailed.class, "job_forget").getFirst();
        assertTrue(forgot.reason().startsWith("general.loss "), forgot.reason());
        assertTrue(forgot.reason().contains("> base"), forgot.reason());
        assertTrue(forgot.metrics().get("general.loss") > 0, forgot.metrics().toString());

        // A job that mixed the general set into its training, without a pipeline: its evaluation reports the task's
        // held-out split as every evaluation does and the general set, for the candidate and the base model, with the
        // change; the default gate has no forgetting rule, so the verdict is the task's.
        topics.publish(new TrainingRequested(PROJECT, "job_mixed", BASE, "ds_json", 1, "full",
                Map.of("mix", Map.of("dataset_id", "ds_general", "dataset_version", 1, "fraction", 0.2)), "json-bot",
                "test", null), "gateway");
        await().atMost(WAIT).until(() -> jdbc.queryOne("SELECT count(*) FROM job_requests WHERE job_id = 'job_mixed'",
                r -> r.getLong(1)).orElse(0L) == 1);
        topics.publish(new TrainingFinished(PROJECT, "job_mixed", "json-bot", BASE, "ds_json", 1, "full", good, "sha",
                1, Map.of("train_loss", 0.1), null), "trainer-service");
        await().atMost(WAIT).until(() -> !topics.events(EvalPassed.class, "job_mixed").isEmpty()
                || !topics.events(EvalFailed.class, "job_mixed").isEmpty());
        EvalPassed mixed = topics.events(EvalPassed.class, "job_mixed").getFirst();
        JsonNode mixedReport;
        try (InputStream in = store.get(mixed.reportKey())) {
            mixedReport = EventCodec.mapper().readTree(in);
        }
        assertTrue(mixedReport.at("/subjects/candidate/metrics/exact_match").asDouble() > 0.5, "the task's set");
        JsonNode both = mixedReport.path("forgetting");
        assertEquals("ds_general", both.path("dataset_id").asText(), mixedReport.toString());
        assertEquals(1, both.path("dataset_version").asInt());
        assertEquals("the job's mix", both.path("source").asText());
        assertEquals("train", both.path("split").asText(), "ds_general has no validation split");
        double candidateLoss = both.at("/candidate/loss").asDouble();
        double baseLoss = both.at("/base/loss").asDouble();
        assertEquals(forgot.metrics().get("general.loss"), candidateLoss, 1e-9, "the same model on the same set");
        assertEquals(candidateLoss - baseLoss, both.at("/change/loss").asDouble(), 1e-9);
        assertEquals(candidateLoss, mixed.metrics().get("general.loss"), 1e-9);

        // A redelivered TrainingFinished (even as a new event) is not evaluated again.
        RecordMetadata again = topics.send(TopicClient.toRecord(EventEnvelope.wrap(goodJob, "trainer-service")));
        await().atMost(WAIT).until(() -> topics.consumed("eval-service", again));
        assertEquals(1L, jdbc.queryOne("SELECT count(*) FROM eval_runs WHERE job_id = 'job_good'", r -> r.getLong(1))
                .orElseThrow());
        assertEquals(1, topics.events(EvalPassed.class, "job_good").size());
    }

    private TrainingFinished finished(String jobId, String artifactKey) {
        return new TrainingFinished(PROJECT, jobId, "json-bot", BASE, "ds_json", 1, "full", artifactKey, "sha", 1,
                Map.of("train_loss", 0.1), null);
    }

    /** Trains a full fine-tune with the worker process and uploads the model; returns its S3 prefix. */
    private String train(Path dir, Path base, String name, Map<String, Object> overrides) throws Exception {
        Path work = Files.createDirectories(dir.resolve(name));
        ObjectNode spec = EventCodec.mapper().createObjectNode();
        spec.put("base_model", base.toString());
        spec.putObject("data").put("train", dir.resolve("train.jsonl").toString()).put("format", "chat");
        spec.putObject("method").put("type", "full");
        ObjectNode h = spec.putObject("hyperparameters").put("batch_size", 8).put("learning_rate", 3e-3)
                .put("lr_scheduler", "cosine").put("warmup_ratio", 0.05).put("weight_decay", 0.3)
                .put("max_grad_norm", 1.0).put("packing", true).put("max_seq_length", 256).put("seed", 5);
        overrides.forEach((k, v) -> h.set(k, EventCodec.mapper().valueToTree(v)));
        spec.put("save_steps", 100000).put("output_dir", "out");
        Path specFile = work.resolve("spec.json");
        EventCodec.mapper().writeValue(specFile.toFile(), spec);
        WorkerProcess worker = WorkerProcess.start(WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                Path.of(djlHome), 1, "2g"), "train", specFile, work);
        WorkerExit exit = worker.pumpEvents(e -> { });
        assertEquals(ExitCode.DONE, exit.code(), () -> "training failed: " + readLog(worker.log()));
        String key = "projects/" + PROJECT + "/jobs/job_" + name + "/output/model/";
        sync.upload(work.resolve("out/model"), key);
        return key;
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return "(no log)";
        }
    }
}
