package dev.tuneforge.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A user's path through the public API only, with gateway, dataset-service and trainer-service as processes:
 * register a base model (CLI), upload a dataset, start a job, watch it live over SSE and with
 * {@code tuneforge jobs follow}, get a PEFT adapter in S3 whose digest is the one in {@code TrainingFinished};
 * then a pipeline on the dataset starts exactly one job when an append adds enough examples; and a sweep through the
 * CLI whose hopeless trial is stopped early and whose best trial is evaluated and promoted.
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
