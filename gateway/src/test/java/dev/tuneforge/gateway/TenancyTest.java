package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tenancy, driven by the OpenAPI document so that a new endpoint is covered the day it appears:
 * for every operation, a key of project P, given every identifier project Q owns (in the path, in
 * every query parameter, as a stream's resume point), never sees anything of Q and changes nothing of
 * Q; a revoked key and no key get 401 everywhere.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
class TenancyTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PATH_PARAM = Pattern.compile("\\{[^}]+}");
    private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");

    /** An operation of the OpenAPI document. */
    record Operation(String method, String path, JsonNode spec) {
        boolean streams() {
            return spec.path("responses").toString().contains("text/event-stream");
        }

        String requestType() {
            Iterator<String> types = spec.path("requestBody").path("content").fieldNames();
            return types.hasNext() ? types.next() : null;
        }

        List<String> queryParameters() {
            List<String> names = new ArrayList<>();
            spec.path("parameters").forEach(p -> {
                if ("query".equals(p.path("in").asText())) {
                    names.add(p.path("name").asText());
                }
            });
            return names;
        }

        @Override
        public String toString() {
            return method.toUpperCase() + " " + path;
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @TestHTTPResource("/")
    URL base;

    private Gateway.Key p;
    private Gateway.Key qAdmin;
    private Gateway.Key qMember;
    private String q;
    private String qDataset;
    private String qJob;
    private String qEventSeq;
    private List<String> qMarkers;

    @BeforeEach
    void twoProjects() {
        String pId = Gateway.newProject();
        p = Gateway.newKey(pId, "admin");
        as(p.secret()).contentType("application/jsonl").body("{\"prompt\":\"p\",\"completion\":\"p\"}\n".getBytes())
                .when().post("/api/v1/datasets?name=p-data").then().statusCode(202);

        q = Gateway.newProject();
        qAdmin = Gateway.newKey(q, "admin");
        qMember = Gateway.newKey(q, "member");
        String qName = "q-secret-" + q;
        qDataset = as(qMember.secret()).contentType("application/jsonl")
                .body("{\"prompt\":\"q\",\"completion\":\"q\"}\n".getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets?name=" + qName).then().statusCode(202).extract().path("id");
        qJob = "job-of-" + q;
        new TopicClient(bootstrap).publish(new TrainingStarted(q, qJob, 1, "djl", "cpu-0", null), "trainer-service");
        await().atMost(WAIT).untilAsserted(() -> as(qAdmin.secret()).when().get("/api/v1/events?after=0")
                .then().statusCode(200).body("data.size()", is(2)));
        qEventSeq = as(qAdmin.secret()).when().get("/api/v1/events?after=0").then().extract().path("data[0].seq")
                .toString();
        qMarkers = List.of(q, qDataset, qName, qJob, qAdmin.id(), qMember.id(), qAdmin.secret(), qMember.secret());
    }

    @Test
    void aKeyOfOneProjectCannotReadListStreamOrChangeAnythingOfAnother() throws Exception {
        List<Operation> operations = operations();
        assertTrue(operations.size() >= 12, "the OpenAPI document lists the API: " + operations);
        List<String> qIds = List.of(q, qDataset, qJob, qMember.id(), qAdmin.id(), qEventSeq);
        int calls = 0;
        for (Operation operation : operations) {
            if (PATH_PARAM.matcher(operation.path()).find()) {
                for (String id : qIds) {
                    Response response = call(p.secret(), operation, operation.path().replaceAll(PATH_PARAM.pattern(), id), Map.of());
                    assertTrue(Set.of(403, 404).contains(response.statusCode()),
                            operation + " with " + id + " answered " + response.statusCode() + ": " + response.asString());
                    // The problem may quote the id P sent; it must show nothing else of Q.
                    assertNoneOfQ(operation + " with " + id, response.asString().replace(id, "<sent>"));
                    calls++;
                }
                continue;
            }
            assertNoneOfQ(operation.toString(), call(p.secret(), operation, operation.path(), Map.of()).asString());
            for (String parameter : operation.queryParameters()) {
                for (String id : qIds) {
                    Response response = call(p.secret(), operation, operation.path(), Map.of(parameter, id));
                    assertTrue(response.statusCode() < 500, operation + "?" + parameter + "=" + id + ": " + response.statusCode());
                    // An id P sent may come back as P's own input (a dataset named like it); nothing else may.
                    assertNoneOfQ(operation + "?" + parameter + "=" + id, response.asString().replace(id, "<sent>"));
                    calls++;
                }
            }
            if (operation.streams()) {
                // Replaying from the very beginning still shows P's events only.
                try (SseClient stream = SseClient.open(URI.create(base + operation.path().substring(1)), p.secret(), "0")) {
                    List<SseClient.Event> events = stream.drain(Duration.ofSeconds(2));
                    assertFalse(events.isEmpty(), "P sees its own events");
                    events.forEach(event -> assertNoneOfQ("the event stream", event.data()));
                }
            }
        }
        assertTrue(calls > 30, "calls with Q's identifiers: " + calls);

        // Nothing of Q changed: its keys work, its dataset is there.
        as(qMember.secret()).when().get("/api/v1/me").then().statusCode(200);
        as(qAdmin.secret()).when().get("/api/v1/datasets/" + qDataset).then().statusCode(200);
        as(qAdmin.secret()).when().get("/api/v1/keys").then().statusCode(200).body("data.size()", is(2));
    }

    @Test
    void withoutAKeyOrWithARevokedKeyEveryOperationIs401() throws Exception {
        Gateway.Key revoked = Gateway.newKey(q, "admin");
        as(qAdmin.secret()).when().post("/api/v1/keys/" + revoked.id() + "/revoke").then().statusCode(200);
        for (Operation operation : operations()) {
            String path = operation.path().replaceAll(PATH_PARAM.pattern(), qDataset);
            for (String key : new String[] {null, revoked.secret()}) {
                Response response = call(key, operation, path, Map.of());
                assertEquals(401, response.statusCode(), operation + (key == null ? " without a key" : " revoked"));
                assertEquals("application/problem+json", response.contentType().split(";")[0]);
                assertNoneOfQ(operation.toString(), response.asString());
                if (operation.streams()) {
                    try (SseClient stream = SseClient.open(URI.create(base + path.substring(1)), key, "0")) {
                        await().atMost(WAIT).until(() -> stream.status() != 0);
                        assertEquals(401, stream.status());
                    }
                }
            }
        }
    }

    private List<Operation> operations() throws Exception {
        JsonNode document = JSON.readTree(RestAssured.when().get("/q/openapi?format=json").then().statusCode(200)
                .extract().asString());
        List<Operation> operations = new ArrayList<>();
        // Reads first: what P creates while being probed (a dataset named like Q's id) is P's own.
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            if (METHODS.contains(op.getKey())) {
                operations.add(new Operation(op.getKey(), path.getKey(), op.getValue()));
            }
        }));
        operations.sort(java.util.Comparator.comparing(operation -> !operation.method().equals("get")));
        return operations;
    }

    private static Response call(String key, Operation operation, String path, Map<String, String> query) {
        RequestSpecification request = key == null ? RestAssured.given() : as(key);
        request = request.queryParams(query).accept("application/json");
        String type = operation.requestType();
        if (type != null) {
            byte[] body = type.contains("json") && !type.contains("jsonl")
                    ? "{}".getBytes(StandardCharsets.UTF_8)
                    : "{\"prompt\":\"x\",\"completion\":\"y\"}\n".getBytes(StandardCharsets.UTF_8);
            request = request.contentType(type).body(body);
        }
        return request.when().request(operation.method().toUpperCase(), path);
    }

    private void assertNoneOfQ(String where, String body) {
        for (String marker : qMarkers) {
            assertFalse(body.contains(marker), where + " leaked '" + marker + "' of project " + q + ": " + body);
        }
    }

}
