package dev.tuneforge.gateway;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetReport;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.TokenStats;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class DatasetApiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String JSONL = "{\"prompt\":\"2+2?\",\"completion\":\"4\"}\n";

    @Inject
    ObjectStore objects;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void anUploadIsStoredAnnouncedAndThenShowsWhatDatasetServiceSaid() throws Exception {
        String id = Gateway.as(Gateway.ADMIN).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets?name=arith&format=completion")
                .then().statusCode(202).body("status", is("validating"))
                .extract().path("id");

        TopicClient topics = new TopicClient(bootstrap);
        await().atMost(WAIT).until(() -> topics.events(DatasetUploaded.class, id).size() == 1);
        DatasetUploaded uploaded = topics.events(DatasetUploaded.class, id).get(0);
        assertEquals("default", uploaded.projectId());
        try (InputStream stored = objects.get(uploaded.objectKey())) {
            assertEquals(JSONL, new String(stored.readAllBytes(), StandardCharsets.UTF_8));
        }

        topics.publish(new DatasetReady("default", id, 1, null, "completion", uploaded.sha256(), uploaded.objectKey(),
                uploaded.sha256(), 1, null, null, 0, 1, null, null, null), "dataset-service");

        await().atMost(WAIT).untilAsserted(() -> Gateway.as(Gateway.ADMIN).when().get("/api/v1/datasets/" + id)
                .then().statusCode(200).body("status", is("ready")).body("version", is(1)).body("examples", is(1)));
    }

    @Test
    void versionsAreAddedByAppendingAndListedWithTheirReports() {
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        String id = Gateway.as(member.secret()).contentType("application/jsonl")
                .body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets?name=grows&format=completion&purpose=training")
                .then().statusCode(202).extract().path("id");
        TopicClient topics = new TopicClient(bootstrap);
        await().atMost(WAIT).until(() -> topics.events(DatasetUploaded.class, id).size() == 1);

        // Nothing to append to before dataset-service accepted a first version.
        Gateway.as(member.secret()).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets/" + id + "/versions").then().statusCode(409);

        DatasetReport report = new DatasetReport("completion", 1, 1, List.of(), List.of(), null, 0, null);
        topics.publish(new DatasetReady(project, id, 1, null, "completion", "c1", "t1", "s1", 1, "v1", "sv1", 0, 1,
                null, null, report), "dataset-service");
        await().atMost(WAIT).untilAsserted(() -> Gateway.as(member.secret()).when().get("/api/v1/datasets/" + id)
                .then().statusCode(200).body("version", is(1)));

        Gateway.as(member.secret()).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets/" + id + "/versions").then().statusCode(202)
                .body("append_to", is(1));
        await().atMost(WAIT).until(() -> topics.events(DatasetUploaded.class, id).size() == 2);
        assertEquals(1, topics.events(DatasetUploaded.class, id).get(1).appendTo());
        assertEquals("training", topics.events(DatasetUploaded.class, id).get(1).purpose(), "the dataset's purpose");
        Gateway.as(member.secret()).when().get("/api/v1/datasets/" + id).then().body("status", is("validating"));

        topics.publish(new DatasetReady(project, id, 2, 1, "completion", "c2", "t2", "s2", 3, "v2", "sv2", 1, 3,
                new TokenStats(5, 7, 9, 9, 28, 0, List.of(new TokenStats.Bucket(16, 4))), null, report), "dataset-service");
        await().atMost(WAIT).untilAsserted(() -> Gateway.as(member.secret()).when().get("/api/v1/datasets/" + id)
                .then().body("status", is("ready")).body("version", is(2)).body("examples", is(4))
                .body("report.format", is("completion")));
        Gateway.as(member.secret()).when().get("/api/v1/datasets/" + id + "/versions").then().statusCode(200)
                .body("data.version", contains(1, 2)).body("data.parent_version", contains(null, 1))
                .body("data.new_examples", contains(1, 3));
        Gateway.as(member.secret()).when().get("/api/v1/datasets/" + id + "/versions/2").then().statusCode(200)
                .body("train_key", is("t2")).body("train_sha256", is("s2")).body("token_stats.p95", is(9))
                .body("token_stats.histogram[0].up_to", is(16)).body("token_stats.histogram[0].examples", is(4));
        Gateway.as(member.secret()).when().get("/api/v1/datasets/" + id + "/versions/7").then().statusCode(404);
    }

    @Test
    void aMultipartUploadMayBringItsOwnValidationFile() throws Exception {
        String validation = "{\"prompt\":\"3+3?\",\"completion\":\"6\"}\n";
        String id = Gateway.as(Gateway.ADMIN)
                .multiPart("file", "train.jsonl", JSONL.getBytes(StandardCharsets.UTF_8), "application/jsonl")
                .multiPart("validation_file", "validation.jsonl", validation.getBytes(StandardCharsets.UTF_8),
                        "application/jsonl")
                .multiPart("name", "with-validation")
                .when().post("/api/v1/datasets").then().statusCode(202).extract().path("id");
        TopicClient topics = new TopicClient(bootstrap);
        await().atMost(WAIT).until(() -> topics.events(DatasetUploaded.class, id).size() == 1);
        DatasetUploaded uploaded = topics.events(DatasetUploaded.class, id).get(0);
        try (InputStream stored = objects.get(uploaded.validationObjectKey())) {
            assertEquals(validation, new String(stored.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void anUploadOverTheLimitIsRefusedBeforeItIsStored() {
        byte[] tooBig = new byte[3 * 1024 * 1024]; // the test profile allows 2 MB
        Arrays.fill(tooBig, (byte) 'x');
        Gateway.as(Gateway.ADMIN).contentType("application/jsonl").body(tooBig)
                .when().post("/api/v1/datasets?name=huge").then().statusCode(413)
                .body("type", is("https://tuneforge.dev/problems/payload-too-large"));
        Gateway.as(Gateway.ADMIN).contentType("application/jsonl").body(tooBig)
                .when().post("/api/v1/datasets/ds_any/versions").then().statusCode(413);
    }

    @Test
    void anUploadsNamesAreCheckedBeforeAnythingIsStored() {
        Gateway.Key member = Gateway.newKey(Gateway.newProject(), "member");
        Gateway.as(member.secret()).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .queryParam("name", "ok").queryParam("base_model", "../../etc")
                .when().post("/api/v1/datasets").then().statusCode(422).contentType("application/problem+json")
                .body("type", is("https://tuneforge.dev/problems/invalid-upload"))
                .body("errors", contains(startsWith("base_model: must be 1-64 characters of a-z, 0-9")));
        Gateway.as(member.secret()).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .queryParam("name", "two\nlines").queryParam("base_model", "Tiny Llama")
                .when().post("/api/v1/datasets").then().statusCode(422)
                .body("errors", contains(startsWith("name: must not contain control characters"),
                        startsWith("base_model: must be")));
        Gateway.as(member.secret())
                .multiPart("file", "train.jsonl", JSONL.getBytes(StandardCharsets.UTF_8), "application/jsonl")
                .multiPart("name", "ok").multiPart("base_model", "..")
                .when().post("/api/v1/datasets").then().statusCode(422)
                .body("errors", contains(startsWith("base_model: must be")));
        Gateway.as(member.secret()).when().get("/api/v1/datasets").then().statusCode(200).body("data.size()", is(0));
    }

    @Test
    void anUploadWithoutANameIsAProblem() {
        Gateway.as(Gateway.ADMIN).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets")
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", is("https://tuneforge.dev/problems/missing-parameter"))
                .body("detail", containsString("'name'"));
    }

    @Test
    void anUnknownDatasetIsNotFound() {
        Gateway.as(Gateway.ADMIN).when().get("/api/v1/datasets/ds_nope").then().statusCode(404)
                .body("type", is("https://tuneforge.dev/problems/not-found"));
    }

    @Test
    void datasetsAreListedInPagesOfTheCallersProjectOnly() {
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        for (int i = 0; i < 3; i++) {
            Gateway.as(member.secret()).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                    .when().post("/api/v1/datasets?name=page-" + i).then().statusCode(202);
        }
        var first = Gateway.as(member.secret()).when().get("/api/v1/datasets?limit=2")
                .then().statusCode(200).body("data.size()", is(2)).body("has_more", is(true))
                .body("data[0].name", is("page-0")).extract().jsonPath();
        Gateway.as(member.secret()).queryParam("after", first.getString("next_after"))
                .when().get("/api/v1/datasets?limit=2")
                .then().statusCode(200).body("data.size()", is(1)).body("has_more", is(false))
                .body("data[0].name", is("page-2"));
        Gateway.as(member.secret()).when().get("/api/v1/datasets?after=garbage").then().statusCode(400)
                .body("type", is("https://tuneforge.dev/problems/invalid-parameter"));
    }

    @Test
    void anUploadIsLimitedInSize() {
        byte[] big = new byte[3 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        Gateway.as(Gateway.ADMIN).contentType("application/jsonl").body(big)
                .when().post("/api/v1/datasets?name=big").then().statusCode(413)
                .contentType("application/problem+json")
                .body("type", is("https://tuneforge.dev/problems/payload-too-large"));
    }

    @Test
    void readyWhenBrokerDatabaseAndObjectStoreAre() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }
}
