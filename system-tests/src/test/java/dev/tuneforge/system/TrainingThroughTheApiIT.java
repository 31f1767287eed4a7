package dev.tuneforge.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMeasured;
import dev.tuneforge.events.DriftMetric;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.Topics;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A user's path through the public API only, with gateway, dataset-service and trainer-service as processes:
 * register a base model (CLI), upload a dataset, start a job, watch it live over SSE and with
 * {@code tuneforge jobs follow}, get a PEFT adapter in S3 whose digest is the one in {@code TrainingFinished};
 * then a pipeline on the dataset starts exactly one job when an append adds enough examples; a sweep through the
 * CLI whose hopeless trial is stopped early and whose best trial is evaluated and promoted; and the production loop
 * (issue #17): served traffic that drifts from the training data is detected once, the pipeline exports the drifted
 * prompts for review and retrains, the challenger passes the gate and serves, and the reviewed examples appended to
 * the dataset train the next champion.
 */
class TrainingThroughTheApiIT {

    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final Platform platform = Platform.of("api", "dataset-service", "trainer-service", "eval-service",
            "registry-service");

    @Test
    void uploadTrainFollowAndRetrainOnNewData() throws Exception {
        Api api = platform.api();
        Cli cli = platform.cli();
        Path model = TinyLlamaWriter.write(Files.createTempDirectory("tiny"), TinyLlamaWriter.Spec.small());
        Cli.Run register = cli.run("base-models", "upload", model.toString(), "--name", "tiny-api");
        assertEquals(0, register.exitCode(), register.output());

        String datasetId = api.send("POST", "/api/v1/datasets?name=names&format=chat&base_model=tiny-api",
                "application/jsonl", chat(0, 40), 202).path("id").asText();
        await().atMost(WAIT).until(() -> !"validating".equals(
                api.get("/api/v1/datasets/" + datasetId).path("status").asText()));
        assertEquals("ready", api.get("/api/v1/datasets/" + datasetId).path("status").asText());

        String pipelineId = api.post("/api/v1/pipelines", Map.of(
                "dataset_id", datasetId, "base_model", "tiny-api", "model_name", "names-bot", "method", "lora",
                "hyperparameters", Map.of("max_steps", 2, "batch_size", 2, "lora_r", 2),
                "triggers", Map.of("min_new_examples", 5)), 201).path("id").asText();

        JsonNode job = api.post("/api/v1/jobs", Map.of(
                "base_model", "tiny-api", "dataset_id", datasetId, "model_name", "names-bot",
                "hyperparameters", Map.of("max_steps", 30, "batch_size", 4, "save_steps", 10, "lora_r", 4)), 201);
        String jobId = job.path("id").asText();
        // The job is in the gateway's read model once its own TrainingRequested is projected (a moment later).
        await().atMost(WAIT).ignoreExceptions().until(() -> api.get("/api/v1/jobs/" + jobId).has("state"));

        CompletableFuture<List<String>> sse = CompletableFuture.supplyAsync(() -> sseUntilFinished(jobId));
        Cli.Run follow = cli.run("jobs", "follow", jobId);
        assertEquals(0, follow.exitCode(), follow.output());
        assertTrue(follow.output().contains("loss") && follow.output().contains("tok/s")
                && follow.output().contains("ETA"), follow.output());

        List<String> live = sse.get(2, TimeUnit.MINUTES);
        assertTrue(live.contains("dev.tuneforge.training.started.v1"), live.toString());
        assertTrue(live.stream().filter("dev.tuneforge.training.progress.v1"::equals).count() >= 10, live.toString());
        assertEquals("dev.tuneforge.training.finished.v1", live.getLast());

        await().atMost(WAIT).until(() -> "succeeded".equals(api.get("/api/v1/jobs/" + jobId).path("state").asText()));
        TopicClient topics = new TopicClient(platform.stack().kafkaBootstrapServers());
        TrainingFinished finished = topics.events(TrainingFinished.class, jobId).getFirst();
        EmbeddedStack stack = platform.stack();
        MinioClient s3 = MinioClient.builder().endpoint(stack.s3Endpoint())
                .credentials(stack.s3AccessKey(), stack.s3SecretKey()).region(EmbeddedStack.REGION).build();
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(EmbeddedStack.BUCKET)
                .object(finished.artifactKey() + "manifest.json").build())) {
            JsonNode manifest = Api.JSON.readTree(in);
            assertEquals(finished.artifactSha256(), manifest.path("sha256").asText());
            assertTrue(manifest.toString().contains("adapter_model.safetensors"), manifest.toString());
        }

        // Appending 6 new examples (≥ 5) to the pipeline's dataset starts exactly one job.
        api.send("POST", "/api/v1/datasets/" + datasetId + "/versions", "application/jsonl", chat(40, 46), 202);
        await().atMost(WAIT).until(() -> pipelineRequests(topics, pipelineId).size() == 1);
        String triggered = pipelineRequests(topics, pipelineId).getFirst().jobId();
        assertEquals(2, pipelineRequests(topics, pipelineId).getFirst().datasetVersion());
        await().atMost(WAIT).until(() -> "succeeded".equals(
                api.get("/api/v1/jobs/" + triggered).path("state").asText()));
        assertEquals(1, pipelineRequests(topics, pipelineId).size());
    }

    /**
     * Four trials of one recipe (learning rates 0.01 to 1e-7, one at a time): the one that barely moves is stopped
     * early by the median rule; the best is the sweep's only candidate, passes the sweep's gate and becomes champion.
     */
    @Test
    void aSweepStopsItsHopelessTrialEarlyAndItsBestTrialBecomesChampion() throws Exception {
        Api api = platform.api();
        Cli cli = platform.cli();
        Path model = TinyLlamaWriter.write(Files.createTempDirectory("tiny"), TinyLlamaWriter.Spec.small());
        Cli.Run register = cli.run("base-models", "upload", model.toString(), "--name", "tiny-sweep");
        assertEquals(0, register.exitCode(), register.output());
        String datasetId = api.send("POST", "/api/v1/datasets?name=sweep-names&format=chat&base_model=tiny-sweep",
                "application/jsonl", chat(100, 160), 202).path("id").asText();
        await().atMost(WAIT).until(() -> "ready".equals(
                api.get("/api/v1/datasets/" + datasetId).path("status").asText()));

        Cli.Run created = cli.run("sweeps", "create", "--dataset", datasetId, "--base-model", "tiny-sweep",
                "--model-name", "sweep-bot", "--set", "max_steps=200", "--set", "batch_size=4", "--set", "eval_steps=10",
                "--set", "save_steps=1000", "--set", "lora_r=4", "--param", "learning_rate=0.01,0.005,0.003,0.0000001",
                "--parallelism", "1", "--warmup-evaluations", "1", "--min-trials", "1",
                "--gate", "rules=[{\"metric\":\"exact_match\",\"op\":\">=\",\"value\":0}]");
        assertEquals(0, created.exitCode(), created.output());
        java.util.regex.Matcher id = java.util.regex.Pattern.compile("swp_[0-9a-f]+").matcher(created.output());
        assertTrue(id.find(), created.output());
        String sweepId = id.group();

        await().atMost(Duration.ofMinutes(8)).until(() -> !"running".equals(
                api.get("/api/v1/sweeps/" + sweepId).path("status").asText()));
        JsonNode sweep = api.get("/api/v1/sweeps/" + sweepId);
        assertEquals("succeeded", sweep.path("status").asText(), sweep.toString());
        assertEquals(4, sweep.path("trials").size(), sweep.toString());
        assertEquals("stopped_early", sweep.at("/trials/3/state").asText(), sweep.toString());
        String best = sweep.path("best_job_id").asText();

        await().atMost(WAIT).ignoreExceptions()
                .until(() -> api.get("/api/v1/models/sweep-bot").path("champion").asInt() == 1);
        assertEquals(best, api.get("/api/v1/models/sweep-bot/versions/1").path("job_id").asText());
        assertEquals(1, api.get("/api/v1/models/sweep-bot/versions").path("data").size(), "the best trial only");
        Cli.Run shown = cli.run("sweeps", "show", sweepId);
        assertTrue(shown.output().contains("stopped_early") && shown.output().contains("best"), shown.output());
    }

    /**
     * The closed loop: version 1 of a pipeline's model serves; traffic like its training data is measured and nothing
     * drifts; then traffic with other, longer prompts and answers that are no longer JSON (a format break) opens one
     * drift episode (a second drifted window does not open another). The pipeline's {@code on_drift} then exports
     * the drifted window's prompts as a review dataset and retrains (the job names the DriftDetected that started it);
     * the challenger passes the gate and answers chat. People correct the review set's answers and append them to the
     * pipeline's dataset: the new-data trigger trains version 3, which serves next. Each event exactly once.
     */
    @Test
    void trafficThatDriftsIsDetectedOnceExportedForReviewAndRetrainedOnAndTheChallengerServes() throws Exception {
        Api api = platform.api();
        Cli cli = platform.cli();
        Path model = TinyLlamaWriter.write(Files.createTempDirectory("tiny"), TinyLlamaWriter.Spec.small());
        Cli.Run register = cli.run("base-models", "upload", model.toString(), "--name", "tiny-drift");
        assertEquals(0, register.exitCode(), register.output());
        String datasetId = api.send("POST", "/api/v1/datasets?name=drift-names&format=chat&base_model=tiny-drift",
                "application/jsonl", chat(300, 360), 202).path("id").asText();
        await().atMost(WAIT).until(() -> "ready".equals(
                api.get("/api/v1/datasets/" + datasetId).path("status").asText()));

        String pipelineId = api.post("/api/v1/pipelines", Map.of(
                "dataset_id", datasetId, "base_model", "tiny-drift", "model_name", "drift-bot", "method", "lora",
                "hyperparameters", Map.of("max_steps", 2, "batch_size", 2, "lora_r", 2),
                "gate", Map.of("rules", List.of(Map.of("metric", "exact_match", "op", ">=", "value", 0))),
                "triggers", Map.of("min_new_examples", 1,
                        "on_drift", Map.of("actions", List.of("export_review", "retrain")),
                        "drift_window", Map.of("observations", WINDOW))), 201).path("id").asText();
        TopicClient topics = new TopicClient(platform.stack().kafkaBootstrapServers());
        await().atMost(WAIT).until(() -> topics.readAll(EventType.PIPELINE_CONFIGURED.topic()).stream()
                .filter(r -> pipelineId.equals(r.key()))
                .anyMatch(r -> topics.consumed("trainer-service", r) && topics.consumed("eval-service", r)));

        // Version 1: the pipeline's first retraining, on an append.
        api.send("POST", "/api/v1/datasets/" + datasetId + "/versions", "application/jsonl", chat(360, 362), 202);
        await().atMost(WAIT).ignoreExceptions()
                .until(() -> api.get("/api/v1/models/drift-bot").path("champion").asInt() == 1);

        // A window like the training data (its own prompts and answers): measured, nothing detected.
        observe(api, "like", 300, 300 + WINDOW, i -> "Name " + i, i -> "{\"n\": " + i + "}");
        await().atMost(WAIT).until(() -> topics.events(DriftMeasured.class, "drift-bot").size() == 1);
        DriftMeasured like = topics.events(DriftMeasured.class, "drift-bot").getFirst();
        assertEquals(WINDOW, like.observations());
        assertEquals(List.of(), like.metrics().stream().filter(DriftMetric::crossed).map(DriftMetric::metric).toList(),
                like.toString());

        // Two windows of longer prompts about something else, answered in prose: one episode, one DriftDetected.
        observe(api, "drifted", 0, 2 * WINDOW,
                i -> "Please write a detailed essay about the migration of arctic terns across the oceans, part " + i,
                i -> "Arctic terns fly from pole to pole every year, and part " + i + " is about their route.");
        await().atMost(WAIT).until(() -> topics.events(DriftMeasured.class, "drift-bot").size() == 3);
        List<ConsumerRecord<String, String>> detections = records(topics, EventType.DRIFT_DETECTED, "drift-bot");
        assertEquals(1, detections.size(), "one episode, one DriftDetected: " + detections);
        DriftDetected detected = (DriftDetected) EventCodec.read(EventType.DRIFT_DETECTED,
                detections.getFirst().value());
        String detectionId = TopicClient.header(detections.getFirst(), CloudEventHeaders.ID);
        assertEquals(1, detected.modelVersion());
        assertTrue(detected.detected().contains("output_validity_rate"), detected.toString());
        assertTrue(detected.detected().contains("prompt_length_psi"), detected.toString());

        // on_drift, export_review: the drifted window's prompts as a review dataset, the served answers as drafts.
        await().atMost(WAIT).until(() -> reviewUploads(topics, pipelineId).size() == 1);
        DatasetUploaded review = reviewUploads(topics, pipelineId).getFirst();
        await().atMost(WAIT).until(() -> "ready".equals(
                api.get("/api/v1/datasets/" + review.datasetId()).path("status").asText()));
        JsonNode reviewSet = api.get("/api/v1/datasets/" + review.datasetId());
        assertEquals("review", reviewSet.path("purpose").asText(), reviewSet.toString());
        // One line per observation of the window (dataset-service then drops the near-duplicates among them).
        assertEquals(WINDOW, reviewSet.at("/report/lines").asInt(), reviewSet.toString());

        // on_drift, retrain: one job, naming the DriftDetected; its model passes the gate and serves.
        // (the commands topic is keyed by job id: its records are in order per partition only, so found by trigger)
        await().atMost(WAIT).until(() -> triggered(topics, pipelineId, "drift").size() == 1);
        TrainingRequested retrain = triggered(topics, pipelineId, "drift").getFirst();
        assertEquals(detectionId, retrain.trigger().get("event_id"), retrain.toString());
        await().atMost(WAIT).ignoreExceptions()
                .until(() -> api.get("/api/v1/models/drift-bot").path("champion").asInt() == 2);
        assertEquals(detectionId, api.get("/api/v1/jobs/" + retrain.jobId()).at("/trigger/event_id").asText());
        assertEquals(retrain.jobId(), api.get("/api/v1/models/drift-bot/versions/2").path("job_id").asText());
        assertEquals("drift-bot:2", chatWith(api, "drift-bot").path("system_fingerprint").asText());

        // People correct the review set's answers and append them to the pipeline's dataset: version 3 serves.
        api.send("POST", "/api/v1/datasets/" + datasetId + "/versions", "application/jsonl", reviewed(0, WINDOW), 202);
        await().atMost(WAIT).ignoreExceptions()
                .until(() -> api.get("/api/v1/models/drift-bot").path("champion").asInt() == 3);
        assertEquals("drift-bot:3", chatWith(api, "drift-bot").path("system_fingerprint").asText());

        // Each event once: three retrainings (two appends, one drift), one detection, each version promoted once.
        List<TrainingRequested> requests = pipelineRequests(topics, pipelineId);
        assertEquals(3, requests.size(), requests.toString());
        assertEquals(List.of(2, 3), triggered(topics, pipelineId, "new_data").stream()
                .map(TrainingRequested::datasetVersion).sorted().toList(), requests.toString());
        assertEquals(1, triggered(topics, pipelineId, "drift").size(), requests.toString());
        assertEquals(1, records(topics, EventType.DRIFT_DETECTED, "drift-bot").size());
        assertEquals(List.of(1, 2, 3), topics.events(ModelPromoted.class, "drift-bot").stream()
                .map(ModelPromoted::version).toList());
    }

    private static final int WINDOW = 30;

    /** The pipeline's TrainingRequested whose trigger is of this type. */
    private static List<TrainingRequested> triggered(TopicClient topics, String pipelineId, String type) {
        return pipelineRequests(topics, pipelineId).stream()
                .filter(r -> r.trigger() != null && type.equals(r.trigger().get("type")))
                .toList();
    }

    /** {@code to - from} observations of drift-bot version 1, through the intake, ids {@code <tag>-<i>}. */
    private static void observe(Api api, String tag, int from, int to, IntFunction<String> prompt,
                                IntFunction<String> completion) throws Exception {
        List<Map<String, Object>> observations = new ArrayList<>();
        for (int i = from; i < to; i++) {
            observations.add(Map.of("id", tag + "-" + i, "version", 1,
                    "messages", List.of(Map.of("role", "user", "content", prompt.apply(i))),
                    "completion", completion.apply(i)));
        }
        for (int i = 0; i < observations.size(); i += WINDOW) {
            JsonNode answer = api.post("/api/v1/models/drift-bot/observations",
                    Map.of("observations", observations.subList(i, Math.min(observations.size(), i + WINDOW))), 200);
            assertEquals(Math.min(WINDOW, observations.size() - i), answer.path("accepted").asInt(), answer.toString());
        }
    }

    /** The drifted prompts with the answers people wrote in review: JSON again. */
    private static String reviewed(int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            b.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Please write a detailed essay about the")
                    .append(" migration of arctic terns across the oceans, part ").append(i)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"{\\\"part\\\": ").append(i)
                    .append("}\"}]}\n");
        }
        return b.toString();
    }

    private static JsonNode chatWith(Api api, String modelName) throws Exception {
        return api.post("/v1/chat/completions", Map.of("model", modelName, "temperature", 0, "max_tokens", 8,
                "messages", List.of(Map.of("role", "user", "content", "Name 7"))), 200);
    }

    private static List<DatasetUploaded> reviewUploads(TopicClient topics, String pipelineId) {
        return topics.events(DatasetUploaded.class, null).stream()
                .filter(u -> "review".equals(u.purpose()) && ("pipeline:" + pipelineId).equals(u.uploadedBy()))
                .toList();
    }

    /** The records of one event type with one key, copies (the same ce_id) counted once. */
    private static List<ConsumerRecord<String, String>> records(TopicClient topics, EventType type, String key) {
        Map<String, ConsumerRecord<String, String>> byId = new LinkedHashMap<>();
        for (ConsumerRecord<String, String> r : topics.readAll(type.topic())) {
            if (type.typeName().equals(TopicClient.header(r, CloudEventHeaders.TYPE)) && key.equals(r.key())) {
                byId.putIfAbsent(TopicClient.header(r, CloudEventHeaders.ID), r);
            }
        }
        return List.copyOf(byId.values());
    }

    private static List<TrainingRequested> pipelineRequests(TopicClient topics, String pipelineId) {
        String type = EventType.TRAINING_REQUESTED.typeName();
        return topics.readAll(Topics.COMMANDS).stream()
                .filter(r -> type.equals(TopicClient.header(r, CloudEventHeaders.TYPE)))
                .map(r -> (TrainingRequested) EventCodec.read(EventType.TRAINING_REQUESTED, r.value()))
                .filter(t -> pipelineId.equals(t.pipelineId()))
                .toList();
    }

    /** The CloudEvents types of the job's live SSE stream, until TrainingFinished. */
    private static List<String> sseUntilFinished(String jobId) {
        List<String> types = new ArrayList<>();
        try {
            HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(
                            URI.create(platform.gateway().url() + "/api/v1/jobs/" + jobId + "/events"))
                    .header("Accept", "text/event-stream")
                    .header("Authorization", "Bearer " + platform.adminKey()).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("job event stream answered " + response.statusCode() + ": "
                        + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
            }
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("event:")) {
                        String type = line.substring(6).strip();
                        types.add(type);
                        if (type.equals("dev.tuneforge.training.finished.v1")) {
                            break;
                        }
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return types;
    }

    private static String chat(int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            b.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Name ").append(i)
                    .append("\"},{\"role\":\"assistant\",\"content\":\"{\\\"n\\\": ").append(i).append("}\"}]}\n");
        }
        return b.toString();
    }
}
