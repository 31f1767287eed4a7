package dev.tuneforge.gateway;

import dev.tuneforge.events.DriftDetected;
import dev.tuneforge.events.DriftMeasured;
import dev.tuneforge.events.DriftMetric;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ModelRolledBack;
import dev.tuneforge.events.PromotionRequested;
import dev.tuneforge.events.RollbackRequested;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The registry over the API: models, versions and aliases projected from registry-service's events, model
 * cards and lineage joined with the jobs and datasets read model, artifacts from S3, promotion and rollback
 * as commands.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class ModelsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ObjectStore store;

    /** A registered version of {@code model}, trained by a job on a ready dataset; returns [dataset, job, key]. */
    static String[] registeredVersion(ObjectStore store, TopicClient topics, String project, Gateway.Key member,
                                      String model, Map<String, byte[]> files) {
        BaseModels.ensureTiny();
        String dataset = Datasets.ready(topics, project, member.secret(), model + "-data", 10);
        String job = "job-" + model + "-" + project;
        String key = "projects/" + project + "/jobs/" + job + "/output/adapter/";
        files.forEach((path, bytes) -> store.put(key + path, bytes, "application/octet-stream"));
        topics.publish(new TrainingRequested(project, job, BaseModels.TINY, dataset, 1, "lora", Map.of("lora_r", 4),
                model, member.id(), null, 0), "gateway");
        topics.publish(new TrainingFinished(project, job, model, BaseModels.TINY, dataset, 1, "lora", key, "art-sha",
                3, Map.of("train_loss", 1.5), null), "trainer-service");
        topics.publish(new ModelRegistered(project, model, 1, job, key, "art-sha", "candidate"), "registry-service");
        // The request (commands topic) and the training events (training topic) are projected independently.
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + job).then()
                .statusCode(200).body("base_model", is(BaseModels.TINY)).body("state", is("succeeded")));
        return new String[] {dataset, job, key};
    }

    @Test
    void modelsVersionsCardsLineageArtifactsAndCommands() throws Exception {
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        Map<String, byte[]> files = new TreeMap<>(Map.of(
                "adapter_config.json", "{\"r\": 4}".getBytes(StandardCharsets.UTF_8),
                "adapter_model.safetensors", new byte[] {1, 2, 3, 4, 5},
                "manifest.json", "{\"files\": []}".getBytes(StandardCharsets.UTF_8)));
        String[] made = registeredVersion(store, topics, project, member, "support", files);
        String dataset = made[0];
        String job = made[1];
        EvalsApiTest.publishPassed(store, topics, project, job, "ev-" + project, "support");
        topics.publish(new ModelRegistered(project, "support", 2, null, null, null, "rejected"), "registry-service");
        topics.publish(new ModelPromoted(project, "support", 1, "champion", null), "registry-service");

        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/support")
                .then().statusCode(200).body("champion", is(1)).body("latest_version", is(2))
                .body("aliases.champion", is(1)));
        as(member.secret()).when().get("/api/v1/models").then().statusCode(200).body("data.name", contains("support"));
        // A candidate that became champion is promoted, as registry-service has it.
        as(member.secret()).when().get("/api/v1/models/support/versions").then().statusCode(200)
                .body("data.version", contains(1, 2)).body("data[0].aliases", contains("champion"))
                .body("data[0].status", is("promoted")).body("data[1].status", is("rejected"));
        as(member.secret()).when().get("/api/v1/models/support/versions?after=1").then().statusCode(200)
                .body("data.version", contains(2));

        String baseDigest = as(ADMIN).when().get("/api/v1/base-models/" + BaseModels.TINY).then().extract().path("sha256");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/support/versions/1")
                .then().statusCode(200).body("eval.outcome", is("passed")).body("training.finished_at", notNullValue()));
        as(member.secret()).when().get("/api/v1/models/support/versions/1").then().statusCode(200)
                .body("job_id", is(job)).body("status", is("promoted"))
                .body("base_model.name", is(BaseModels.TINY)).body("base_model.sha256", is(baseDigest))
                .body("method", is("lora")).body("hyperparameters.lora_r", is(4))
                .body("dataset.id", is(dataset)).body("dataset.version", is(1))
                .body("dataset.content_sha256", is("c-" + dataset))
                .body("training.requested_by", is(member.id())).body("training.metrics.train_loss", is(1.5f))
                .body("eval.report.subjects.base.metrics.exact_match", is(0.1f));
        as(member.secret()).when().get("/api/v1/models/support/versions/1/lineage").then().statusCode(200)
                .body("model.artifact_sha256", is("art-sha")).body("job.id", is(job))
                .body("job.base_model.sha256", is(baseDigest))
                .body("dataset_version.dataset_id", is(dataset)).body("dataset_version.content_sha256", is("c-" + dataset))
                .body("dataset_version.train_sha256", is("s-" + dataset))
                .body("upload.sha256", notNullValue()).body("upload.uploaded_by", is(member.id()));
        as(member.secret()).when().get("/api/v1/datasets/" + dataset + "/versions/1/models").then().statusCode(200)
                .body("data.name", contains("support")).body("data.version", contains(1));
        as(member.secret()).when().get("/api/v1/datasets/" + dataset + "/versions/7/models").then().statusCode(404);
        as(member.secret()).when().get("/api/v1/models/support/versions/3").then().statusCode(404);
        as(member.secret()).when().get("/api/v1/models/nope").then().statusCode(404);

        // The artifact: a tar of every file under the key, or presigned URLs.
        byte[] tar = as(member.secret()).when().get("/api/v1/models/support/versions/1/artifact").then()
                .statusCode(200).contentType("application/x-tar").extract().asByteArray();
        Map<String, byte[]> entries = new TreeMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                entries.put(entry.getName(), in.readAllBytes());
            }
        }
        assertEquals(List.of("support-v1/adapter_config.json", "support-v1/adapter_model.safetensors",
                "support-v1/manifest.json"), List.copyOf(entries.keySet()));
        assertArrayEquals(files.get("adapter_model.safetensors"), entries.get("support-v1/adapter_model.safetensors"));
        var presigned = as(member.secret()).when().get("/api/v1/models/support/versions/1/artifact?presigned=true")
                .then().statusCode(200).body("files.path", contains("adapter_config.json",
                        "adapter_model.safetensors", "manifest.json")).extract().jsonPath();
        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(presigned.getString("files[1].url"))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode());
        assertArrayEquals(files.get("adapter_model.safetensors"), download.body());
        as(member.secret()).when().get("/api/v1/models/support/versions/2/artifact").then().statusCode(404);

        // Commands: promotion and rollback go to registry-service; the read model follows its events.
        as(member.secret()).contentType("application/json").body(Map.of("version", 1, "alias", "staging"))
                .when().post("/api/v1/models/support/promote").then().statusCode(202).body("alias", is("staging"));
        as(member.secret()).contentType("application/json").body(Map.of("version", 9))
                .when().post("/api/v1/models/support/promote").then().statusCode(422)
                .body("type", is("https://tuneforge.dev/problems/invalid-promotion"));
        // Aliases follow the registry's rule (Names): what it sets is taken here, what it refuses is refused here.
        as(member.secret()).contentType("application/json").body(Map.of("version", 1, "alias", "staging.v2"))
                .when().post("/api/v1/models/support/promote").then().statusCode(202);
        as(member.secret()).contentType("application/json").body(Map.of("version", 1, "alias", "previous-champion"))
                .when().post("/api/v1/models/support/promote").then().statusCode(422)
                .body("errors", hasItem("alias: previous-champion cannot be set; the registry moves it with champion"));
        as(member.secret()).contentType("application/json").body(Map.of("version", 1, "alias", "../prod"))
                .when().post("/api/v1/models/support/promote").then().statusCode(422)
                .body("errors", hasItem(startsWith("alias: must be 1-64 characters")));
        as(member.secret()).contentType("application/json").body(Map.of())
                .when().post("/api/v1/models/support/promote").then().statusCode(400);
        as(member.secret()).when().post("/api/v1/models/support/rollback").then().statusCode(202);
        as(member.secret()).when().post("/api/v1/models/nope/rollback").then().statusCode(404);
        await().atMost(WAIT).until(() -> topics.events(PromotionRequested.class, "support").stream()
                .anyMatch(p -> p.projectId().equals(project) && p.version() == 1 && p.alias().equals("staging")
                        && member.id().equals(p.requestedBy())));
        await().atMost(WAIT).until(() -> topics.events(RollbackRequested.class, "support").stream()
                .anyMatch(r -> r.projectId().equals(project)));
        // What registry-service emits when a new candidate passes and is then rolled back: every event carries the
        // whole alias map, so previous-champion comes and goes with champion; a rollback does not unpromote.
        topics.publish(new ModelRegistered(project, "support", 3, null, null, null, "candidate"), "registry-service");
        topics.publish(new ModelPromoted(project, "support", 3, "champion", 1, null,
                Map.of("champion", 3, "previous-champion", 1)), "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/support")
                .then().body("champion", is(3)).body("aliases.'previous-champion'", is(1)));
        as(member.secret()).when().get("/api/v1/models/support/versions").then().statusCode(200)
                .body("data.version", contains(1, 2, 3))
                .body("data.status", contains("promoted", "rejected", "promoted"))
                .body("data[0].aliases", contains("previous-champion")).body("data[2].aliases", contains("champion"));
        topics.publish(new ModelRolledBack(project, "support", 3, 1, member.id(), Map.of("champion", 1)),
                "registry-service");
        topics.publish(new ModelPromoted(project, "support", 1, "champion", 3, member.id(), Map.of("champion", 1)),
                "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/support")
                .then().body("champion", is(1)).body("aliases.size()", is(1)));
        as(member.secret()).when().get("/api/v1/models/support/versions").then().statusCode(200)
                .body("data.status", contains("promoted", "rejected", "promoted"))
                .body("data[0].aliases", contains("champion")).body("data[2].aliases", empty());
        // Events without the alias map (it is optional) move only the alias they name.
        topics.publish(new ModelPromoted(project, "support", 3, "champion", 1), "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/support")
                .then().body("champion", is(3)).body("aliases.size()", is(1)));
        topics.publish(new ModelRolledBack(project, "support", 3, 1), "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/support")
                .then().body("champion", is(1)));

        // Another project sees none of it.
        Gateway.Key other = Gateway.newKey(Gateway.newProject(), "admin");
        as(other.secret()).when().get("/api/v1/models").then().statusCode(200).body("data.size()", is(0));
        as(other.secret()).when().get("/api/v1/models/support/versions/1/artifact").then().statusCode(404);
        as(other.secret()).contentType("application/json").body(Map.of("version", 1))
                .when().post("/api/v1/models/support/promote").then().statusCode(404);
    }

    @Test
    void driftShowsEachVersionsWindowsInTimeOrderWithTheirDetectionsAndAWindowsReport() {
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        topics.publish(new ModelRegistered(project, "drifty", 1, null, null, null, "candidate"), "registry-service");
        topics.publish(new ModelRegistered(project, "drifty", 2, null, null, null, "candidate"), "registry-service");
        String reportKey = "projects/" + project + "/monitoring/drifty/v1/w-2/report.json";
        String report = "{\"distributions\": {\"prompt_length\": {\"edges\": [0, 10, 20], \"reference\": [0.7, 0.3],"
                + " \"current\": [0.2, 0.8]}}}";
        store.put(reportKey, report.getBytes(StandardCharsets.UTF_8), "application/json");
        Instant t0 = Instant.parse("2026-12-01T10:00:00Z");
        // As eval-service writes them, in its order: the episode's DriftDetected after its window's DriftMeasured,
        // a later window first (windows of one version may be closed out of time order), a redelivery.
        topics.publish(drift(project, 1, "w-3", t0.plusSeconds(7200), 0.31, true, null), "eval-service");
        topics.publish(drift(project, 1, "w-1", t0, 0.02, false, null), "eval-service");
        topics.publish(drift(project, 1, "w-2", t0.plusSeconds(3600), 0.4, true, reportKey), "eval-service");
        DriftMeasured w2 = drift(project, 1, "w-2", t0.plusSeconds(3600), 0.4, true, reportKey);
        topics.publish(new DriftDetected(project, "drifty", 1, "w-2", w2.windowStart(), w2.windowEnd(), 120,
                w2.metrics(), List.of("prompt_length_psi"), reportKey, w2.observationKeys()), "eval-service");
        topics.publish(w2, "eval-service");
        topics.publish(drift(project, 2, "v2-w-1", t0.plusSeconds(3600), 0.01, false, null), "eval-service");
        // A key outside the project's prefix is never read.
        topics.publish(drift(project, 2, "v2-w-2", t0.plusSeconds(7200), 0.01, false,
                "projects/elsewhere/monitoring/r.json"), "eval-service");

        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/drifty/drift")
                .then().statusCode(200).body("versions.version", contains(1, 2))
                .body("versions[0].windows.window_id", contains("w-1", "w-2", "w-3"))
                .body("versions[1].windows.window_id", contains("v2-w-1", "v2-w-2")));
        as(member.secret()).when().get("/api/v1/models/drifty/drift").then().statusCode(200)
                .body("model", is("drifty"))
                .body("versions[0].windows[1].metrics.metric", contains("prompt_length_psi", "output_validity_rate"))
                .body("versions[0].windows[1].metrics[0].score", is(0.4f))
                .body("versions[0].windows[1].metrics[0].threshold", is(0.2f))
                .body("versions[0].windows[1].metrics[0].crossed", is(true))
                .body("versions[0].windows[1].observations", is(120))
                .body("versions[0].windows[1].window_end", startsWith("2026-12-01T11:00"))
                .body("versions[0].windows[1].detected", contains("prompt_length_psi"))
                .body("versions[0].windows[1].has_report", is(true))
                .body("versions[0].windows[0].has_report", is(false))
                .body("versions[0].detections.window_id", contains("w-2"))
                .body("versions[0].detections[0].metrics", contains("prompt_length_psi"))
                .body("versions[1].detections", empty());
        as(member.secret()).when().get("/api/v1/models/drifty/drift?version=1&limit=2").then().statusCode(200)
                .body("versions.version", contains(1)).body("versions[0].windows.window_id", contains("w-2", "w-3"));
        as(member.secret()).when().get("/api/v1/models/drifty/drift?since=2026-12-01T11:00:00Z").then().statusCode(200)
                .body("versions[0].windows.window_id", contains("w-2", "w-3"))
                .body("versions[1].windows.window_id", contains("v2-w-1", "v2-w-2"));
        as(member.secret()).when().get("/api/v1/models/drifty/drift?version=9").then().statusCode(200)
                .body("versions", empty());

        String body = as(member.secret()).when().get("/api/v1/models/drifty/drift/w-2/report").then().statusCode(200)
                .contentType("application/json").extract().asString();
        assertEquals(report, body);
        as(member.secret()).when().get("/api/v1/models/drifty/drift/w-1/report").then().statusCode(404)
                .body("detail", is("model 'drifty' has no drift report for window 'w-1'"));
        as(member.secret()).when().get("/api/v1/models/drifty/drift/v2-w-2/report").then().statusCode(404);
        as(member.secret()).when().get("/api/v1/models/drifty/drift/nope/report").then().statusCode(404);
        as(member.secret()).when().get("/api/v1/models/nope/drift").then().statusCode(404);

        // Bad parameters: a problem saying which and what.
        as(member.secret()).when().get("/api/v1/models/drifty/drift?version=one").then().statusCode(400)
                .body("detail", is("query parameter 'version' must be a version number (1 or more), was 'one'"));
        as(member.secret()).when().get("/api/v1/models/drifty/drift?version=0").then().statusCode(400);
        as(member.secret()).when().get("/api/v1/models/drifty/drift?since=yesterday").then().statusCode(400)
                .body("detail", startsWith("query parameter 'since' must be a time in ISO-8601"));
        as(member.secret()).when().get("/api/v1/models/drifty/drift?limit=0").then().statusCode(400)
                .body("detail", is("query parameter 'limit' must be between 1 and 5000, was '0'"));

        // Another project sees none of it, not even the report whose key it could guess.
        Gateway.Key other = Gateway.newKey(Gateway.newProject(), "admin");
        as(other.secret()).when().get("/api/v1/models/drifty/drift").then().statusCode(404);
        as(other.secret()).when().get("/api/v1/models/drifty/drift/w-2/report").then().statusCode(404);
    }

    /** A window of {@code drifty}: prompt_length_psi at {@code psi} (threshold 0.2) and the validity rate. */
    static DriftMeasured drift(String project, int version, String windowId, Instant end, double psi, boolean crossed,
                               String reportKey) {
        return new DriftMeasured(project, "drifty", version, windowId, end.minusSeconds(3600), end, 120,
                List.of(new DriftMetric("prompt_length_psi", psi, psi, 0.2, crossed),
                        new DriftMetric("output_validity_rate", 0.0, 0.9, 0.01, false)),
                reportKey, List.of("projects/" + project + "/observations/drifty/" + windowId + ".jsonl"));
    }
}
