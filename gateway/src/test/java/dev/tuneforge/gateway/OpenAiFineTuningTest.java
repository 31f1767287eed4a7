package dev.tuneforge.gateway;

import dev.tuneforge.events.CheckpointSaved;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetRejected;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingProgress;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.gateway.openai.JobRequestStore;
import dev.tuneforge.gateway.storage.DatasetReadModel;
import dev.tuneforge.gateway.storage.EventReadModel;
import dev.tuneforge.gateway.storage.ModelReadModel;
import dev.tuneforge.gateway.storage.ReadModelTables;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OpenAI's fine-tuning surface ({@code /v1/files}, {@code /v1/fine_tuning/jobs}) on the platform's one job model:
 * files, a job that waits for its files' validation and then is the job of {@code /api/v1/jobs}, its events,
 * checkpoints and result file, and OpenAI's errors. dataset-service's and trainer-service's events are published
 * here as those services would (the SDK tests in system-tests run the real ones).
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class OpenAiFineTuningTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":\"hello\"}]}\n";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @TestHTTPResource("/")
    URL base;

    @Inject
    EventReadModel readModelEvents;
    @Inject
    DatasetReadModel readModelDatasets;
    @Inject
    Jdbc jdbc;
    @Inject
    ModelReadModel readModelModels;

    private TopicClient topics;
    private String project;
    private Gateway.Key member;

    @BeforeEach
    void projectWithABaseModel() {
        BaseModels.ensureTiny();
        topics = new TopicClient(bootstrap);
        project = Gateway.newProject();
        member = Gateway.newKey(project, "member");
    }

    private String uploadFile(String name, String content) {
        return as(member.secret()).multiPart("file", name, content.getBytes(StandardCharsets.UTF_8))
                .multiPart("purpose", "fine-tune")
                .when().post("/v1/files").then().statusCode(200)
                .body("object", is("file")).body("filename", is(name)).body("purpose", is("fine-tune"))
                .body("bytes", is(content.getBytes(StandardCharsets.UTF_8).length)).body("status", is("processed"))
                .extract().path("id");
    }

    private ExtractableResponse<Response> createJob(Map<String, Object> body) {
        return as(member.secret()).contentType("application/json").body(body)
                .when().post("/v1/fine_tuning/jobs").then().extract();
    }

    /** The DatasetUploaded the gateway announced for this project's files (the job's dataset). */
    private DatasetUploaded uploadOfProject() {
        await().atMost(WAIT).until(() -> topics.events(DatasetUploaded.class, null).stream()
                .anyMatch(u -> u.projectId().equals(project)));
        return topics.events(DatasetUploaded.class, null).stream().filter(u -> u.projectId().equals(project))
                .findFirst().orElseThrow();
    }

    @Test
    void filesAreStoredListedReadAndDeletedInOpenAisShapesAndOnlyForTheirProject() throws Exception {
        // A chunked multipart body without Content-Length (as the Node SDK sends it), larger than the JSON limit.
        String big = CHAT.repeat(2000);
        String boundary = "b" + UUID.randomUUID();
        byte[] multipart = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n" + big + "\r\n--" + boundary + "--\r\n")
                .getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> chunked = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(base + "v1/files")).header("Authorization", "Bearer " + member.secret())
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(multipart))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chunked.statusCode(), chunked.body());
        assertTrue(chunked.body().contains("\"bytes\":" + big.length()), chunked.body());
        String bigId = chunked.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");

        // The Java SDK's file(byte[]): a file part without a filename.
        String unnamed = as(member.secret()).multiPart(new io.restassured.builder.MultiPartSpecBuilder(
                        CHAT.getBytes(StandardCharsets.UTF_8)).controlName("file").emptyFileName()
                        .mimeType("application/octet-stream").build())
                .multiPart("purpose", "fine-tune").when().post("/v1/files").then().statusCode(200)
                .body("filename", is("upload")).extract().path("id");
        as(member.secret()).accept("application/binary").when().get("/v1/files/" + unnamed + "/content").then()
                .statusCode(200).body(is(CHAT));
        as(member.secret()).contentType("application/json").when().delete("/v1/files/" + unnamed).then()
                .statusCode(200);
        String small = uploadFile("small.jsonl", CHAT);
        as(member.secret()).when().get("/v1/files").then().statusCode(200)
                .body("object", is("list")).body("data.id", contains(small, bigId)).body("has_more", is(false));
        as(member.secret()).when().get("/v1/files?limit=1").then()
                .body("data.id", contains(small)).body("has_more", is(true)).body("last_id", is(small));
        as(member.secret()).when().get("/v1/files?limit=1&after=" + small).then()
                .body("data.id", contains(bigId)).body("has_more", is(false));
        as(member.secret()).when().get("/v1/files?order=asc").then().body("data.id", contains(bigId, small));
        as(member.secret()).when().get("/v1/files/" + small).then().statusCode(200)
                .body("id", is(small)).body("filename", is("small.jsonl"));
        String content = as(member.secret()).when().get("/v1/files/" + bigId + "/content").then().statusCode(200)
                .extract().asString();
        assertEquals(big, content);

        Gateway.Key other = Gateway.newKey(Gateway.newProject(), "member");
        as(other.secret()).when().get("/v1/files/" + small).then().statusCode(404)
                .body("error.type", is("invalid_request_error")).body("error.message", containsString(small));
        as(other.secret()).when().get("/v1/files").then().body("data", org.hamcrest.Matchers.empty());

        as(member.secret()).when().delete("/v1/files/" + small).then().statusCode(200)
                .body("id", is(small)).body("object", is("file")).body("deleted", is(true));
        as(member.secret()).when().get("/v1/files/" + small).then().statusCode(404);
        as(member.secret()).multiPart("file", "x.jsonl", CHAT.getBytes(StandardCharsets.UTF_8))
                .multiPart("purpose", "training").when().post("/v1/files").then().statusCode(400)
                .body("error.param", is("purpose")).body("error.message", containsString("fine-tune"));
    }

    @Test
    void aJobWhoseDatasetsVerdictARebuildProjectedFirstStillStarts() {
        String training = uploadFile("rebuilt.jsonl", CHAT.repeat(20));
        ExtractableResponse<Response> created = createJob(Map.of("model", BaseModels.TINY, "training_file", training));
        assertEquals(200, created.statusCode(), created.asString());
        String id = created.path("id");
        DatasetUploaded upload = uploadOfProject();
        DatasetReady ready = new DatasetReady(project, upload.datasetId(), 1, null, "chat", "c", "projects/" + project
                + "/t.jsonl", "s", 20, null, null, 0, 20, new TokenStats(5, 6, 7, 8, 120, 0), null, null);
        EventEnvelope envelope = EventEnvelope.wrap(ready, "dataset-service");
        ProducerRecord<String, String> record = TopicClient.toRecord(envelope);
        // A read-model rebuild caught up past the verdict and swapped its tables in (the events row and what the
        // event projects) before the live consumer got the verdict from the topic
        QuarkusTransaction.requiringNew().run(() -> {
            readModelEvents.insert(ReadModelTables.LIVE, envelope, record.topic(), record.value());
            readModelDatasets.ready(ReadModelTables.LIVE, ready, envelope.time());
        });
        topics.send(record);
        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, id).size() == 1);
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("queued")));
    }

    @Test
    void aJobWaitsForItsFilesThenRunsAsThePlatformsJobAndEndsWithAModelACheckpointAndAResultFile() {
        String training = uploadFile("support.jsonl", CHAT.repeat(20));
        ExtractableResponse<Response> created = createJob(Map.of("model", BaseModels.TINY, "training_file", training,
                "suffix", "support", "seed", 7, "metadata", Map.of("team", "support"),
                "method", Map.of("type", "supervised", "supervised", Map.of("hyperparameters",
                        Map.of("n_epochs", 2, "batch_size", "auto", "learning_rate_multiplier", 0.5, "lora_r", 4)))));
        assertEquals(200, created.statusCode(), created.asString());
        String id = created.path("id");
        assertEquals("fine_tuning.job", created.path("object"));
        assertEquals("validating_files", created.path("status"));
        assertEquals(training, created.path("training_file"));
        assertEquals(Map.of("team", "support"), created.path("metadata"));
        assertEquals("support", created.path("user_provided_suffix"));
        assertEquals(7, (int) created.path("seed"));

        DatasetUploaded upload = uploadOfProject();
        assertEquals("support.jsonl", upload.name());
        assertTrue(upload.objectKey().contains("/uploads/"), "the job's dataset is a copy of the file: " + upload);
        topics.publish(new DatasetReady(project, upload.datasetId(), 1, null, "chat", "c", "projects/" + project
                + "/t.jsonl", "s", 20, null, null, 0, 20, new TokenStats(5, 6, 7, 8, 120, 0), null, null),
                "dataset-service");

        // The dataset is ready: the job is announced with the id it was created with, as /api/v1/jobs' are.
        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, id).size() == 1);
        TrainingRequested requested = topics.events(TrainingRequested.class, id).getFirst();
        assertEquals(upload.datasetId(), requested.datasetId());
        assertEquals("support", requested.modelName());
        assertEquals(2, ((Number) requested.hyperparameters().get("epochs")).intValue());
        assertEquals(1.0e-4, ((Number) requested.hyperparameters().get("learning_rate")).doubleValue(), 1e-12);
        assertEquals(4, ((Number) requested.hyperparameters().get("lora_r")).intValue());
        assertEquals(7, ((Number) requested.hyperparameters().get("seed")).intValue());
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("queued")).body("hyperparameters.n_epochs", is(2))
                .body("hyperparameters.learning_rate_multiplier", is(0.5f)));
        as(member.secret()).when().get("/api/v1/jobs/" + id).then().statusCode(200).body("model_name", is("support"));

        String checkpointKey = "projects/" + project + "/jobs/" + id + "/attempt-1/checkpoints/step-2/";
        topics.publish(new TrainingStarted(project, id, 1, "djl", "cpu-0", null), "trainer-service");
        topics.publish(new TrainingProgress(project, id, 1, 2, 0.5, 2.5, 1e-4, 900, 3L, null, null, 1),
                "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("running")).body("estimated_finish", not(nullValue())));
        // Paused and resumed through /v1, as trainer-service answers: "paused" in between (docs/OPENAI.md).
        as(member.secret()).contentType("application/json").when().post("/v1/fine_tuning/jobs/" + id + "/pause")
                .then().statusCode(200);
        await().atMost(WAIT).until(() -> topics.events(dev.tuneforge.events.TrainingPauseRequested.class, id).size() == 1);
        topics.publish(new dev.tuneforge.events.TrainingPaused(project, id, null), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("paused")));
        as(member.secret()).contentType("application/json").when().post("/v1/fine_tuning/jobs/" + id + "/resume")
                .then().statusCode(200);
        await().atMost(WAIT).until(() -> topics.events(dev.tuneforge.events.TrainingResumeRequested.class, id).size() == 1);
        topics.publish(new dev.tuneforge.events.TrainingResumed(project, id, 1L), "trainer-service");
        topics.publish(new TrainingStarted(project, id, 2, "djl", "cpu-0", 1), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("running")));
        topics.publish(new TrainingProgress(project, id, 2, 2, 1.0, 2.0, 1e-4, 950, 0L, 2.2, 0.4, 1),
                "trainer-service");
        topics.publish(new CheckpointSaved(project, id, 2, checkpointKey, "ck"), "trainer-service");
        topics.publish(new TrainingFinished(project, id, "support", BaseModels.TINY, upload.datasetId(), 1, "lora",
                "projects/" + project + "/jobs/" + id + "/attempt-1/output/adapter/", "sha", 2, Map.of(), null),
                "trainer-service");

        String model = "ft:" + BaseModels.TINY + ":" + project + ":support:" + id;
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("succeeded")).body("fine_tuned_model", is(model))
                .body("trained_tokens", is(240)).body("result_files", contains("file-results-" + id))
                .body("finished_at", not(nullValue())).body("error", nullValue()));

        as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id + "/events").then().statusCode(200)
                .body("object", is("list"))
                .body("data[0].message", is("The job has successfully completed"))
                .body("data.type", hasItem("metrics"))
                .body("data.find { it.type == 'metrics' }.data.step", is(2))
                .body("data.find { it.type == 'metrics' }.data.valid_loss", is(2.2f))
                .body("data[-1].message", is("Created fine-tuning job: " + id));
        as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id + "/events?limit=2").then()
                .body("data", org.hamcrest.Matchers.hasSize(2)).body("has_more", is(true));
        as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id + "/checkpoints").then().statusCode(200)
                .body("data[0].object", is("fine_tuning.job.checkpoint")).body("data[0].step_number", is(2))
                .body("data[0].fine_tuned_model_checkpoint", is(model + ":ckpt-step-2"))
                .body("data[0].metrics.train_loss", is(2.0f)).body("data[0].fine_tuning_job_id", is(id));
        String csv = as(member.secret()).when().get("/v1/files/file-results-" + id + "/content").then()
                .statusCode(200).extract().asString();
        assertEquals("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
                + "1,2.50000,,,\n2,2.00000,,2.20000,0.40000\n", csv);
        as(member.secret()).when().get("/v1/models").then()
                .body("data.id", hasItems(model, model + ":ckpt-step-2", BaseModels.TINY));
        // One model asked for alone is the list's entry; one the project has not is OpenAI's 404.
        assertLookedUpAsListed(model, model + ":ckpt-step-2", BaseModels.TINY);
        assertNoSuchModel(model.replace(id, "job_0123456789abcdef"), model + ":ckpt-step-9", "support", "nope\u0000");
        as(member.secret()).when().get("/v1/fine_tuning/jobs?metadata[team]=support").then()
                .body("data.id", contains(id));
        as(member.secret()).when().get("/v1/fine_tuning/jobs?metadata[team]=sales").then()
                .body("data", org.hamcrest.Matchers.empty());
        // Deleting the model archives its registered version (registry-service's answers published here); a champion
        // is refused.
        String artifact = "projects/" + project + "/models/support/v1/";
        topics.publish(new dev.tuneforge.events.ModelRegistered(project, "support", 1, id, artifact, "sha",
                "candidate"), "registry-service");
        topics.publish(new dev.tuneforge.events.ModelPromoted(project, "support", 1, "champion", null), "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).contentType("application/json").when()
                .delete("/v1/models/" + model).then().statusCode(400)
                .body("error.message", containsString("champion")));
        topics.publish(new dev.tuneforge.events.ModelRegistered(project, "support", 2, "job_other", artifact, "sha",
                "candidate"), "registry-service");
        topics.publish(new dev.tuneforge.events.ModelPromoted(project, "support", 2, "champion", 1), "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).contentType("application/json").when()
                .delete("/v1/models/" + model).then().statusCode(200)
                .body("id", is(model)).body("object", is("model")).body("deleted", is(true)));
        assertEquals(List.of(new dev.tuneforge.events.ModelArchiveRequested(project, "support", 1, member.id())),
                topics.events(dev.tuneforge.events.ModelArchiveRequested.class, "support"));
        topics.publish(new dev.tuneforge.events.ModelArchived(project, "support", 1, member.id()), "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/models").then()
                .body("data.id", not(hasItem(model))).body("data.id", not(hasItem("support:1"))));
        assertLookedUpAsListed("support", "support@champion", "support:2");
        assertNoSuchModel(model, model + ":ckpt-step-2", "support:1", "support:3", "support@staging", "support:02");
        as(member.secret()).contentType("application/json")
                .body(Map.of("model", model, "messages", List.of(Map.of("role", "user", "content", "hi"))))
                .when().post("/v1/chat/completions").then().statusCode(404)
                .body("error.message", containsString("archived"));

        // A second job on the same file reuses its dataset, ready: it is requested at once, and a cancel sent before
        // the request is back in the read model goes to trainer-service all the same (after it, on the same key).
        String again = createJob(Map.of("model", BaseModels.TINY, "training_file", training)).path("id");
        as(member.secret()).contentType("application/json").when().post("/v1/fine_tuning/jobs/" + again + "/cancel")
                .then().statusCode(200);
        assertEquals(upload.datasetId(), topics.events(TrainingRequested.class, again).getFirst().datasetId());
        await().atMost(WAIT).until(() -> topics.events(
                dev.tuneforge.events.TrainingCancelRequested.class, again).size() == 1);

        // Refused for good: 400, not 409, which the official SDKs would send twice more.
        as(member.secret()).contentType("application/json").when().post("/v1/fine_tuning/jobs/" + id + "/cancel")
                .then().statusCode(400).body("error.message", containsString("succeeded"));
    }

    @Test
    void aDpoJobIsAcceptedAndShowsItsMethodWithTheHyperparametersItResolvedTo() {
        String pairs = "{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}, "
                + "\"preferred_output\": [{\"role\": \"assistant\", \"content\": \"hello\"}], "
                + "\"non_preferred_output\": [{\"role\": \"assistant\", \"content\": \"go away\"}]}\n";
        String training = uploadFile("pairs.jsonl", pairs);
        ExtractableResponse<Response> created = createJob(Map.of("model", BaseModels.TINY, "training_file", training,
                "method", Map.of("type", "dpo", "dpo", Map.of("hyperparameters", Map.of("beta", "auto",
                        "n_epochs", 2, "batch_size", 1, "learning_rate_multiplier", 0.5)))));
        assertEquals(200, created.statusCode(), created.asString());
        String id = created.path("id");
        assertEquals("dpo", created.path("method.type"));
        assertEquals("auto", created.path("method.dpo.hyperparameters.beta"), "not resolved yet");
        assertEquals(Map.of("type", "dpo", "dpo", Map.of("hyperparameters", Map.of("batch_size", 1, "beta", "auto",
                "learning_rate_multiplier", 0.5f, "n_epochs", 2))), created.path("method"));

        DatasetUploaded upload = uploadOfProject();
        topics.publish(new DatasetReady(project, upload.datasetId(), 1, null, "preference", "c", "projects/"
                + project + "/t.jsonl", "s", 20, null, null, 0, 20, null, null, null), "dataset-service");

        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, id).size() == 1);
        TrainingRequested requested = topics.events(TrainingRequested.class, id).getFirst();
        assertEquals("dpo", requested.method());
        assertEquals(0.1, ((Number) requested.hyperparameters().get("beta")).doubleValue(), "auto is 0.1");
        assertEquals(1.0e-4, ((Number) requested.hyperparameters().get("learning_rate")).doubleValue(), 1e-12,
                "half of LoRA's learning rate");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("queued")).body("method.type", is("dpo"))
                .body("method.dpo.hyperparameters.beta", is(0.1f))
                .body("method.dpo.hyperparameters.n_epochs", is(2))
                .body("method.dpo.hyperparameters.batch_size", is(1))
                .body("method.dpo.hyperparameters.learning_rate_multiplier", is(0.5f))
                .body("method.supervised", nullValue()).body("hyperparameters.n_epochs", is(2)));
        as(member.secret()).when().get("/api/v1/jobs/" + id).then().body("method", is("dpo"));
    }

    @Test
    void aDpoJobOnChatDataFailsWithTheTrainingFileAtFaultAndNothingIsTrained() {
        String training = uploadFile("chat.jsonl", CHAT);
        String id = createJob(Map.of("model", BaseModels.TINY, "training_file", training,
                "method", Map.of("type", "dpo"))).path("id");
        DatasetUploaded upload = uploadOfProject();
        topics.publish(new DatasetReady(project, upload.datasetId(), 1, null, "chat", "c", "projects/" + project
                + "/t.jsonl", "s", 1, null, null, 0, 1, null, null, null), "dataset-service");

        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("failed")).body("error.code", is("invalid_file_format"))
                .body("error.param", is("training_file"))
                .body("error.message", is("The job failed due to an invalid training file " + training + ": dpo"
                        + " trains on preference pairs ({\"prompt\", \"chosen\", \"rejected\"} or OpenAI's"
                        + " {\"input\", \"preferred_output\", \"non_preferred_output\"}); the dataset holds chat"
                        + " examples")));
        // A supervised job on the same (chat) file goes ahead.
        String supervised = createJob(Map.of("model", BaseModels.TINY, "training_file", training)).path("id");
        await().atMost(WAIT).until(() -> topics.events(TrainingRequested.class, supervised).size() == 1);
        assertEquals(List.of(), topics.events(TrainingRequested.class, id));
    }

    @Test
    void aRejectedFileFailsTheJobWithOpenAisErrorAndTheLinesAtFault() {
        String training = uploadFile("broken.jsonl", CHAT + CHAT + "{not json\n");
        String id = createJob(Map.of("model", BaseModels.TINY, "training_file", training)).path("id");
        // A second job on the same file while it is validated waits for the same dataset.
        String second = createJob(Map.of("model", BaseModels.TINY, "training_file", training)).path("id");
        DatasetUploaded upload = uploadOfProject();
        DatasetReport report = new DatasetReport("chat", 3, 2, List.of(new DatasetReport.Finding("invalid_json",
                "line is not valid JSON", 1, List.of(3L))), List.of(), null, 0, null);
        topics.publish(new DatasetRejected(project, upload.datasetId(), "invalid_json: 1 (first lines [3])", 1, null,
                report), "dataset-service");

        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id)
                .then().body("status", is("failed")).body("error.code", is("invalid_file_format"))
                .body("error.param", is("training_file"))
                .body("error.message", containsString("line is not valid JSON (invalid_json) on line 3"))
                .body("fine_tuned_model", nullValue()).body("finished_at", not(nullValue())));
        as(member.secret()).when().get("/v1/fine_tuning/jobs/" + id + "/events").then()
                .body("data[0].level", is("error")).body("data[0].message", containsString("line 3"));
        as(member.secret()).when().get("/v1/fine_tuning/jobs/" + second).then()
                .body("status", is("failed")).body("error.code", is("invalid_file_format"));
        assertEquals(1, topics.events(DatasetUploaded.class, null).stream()
                .filter(u -> u.projectId().equals(project)).count());
        assertEquals(List.of(), topics.events(TrainingRequested.class, id));
    }

    @Test
    void jobsOfBothSurfacesAreListedNewestFirstAndAJobStillValidatingCanBeCancelled() {
        String native_ = Datasets.ready(topics, project, member.secret(), "native", 40);
        String nativeJob = as(member.secret()).contentType("application/json")
                .body(Map.of("base_model", BaseModels.TINY, "dataset_id", native_))
                .when().post("/api/v1/jobs").then().statusCode(201).extract().path("id");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + nativeJob)
                .then().statusCode(200));
        String training = uploadFile("later.jsonl", CHAT);
        String v1Job = createJob(Map.of("model", BaseModels.TINY, "training_file", training)).path("id");

        as(member.secret()).when().get("/v1/fine_tuning/jobs").then().statusCode(200)
                .body("data.id", contains(v1Job, nativeJob))
                .body("data[1].training_file", is(native_)).body("data[1].status", is("queued"));
        as(member.secret()).when().get("/v1/fine_tuning/jobs?limit=1").then()
                .body("data.id", contains(v1Job)).body("has_more", is(true));
        as(member.secret()).when().get("/v1/fine_tuning/jobs?after=" + v1Job).then()
                .body("data.id", contains(nativeJob)).body("has_more", is(false));

        as(member.secret()).when().post("/v1/fine_tuning/jobs/" + v1Job + "/cancel").then().statusCode(200)
                .body("status", is("cancelled"));
        DatasetUploaded upload = uploadOfProject();
        topics.publish(new DatasetReady(project, upload.datasetId(), 1, null, "chat", "c", "k", "s", 1, null, null, 0,
                1, null, null, null), "dataset-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/datasets/"
                + upload.datasetId()).then().body("status", is("ready")));
        as(member.secret()).when().get("/v1/fine_tuning/jobs/" + v1Job).then().body("status", is("cancelled"));
        assertEquals(List.of(), topics.events(TrainingRequested.class, v1Job));
    }

    @Test
    void aCreateAnswered503IsNotCarriedOutSoTheClientsRetryMakesTheOneJob() {
        String training = uploadFile("retried.jsonl", CHAT);
        QuarkusMock.installMockForType(new StoreLosingItsConnectionOnce(jdbc, project), JobRequestStore.class);
        Map<String, Object> body = Map.of("model", BaseModels.TINY, "training_file", training);

        ExtractableResponse<Response> first = createJob(body);
        assertEquals(503, first.statusCode(), first.body().asString());
        assertEquals("server_error", first.path("error.type"));
        // What the official SDKs and the CLI do with a 503: the same request again.
        String job = createJobAnswer(body).statusCode(200).body("status", is("validating_files")).extract().path("id");

        as(member.secret()).when().get("/v1/fine_tuning/jobs").then().statusCode(200).body("data.id", contains(job));
        as(member.secret()).when().get("/api/v1/datasets").then().statusCode(200).body("data", hasSize(1));
    }

    /**
     * The real store, whose first read of a job of {@code project} fails as a read does when the database drops the
     * connection (a restart): what a create that has just inserted its job may meet when it reads its answer.
     */
    static final class StoreLosingItsConnectionOnce extends JobRequestStore {

        private final String project;
        private final AtomicBoolean failed = new AtomicBoolean();

        StoreLosingItsConnectionOnce(Jdbc jdbc, String project) {
            super(jdbc);
            this.project = project;
        }

        @Override
        public Optional<JobRequest> find(String projectId, String jobId) {
            if (projectId.equals(project) && failed.compareAndSet(false, true)) {
                throw new IllegalStateException("SQL failed: SELECT ... FROM openai_jobs", new PSQLException(
                        "An I/O error occurred while sending to the backend.", PSQLState.CONNECTION_FAILURE));
            }
            return super.find(projectId, jobId);
        }
    }

    /**
     * {@code GET /v1/models/{id}} looks the one model up; it used to build the whole list to find it, and a version
     * past the list's first thousand of a model was not found.
     */
    @Test
    void oneModelIsLookedUpAloneEvenPastTheFirstThousandVersionsOfTheList() {
        // Written straight into the live read model (1,001 events through the broker would only be slower), and
        // removed after: no topic has them, and ReadModelRebuildTest holds the live tables to what the topics rebuild.
        QuarkusTransaction.requiringNew().run(() -> {
            for (int version = 1; version <= 1001; version++) {
                readModelModels.registered(ReadModelTables.LIVE, new dev.tuneforge.events.ModelRegistered(project,
                        "many", version, "job_many", "projects/" + project + "/models/many/v" + version + "/", "sha",
                        "candidate"), java.time.OffsetDateTime.now());
            }
        });
        try {
            as(member.secret()).when().get("/v1/models").then().statusCode(200)
                    .body("data.id", hasItem("many:1000")).body("data.id", not(hasItem("many:1001")));
            assertLookedUpAsListed("many:1", "many:1000");
            as(member.secret()).when().get("/v1/models/many:1001").then().statusCode(200).body("id", is("many:1001"))
                    .body("object", is("model")).body("owned_by", is(project));
            assertNoSuchModel("many", "many:1002", "many@champion");
        } finally {
            QuarkusTransaction.requiringNew().run(() -> {
                jdbc.update("DELETE FROM model_versions WHERE project_id = ? AND model_name = 'many'", project);
                jdbc.update("DELETE FROM models WHERE project_id = ? AND model_name = 'many'", project);
            });
        }
    }

    @Test
    void errorsUnderV1AreOpenAisWhoeverMadeThem() {
        given("tf_not-a-key").when().get("/v1/fine_tuning/jobs").then().statusCode(401)
                .body("error.type", is("authentication_error")).body("error.code", is("invalid_api_key"));
        createJobAnswer(Map.of("model", BaseModels.TINY)).statusCode(400)
                .body("error.type", is("invalid_request_error")).body("error.param", is("training_file"));
        createJobAnswer(Map.of("model", "gpt-4o-mini", "training_file", "file-x")).statusCode(400)
                .body("error.param", is("model")).body("error.message", containsString(BaseModels.TINY));
        String training = uploadFile("t.jsonl", CHAT);
        createJobAnswer(Map.of("model", BaseModels.TINY, "training_file", training,
                "method", Map.of("type", "reinforcement"))).statusCode(400).body("error.param", is("method.type"));
        createJobAnswer(Map.of("model", BaseModels.TINY, "training_file", training, "method", Map.of("type", "dpo",
                "dpo", Map.of("hyperparameters", Map.of("beta", 0))))).statusCode(400)
                .body("error.param", is("method.dpo.hyperparameters.beta"))
                .body("error.message", containsString("'beta' must be above 0"));
        createJobAnswer(Map.of("model", BaseModels.TINY, "training_file", training, "method", Map.of("type",
                "supervised", "supervised", Map.of("hyperparameters", Map.of("beta", 0.1))))).statusCode(400)
                .body("error.param", is("method.supervised.hyperparameters.beta"));
        createJobAnswer(Map.of("model", BaseModels.TINY, "training_file", training,
                "hyperparameters", Map.of("n_epochs", 0))).statusCode(400).body("error.param", is("hyperparameters"))
                .body("error.message", containsString("epochs"));
        as(member.secret()).when().get("/v1/fine_tuning/jobs/job_nope").then().statusCode(404)
                .body("error.message", containsString("job_nope"));
        // A problem document of the framework becomes OpenAI's error too.
        as(member.secret()).when().get("/v1/no-such-thing").then().statusCode(404)
                .body("error.type", is("invalid_request_error"));
        // And elsewhere problem documents stay.
        given("tf_not-a-key").when().get("/api/v1/jobs").then().statusCode(401)
                .body("type", is("https://tuneforge.dev/problems/invalid-api-key"));
    }

    @Test
    void theOpenApiDocumentDescribesV1WithASchemaForEachResponse() {
        io.restassured.RestAssured.when().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.keySet()", hasItems("/v1/files", "/v1/files/{id}", "/v1/files/{id}/content",
                        "/v1/fine_tuning/jobs", "/v1/fine_tuning/jobs/{id}", "/v1/fine_tuning/jobs/{id}/cancel",
                        "/v1/fine_tuning/jobs/{id}/events", "/v1/fine_tuning/jobs/{id}/checkpoints",
                        "/v1/models", "/v1/chat/completions"))
                .body("components.schemas.keySet()", hasItems("FileObject", "FineTuningJob", "JobEvent",
                        "JobCheckpoint"))
                .body("paths.'/v1/fine_tuning/jobs'.post.responses.'200'.content.'application/json'.schema.$ref",
                        is("#/components/schemas/FineTuningJob"))
                // Properties named as the JSON names them.
                .body("components.schemas.FineTuningJob.properties.keySet()", hasItems("fine_tuned_model",
                        "training_file", "created_at", "user_provided_suffix"));
    }

    /** {@code GET /v1/models/{id}} answers each id with the very entry {@code GET /v1/models} lists for it. */
    private void assertLookedUpAsListed(String... ids) {
        List<Map<String, Object>> listed = as(member.secret()).when().get("/v1/models").then().statusCode(200)
                .extract().path("data");
        for (String id : ids) {
            Map<String, Object> entry = listed.stream().filter(model -> id.equals(model.get("id"))).findFirst()
                    .orElseThrow(() -> new AssertionError(id + " is not listed: " + listed));
            assertEquals(entry, as(member.secret()).when().get("/v1/models/{id}", id).then().statusCode(200)
                    .extract().path(""));
        }
    }

    private void assertNoSuchModel(String... ids) {
        for (String id : ids) {
            as(member.secret()).when().get("/v1/models/{id}", id).then().statusCode(404)
                    .body("error.code", is("model_not_found")).body("error.type", is("invalid_request_error"));
        }
    }

    private static io.restassured.specification.RequestSpecification given(String secret) {
        return as(secret);
    }

    private io.restassured.response.ValidatableResponse createJobAnswer(Map<String, Object> body) {
        return as(member.secret()).contentType("application/json").body(body)
                .when().post("/v1/fine_tuning/jobs").then();
    }
}
