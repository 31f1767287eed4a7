package dev.tuneforge.gateway;

import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.TrainingCancelRequested;
import dev.tuneforge.events.TrainingCancelled;
import dev.tuneforge.events.TrainingFailed;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingPauseRequested;
import dev.tuneforge.events.TrainingPaused;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingResumeRequested;
import dev.tuneforge.events.TrainingResumed;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Jobs over the public API: checked, announced as TrainingRequested, projected from trainer-service's events. */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class JobsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @TestHTTPResource("/")
    URL base;

    private TopicClient topics;
    private String project;
    private Gateway.Key member;

    @BeforeEach
    void projectWithAModel() {
        BaseModels.ensureTiny();
        topics = new TopicClient(bootstrap);
        project = Gateway.newProject();
        member = Gateway.newKey(project, "member");
    }

    private String createJob(String dataset, Map<String, Object> hyperparameters) {
        return as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "hyperparameters", hyperparameters))
                .when().post("/api/v1/jobs").then().statusCode(201).extract().path("id");
    }

    @Test
    void aJobIsCheckedAnnouncedWithItsResolvedRecipeAndThenListed() {
        String dataset = Datasets.ready(topics, project, member.secret(), "Support Tickets", 200);
        var created = as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset,
                        "hyperparameters", Map.of("lora_r", 4, "epochs", 2), "priority", 5))
                .when().post("/api/v1/jobs").then().statusCode(201)
                .header("Location", containsString("/api/v1/jobs/job_")).extract();
        String id = created.path("id");
        assertEquals("queued", created.path("state"));
        assertEquals("support-tickets", created.path("model_name"), "named after the dataset");

        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, id).size() == 1);
        TrainingRequested requested = topics.events(TrainingRequested.class, id).get(0);
        assertEquals(project, requested.projectId());
        assertEquals(dataset, requested.datasetId());
        assertEquals(1, requested.datasetVersion(), "the latest ready version");
        assertEquals("lora", requested.method(), "the default method");
        assertEquals(BaseModels.TINY, requested.baseModel());
        assertEquals("support-tickets", requested.modelName());
        assertEquals(member.id(), requested.requestedBy());
        assertEquals(5, requested.priority());
        assertEquals(4, ((Number) requested.hyperparameters().get("lora_r")).intValue());
        assertEquals(2, ((Number) requested.hyperparameters().get("epochs")).intValue());
        assertEquals(8.0, ((Number) requested.hyperparameters().get("lora_alpha")).doubleValue(), "resolved: 2 r");
        assertEquals(128, ((Number) requested.hyperparameters().get("max_seq_length")).intValue(),
                "capped by the model's max_position_embeddings");
        assertNotNull(requested.hyperparameters().get("batch_size"), "auto resolved");

        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().statusCode(200).body("state", is("queued")).body("dataset_version", is(1))
                .body("hyperparameters.lora_r", is(4)).body("priority", is(5)).body("progress", nullValue()));
        as(member.secret()).when().get("/api/v1/jobs?state=queued").then().statusCode(200)
                .body("data.id", contains(id));
        as(member.secret()).when().get("/api/v1/jobs?state=running").then().statusCode(200).body("data", hasSize(0));
        as(member.secret()).when().get("/api/v1/jobs?state=bogus").then().statusCode(400);
    }

    @Test
    void whatIsWrongWithAJobIsNamedBeforeAnythingIsAnnounced() {
        String dataset = Datasets.ready(topics, project, member.secret(), "checks", 10);
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", "nope", "dataset_id", dataset))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", is("https://tuneforge.dev/problems/invalid-job"))
                .body("detail", containsString("unknown base model 'nope'; registered: "))
                .body("detail", containsString(BaseModels.TINY));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset,
                        "hyperparameters", Map.of("lora_r", 64, "bogus", 1)))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("errors", hasSize(2))
                .body("errors", hasItem(containsString("hyperparameters.lora_r: must be <= the base model's hidden size 32")))
                .body("errors", hasItem(containsString("hyperparameters.bogus: unknown hyperparameter")));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", "../tiny", "dataset_id", dataset, "model_name", "Support Bot"))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("errors", hasItem(startsWith("base_model: must be 1-64 characters")))
                .body("errors", hasItem(startsWith("model_name: must be 1-64 characters")));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "dataset_version", 7))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("detail", containsString("has no ready version 7 (latest ready: 1)"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "method", "ia3"))
                .when().post("/api/v1/jobs").then().statusCode(422).body("detail", containsString("method"));

        String validating = Datasets.upload(member.secret(), "not-yet");
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", validating))
                .when().post("/api/v1/jobs").then().statusCode(409)
                .body("detail", containsString("has no ready version yet (its last upload is validating)"));
        as(member.secret()).contentType("application/json").body(Map.of("dataset_id", dataset))
                .when().post("/api/v1/jobs").then().statusCode(400).body("detail", containsString("'base_model'"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", "ds_unknown"))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("detail", containsString("no dataset 'ds_unknown' in this project"));
        assertEquals(0, topics.events(TrainingRequested.class, null).stream()
                .filter(r -> r.projectId().equals(project)).count(), "nothing was announced");
    }

    @Test
    void aDpoJobTrainsOnPreferencePairsAndOnlyThereAndSaysSoBeforeAnythingIsAnnounced() {
        String chat = Datasets.ready(topics, project, member.secret(), "answers", 20);
        String pairs = Datasets.ready(topics, project, member.secret(), "pairs", 20, "preference");
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", chat, "method", "dpo"))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("errors", contains("method: dpo trains on preference pairs ({\"prompt\", \"chosen\","
                        + " \"rejected\"} or OpenAI's {\"input\", \"preferred_output\", \"non_preferred_output\"});"
                        + " the dataset holds completion examples (dataset '" + chat + "')"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", pairs))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("errors", contains("method: lora cannot train on preference pairs; use method dpo (dataset '"
                        + pairs + "')"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", pairs, "method", "dpo",
                        "hyperparameters", Map.of("beta", -1)))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("errors", contains("hyperparameters.beta: must be > 0.0 and <= 1000000.0, got -1"));
        assertEquals(0, topics.events(TrainingRequested.class, null).stream()
                .filter(r -> r.projectId().equals(project)).count(), "nothing was announced");

        String id = as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", pairs, "method", "dpo",
                        "hyperparameters", Map.of("lora_r", 4, "label_smoothing", 0.1)))
                .when().post("/api/v1/jobs").then().statusCode(201).body("method", is("dpo"))
                .extract().path("id");
        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, id).size() == 1);
        TrainingRequested requested = topics.events(TrainingRequested.class, id).getFirst();
        assertEquals("dpo", requested.method());
        assertEquals(0.1, ((Number) requested.hyperparameters().get("beta")).doubleValue(), "the default beta");
        assertEquals(0.1, ((Number) requested.hyperparameters().get("label_smoothing")).doubleValue());
        assertEquals(4, ((Number) requested.hyperparameters().get("lora_r")).intValue());
    }

    /**
     * qlora and prefix_tuning run only on the torch runtime: asked for on djl, or left to trainer-service's default
     * (djl unless configured otherwise), they are a 422 naming method and runtime now rather than a worker's bad_spec
     * later; prompt tuning runs on both, with its own learning rate and a context shortened by its virtual tokens.
     */
    @Test
    void aMethodTheRuntimeLacksIsRefusedNamingBothAndTheNewMethodsAreAnnouncedResolved() {
        String dataset = Datasets.ready(topics, project, member.secret(), "methods", 20);
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "method", "qlora"))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("errors", contains("runtime: method qlora runs only on the torch runtime, got none "
                        + "(trainer-service's default, djl unless configured otherwise); ask for runtime torch"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "method", "prefix_tuning",
                        "runtime", "djl", "hyperparameters", Map.of("num_virtual_tokens", 0)))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("errors", contains("runtime: method prefix_tuning runs only on the torch runtime, got 'djl'",
                        "hyperparameters.num_virtual_tokens: must be between 1 and 1024, got 0"));
        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "method", "prompt_tuning",
                        "hyperparameters", Map.of("init", "text")))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("errors", contains(startsWith("hyperparameters.init_text: required with init \"text\"")));
        assertEquals(0, topics.events(TrainingRequested.class, null).stream()
                .filter(r -> r.projectId().equals(project)).count(), "nothing was announced");

        String qlora = as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "method", "qlora", "runtime", "torch",
                        "hyperparameters", Map.of("lora_r", 4)))
                .when().post("/api/v1/jobs").then().statusCode(201).body("method", is("qlora")).extract().path("id");
        String prompt = as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "method", "prompt_tuning",
                        "runtime", "djl", "hyperparameters", Map.of("num_virtual_tokens", 8)))
                .when().post("/api/v1/jobs").then().statusCode(201).extract().path("id");
        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, qlora).size() == 1
                && topics.events(TrainingRequested.class, prompt).size() == 1);
        Map<String, Object> q = topics.events(TrainingRequested.class, qlora).getFirst().hyperparameters();
        assertEquals(true, q.get("double_quant"));
        assertEquals(4, ((Number) q.get("lora_r")).intValue());
        TrainingRequested p = topics.events(TrainingRequested.class, prompt).getFirst();
        assertEquals("prompt_tuning", p.method());
        assertEquals(8, ((Number) p.hyperparameters().get("num_virtual_tokens")).intValue());
        assertEquals("random", p.hyperparameters().get("init"));
        assertEquals(0.03, ((Number) p.hyperparameters().get("learning_rate")).doubleValue());
        assertEquals(120, ((Number) p.hyperparameters().get("max_seq_length")).intValue(),
                "the model's 128 positions less 8 virtual tokens");
    }

    /**
     * A recipe's {@code mix} names a general training dataset of the project, of the job's format family, with a ready
     * version: what is wrong is a 422 naming the field; a job is announced with the version pinned.
     */
    @Test
    void aMixedInGeneralDatasetIsCheckedAndItsVersionPinned() {
        String task = Datasets.ready(topics, project, member.secret(), "task", 20);
        String general = Datasets.ready(topics, project, member.secret(), "general", 30);
        String pairs = Datasets.ready(topics, project, member.secret(), "general pairs", 20, "preference");
        java.util.function.Function<Map<String, Object>, io.restassured.response.ValidatableResponse> post = mix ->
                as(member.secret()).contentType("application/json").body(Map.of("base_model", BaseModels.TINY,
                        "dataset_id", task, "hyperparameters", Map.of("mix", mix))).when().post("/api/v1/jobs").then();
        post.apply(Map.of("dataset_id", "ds_nope", "fraction", 0.2)).statusCode(422)
                .body("errors", contains("hyperparameters.mix.dataset_id: no dataset 'ds_nope' in this project"));
        post.apply(Map.of("dataset_id", general, "fraction", 0.95)).statusCode(422)
                .body("errors", contains(startsWith("hyperparameters.mix.fraction: must be > 0 and <= 0.9")));
        post.apply(Map.of("dataset_id", pairs, "fraction", 0.2)).statusCode(422)
                .body("errors", contains("hyperparameters.mix.dataset_id: the general dataset holds preference examples "
                        + "and the job's completion examples; both must be preference pairs or neither"));
        post.apply(Map.of("dataset_id", general, "dataset_version", 4, "fraction", 0.2)).statusCode(422)
                .body("errors", contains("hyperparameters.mix.dataset_version: dataset '" + general
                        + "' has no ready version 4 (latest ready: 1)"));
        post.apply(Map.of("dataset_id", task, "fraction", 0.2)).statusCode(422)
                .body("errors", contains("hyperparameters.mix.dataset_id: the job's own dataset; mix in a general one"));
        assertEquals(0, topics.events(TrainingRequested.class, null).stream()
                .filter(r -> r.projectId().equals(project)).count(), "nothing was announced");

        String id = post.apply(Map.of("dataset_id", general, "fraction", 0.25)).statusCode(201).extract().path("id");
        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, id).size() == 1);
        assertEquals(Map.of("dataset_id", general, "dataset_version", 1, "fraction", 0.25),
                topics.events(TrainingRequested.class, id).getFirst().hyperparameters().get("mix"),
                "the latest ready version, pinned");
    }

    @Test
    void aJobAsksForItsRuntimeAndItsViewShowsIt() {
        String dataset = Datasets.ready(topics, project, member.secret(), "runtimes", 20);
        String torch = as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "runtime", "torch"))
                .when().post("/api/v1/jobs").then().statusCode(201).body("runtime", is("torch")).extract().path("id");
        String unsaid = createJob(dataset, Map.of());

        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, torch).size() == 1
                && topics.events(TrainingRequested.class, unsaid).size() == 1);
        assertEquals("torch", topics.events(TrainingRequested.class, torch).getFirst().runtime());
        assertEquals(null, topics.events(TrainingRequested.class, unsaid).getFirst().runtime(),
                "none asked: trainer-service's default");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + torch)
                .then().statusCode(200).body("state", is("queued")).body("runtime", is("torch")));

        // As trainer-service reports it: started and finished on torch; the default job on djl.
        topics.publish(new TrainingStarted(project, torch, 1, "torch", "cpu-1", null), "trainer-service");
        topics.publish(new TrainingFinished(project, torch, "runtimes", BaseModels.TINY, dataset, 1, "lora",
                "projects/" + project + "/jobs/" + torch + "/output/adapter/", "sha", 4, Map.of(), null, "torch"),
                "trainer-service");
        topics.publish(new TrainingStarted(project, unsaid, 1, "djl", "cpu-0", null), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + torch)
                .then().body("state", is("succeeded")).body("runtime", is("torch")));
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + unsaid)
                .then().body("state", is("running")).body("runtime", is("djl")));

        as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset, "runtime", "tpu"))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("type", is("https://tuneforge.dev/problems/invalid-job"))
                .body("errors", contains("runtime: must be one of djl, torch, got 'tpu'"));
    }

    /** A job a pipeline started on drift names the DriftDetected that caused it; a user's job has no trigger. */
    @Test
    void aPipelinesJobShowsWhatTriggeredIt() {
        String dataset = Datasets.ready(topics, project, member.secret(), "triggered", 20);
        String users = createJob(dataset, Map.of());
        String drifted = "job_drift" + Long.toHexString(System.nanoTime());
        String eventId = java.util.UUID.randomUUID().toString();
        // As trainer-service's DriftTriggers writes it.
        topics.publish(new TrainingRequested(project, drifted, BaseModels.TINY, dataset, 1, "lora", Map.of(), "bot",
                "pipeline:pl_drift", "pl_drift", null, null, null, null, Map.of("type", "drift", "event_id", eventId,
                "window_id", "w-7", "model_version", 3, "metrics", List.of("prompt_length_psi"))), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + drifted)
                .then().statusCode(200).body("pipeline_id", is("pl_drift")).body("trigger.type", is("drift"))
                .body("trigger.event_id", is(eventId)).body("trigger.window_id", is("w-7"))
                .body("trigger.model_version", is(3)).body("trigger.metrics", contains("prompt_length_psi")));
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + users)
                .then().statusCode(200).body("trigger", org.hamcrest.Matchers.nullValue()));
    }

    @Test
    void trainerEventsBecomeTheJobsStateProgressLossCurveAndCheckpoints() throws Exception {
        String dataset = Datasets.ready(topics, project, member.secret(), "curves", 40);
        String id = createJob(dataset, Map.of());
        // As trainer-service would: it starts a job once it has its request.
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().statusCode(200));
        topics.publish(new TrainingStarted(project, id, 1, "djl", "cpu-0", null), "trainer-service");
        topics.publish(new TrainingProgress(project, id, 1, 4, 0.25, 2.5, 1e-4, 900, 30L, null, null, 1),
                "trainer-service");
        topics.publish(new TrainingProgress(project, id, 2, 4, 0.5, 2.1, 1e-4, 1000, 20L, 2.3, 0.41, 1),
                "trainer-service");
        topics.publish(new CheckpointSaved(project, id, 2, "projects/" + project + "/jobs/" + id + "/checkpoints/step-2/",
                "abc"), "trainer-service");
        topics.publish(new TrainingProgress(project, id, 4, 4, 1.0, 1.7, 0, 1100, 0L, null, null, 1),
                "trainer-service");

        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().statusCode(200).body("state", is("running")).body("attempt", is(1))
                .body("progress.step", is(4)).body("progress.total_steps", is(4)).body("progress.percent", is(100.0f))
                .body("progress.train_loss", is(1.7f)).body("progress.valid_loss", is(2.3f))
                .body("last_checkpoint_step", is(2)).body("base_model", is(BaseModels.TINY)));
        as(member.secret()).when().get("/api/v1/jobs/" + id + "/metrics").then().statusCode(200)
                .body("data.step", contains(1, 2, 4)).body("data.train_loss", contains(2.5f, 2.1f, 1.7f))
                .body("data.valid_token_accuracy", contains(null, 0.41f, null))
                .body("data.tokens_per_second", contains(900.0f, 1000.0f, 1100.0f));
        as(member.secret()).when().get("/api/v1/jobs/" + id + "/checkpoints").then().statusCode(200)
                .body("data.step", contains(2)).body("data[0].sha256", is("abc"));

        try (SseClient stream = SseClient.open(URI.create(base + "api/v1/jobs/" + id + "/events"), member.secret(), null)) {
            List<SseClient.Event> events = stream.drain(Duration.ofSeconds(2));
            assertEquals(List.of("dev.tuneforge.training.requested.v1", "dev.tuneforge.training.started.v1",
                    "dev.tuneforge.training.progress.v1", "dev.tuneforge.training.progress.v1",
                    "dev.tuneforge.training.checkpoint-saved.v1", "dev.tuneforge.training.progress.v1"),
                    events.stream().map(SseClient.Event::name).toList(), "the job's history, then live");
            topics.publish(new TrainingFinished(project, id, "curves", BaseModels.TINY, dataset, 1, "lora",
                    "projects/" + project + "/models/curves/v1/adapter/", "def", 2, Map.of("train_loss", 1.7), null),
                    "trainer-service");
            SseClient.Event finished = stream.next(WAIT);
            assertEquals("dev.tuneforge.training.finished.v1", finished.name());
            // Resuming after the last event seen repeats nothing.
            try (SseClient resumed = SseClient.open(URI.create(base + "api/v1/jobs/" + id + "/events"),
                    member.secret(), finished.id())) {
                assertEquals(List.of(), resumed.drain(Duration.ofSeconds(1)));
            }
        }
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().body("state", is("succeeded")).body("best_step", is(2))
                .body("artifact_key", is("projects/" + project + "/models/curves/v1/adapter/"))
                .body("artifact_sha256", is("def")).body("metrics.train_loss", is(1.7f))
                .body("finished_at", org.hamcrest.Matchers.notNullValue()));
        as(member.secret()).when().get("/api/v1/jobs/" + id + "/events?limit=2").then().statusCode(200)
                .body("data", hasSize(2)).body("has_more", is(true));

        String failing = createJob(dataset, Map.of());
        topics.publish(new TrainingStarted(project, failing, 2, "djl", "cpu-0", 10, "worker exited with 137 (killed)"),
                "trainer-service");
        topics.publish(new TrainingFailed(project, failing, "out_of_resources", "no memory left", 2), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + failing)
                .then().body("state", is("failed")).body("failure_code", is("out_of_resources"))
                .body("failure_message", is("no memory left")).body("attempt", is(2))
                .body("retry_reason", is("worker exited with 137 (killed)")));
    }

    @Test
    void cancelPauseAndResumeAreCommandsToTheTrainerUntilTheJobIsOver() {
        String dataset = Datasets.ready(topics, project, member.secret(), "commands", 10);
        String id = createJob(dataset, Map.of());
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().statusCode(200));

        as(member.secret()).when().post("/api/v1/jobs/" + id + "/pause").then().statusCode(202)
                .body("requested", is("pause")).body("event", is("dev.tuneforge.training.pause-requested.v1"));
        as(member.secret()).when().post("/api/v1/jobs/" + id + "/pause").then().statusCode(202);
        await().atMost(WAIT).until(() -> topics.events(TrainingPauseRequested.class, id).size() == 2);
        assertEquals(member.id(), topics.events(TrainingPauseRequested.class, id).get(0).requestedBy());
        topics.publish(new TrainingPaused(project, id, 5L), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().body("state", is("paused")).body("last_checkpoint_step", is(5)));

        as(member.secret()).when().post("/api/v1/jobs/" + id + "/resume").then().statusCode(202);
        await().atMost(WAIT).until(() -> topics.events(TrainingResumeRequested.class, id).size() == 1);
        topics.publish(new TrainingResumed(project, id, 5L), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().body("state", is("queued")));

        as(member.secret()).when().post("/api/v1/jobs/" + id + "/cancel").then().statusCode(202);
        await().atMost(WAIT).until(() -> topics.events(TrainingCancelRequested.class, id).size() == 1);
        topics.publish(new TrainingCancelled(project, id, 5L), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().body("state", is("cancelled")));
        as(member.secret()).when().post("/api/v1/jobs/" + id + "/cancel").then().statusCode(409)
                .body("detail", containsString("is cancelled already"));
        as(member.secret()).when().post("/api/v1/jobs/" + id + "/resume").then().statusCode(409);
        assertEquals(1, topics.events(TrainingCancelRequested.class, id).size(), "no command once it is over");
    }

    @Test
    void anotherProjectsJobDoesNotExist() {
        String dataset = Datasets.ready(topics, project, member.secret(), "mine", 10);
        String id = createJob(dataset, Map.of());
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + id)
                .then().statusCode(200));
        Gateway.Key other = Gateway.newKey(Gateway.newProject(), "admin");
        for (String path : List.of("", "/metrics", "/checkpoints", "/events")) {
            as(other.secret()).when().get("/api/v1/jobs/" + id + path).then().statusCode(404);
        }
        for (String action : List.of("cancel", "pause", "resume")) {
            as(other.secret()).when().post("/api/v1/jobs/" + id + "/" + action).then().statusCode(404);
        }
        as(other.secret()).when().get("/api/v1/jobs").then().statusCode(200).body("data", hasSize(0));
        // Another project's dataset is not there to train on either.
        as(other.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", dataset))
                .when().post("/api/v1/jobs").then().statusCode(422)
                .body("detail", containsString("no dataset '" + dataset + "' in this project"));
        Gateway.Key readOnly = Gateway.newKey(project, "read-only");
        as(readOnly.secret()).when().post("/api/v1/jobs/" + id + "/cancel").then().statusCode(403);
    }
}
