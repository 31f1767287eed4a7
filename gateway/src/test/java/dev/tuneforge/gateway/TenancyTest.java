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
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tenancy and roles, driven by the OpenAPI document so that a new endpoint is covered the day it appears:
 * for every operation, a key of project P, whatever its role, given every identifier project Q owns (in the path,
 * in every query parameter, as a stream's resume point), never sees anything of Q and changes nothing of Q; a
 * revoked key and no key get 401 everywhere. Within P, with P's own identifiers: a read-only key is refused (403)
 * every operation but a GET and changes nothing; an operation whose security requirement names roles refuses every
 * other key (403) and changes nothing, the document names such roles for every operation on keys and every change
 * of projects (so a member manages neither), and an operation that names none refuses no member.
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
        /** A live event stream to follow (a GET); a chat completion may answer as one too, to a POST. */
        boolean streams() {
            return method.equals("get") && spec.path("responses").toString().contains("text/event-stream");
        }

        String requestType() {
            Iterator<String> types = spec.path("requestBody").path("content").fieldNames();
            return types.hasNext() ? types.next() : null;
        }

        /** The roles its security requirement names ({@code admin}, {@code platform-admin}); none: any key's. */
        List<String> roles(JsonNode document) {
            JsonNode security = spec.has("security") ? spec.get("security") : document.path("security");
            List<String> roles = new ArrayList<>();
            security.forEach(requirement -> requirement.path("apiKey").forEach(role -> roles.add(role.asText())));
            return roles;
        }

        /** The path with each parameter filled in: integers with 1, anything else with {@code id}. */
        String pathWith(JsonNode document, String id) {
            Map<String, String> types = new java.util.HashMap<>();
            JsonNode parameters = document.path("paths").path(path).path("parameters");
            for (JsonNode list : List.of(parameters, spec.path("parameters"))) {
                list.forEach(p -> types.put(p.path("name").asText(), p.path("schema").path("type").asText()));
            }
            return PATH_PARAM.matcher(path).replaceAll(match -> {
                String name = match.group().substring(1, match.group().length() - 1);
                return java.util.regex.Matcher.quoteReplacement("integer".equals(types.get(name)) ? "1" : id);
            });
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
    private Gateway.Key pMember;
    private Gateway.Key pReader;
    private String pDataset;
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
        pMember = Gateway.newKey(pId, "member");
        pReader = Gateway.newKey(pId, "read-only");
        pDataset = as(p.secret()).contentType("application/jsonl")
                .body("{\"prompt\":\"p\",\"completion\":\"p\"}\n".getBytes())
                .when().post("/api/v1/datasets?name=p-data").then().statusCode(202).extract().path("id");

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
            for (Gateway.Key key : List.of(p, pMember, pReader)) {
                // Whatever any role of P is answered (a list, a refusal) holds nothing of Q.
                assertNoneOfQ(operation + " as " + key.role(), call(key.secret(), operation, operation.path(), Map.of())
                        .asString());
            }
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
                assertErrorShape(path, response);
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

    @Test
    void aReadOnlyKeyIsRefusedEveryOperationButAGetAndChangesNothing() throws Exception {
        JsonNode document = document();
        Map<String, String> before = projectP(document);
        int refused = 0;
        for (Operation operation : operations(document)) {
            if (operation.method().equals("get")) {
                continue;
            }
            for (String id : pIds()) {
                String path = operation.pathWith(document, id);
                Response response = call(pReader.secret(), operation, path, Map.of());
                assertEquals(403, response.statusCode(), operation + " at " + path + " as read-only: " + response.asString());
                assertErrorShape(path, response);
                refused++;
            }
        }
        assertTrue(refused > 20, "refused operations: " + refused);
        assertEquals(before, projectP(document), "what P's admin sees after the read-only key's attempts");
    }

    @Test
    void everyRoleTheDocumentNamesIsEnforcedAndAMemberManagesNoKeysOrProjects() throws Exception {
        JsonNode document = document();
        List<Operation> operations = operations(document);
        // The document names the roles of everything that manages keys or projects.
        List<String> undeclared = new ArrayList<>();
        for (Operation operation : operations) {
            boolean keys = operation.path().startsWith("/api/v1/keys");
            boolean projectChange = operation.path().startsWith("/api/v1/projects") && !operation.method().equals("get");
            List<String> roles = operation.roles(document);
            if ((keys || projectChange) && (roles.isEmpty() || !Set.of("admin", "platform-admin").containsAll(roles))) {
                undeclared.add(operation + " " + roles);
            }
        }
        assertEquals(List.of(), undeclared, "operations on keys or changing projects must name admin roles");

        Map<String, String> before = projectP(document);
        int refused = 0;
        for (Operation operation : operations) {
            List<String> roles = operation.roles(document);
            if (roles.isEmpty()) {
                continue;
            }
            for (Gateway.Key key : List.of(p, pMember, pReader)) {
                if (roles.contains(key.role())) {
                    continue; // P's admin is no platform admin
                }
                for (String id : pIds()) {
                    String path = operation.pathWith(document, id);
                    Response response = call(key.secret(), operation, path, Map.of());
                    assertEquals(403, response.statusCode(),
                            operation + " " + roles + " at " + path + " as " + key.role() + ": " + response.asString());
                    refused++;
                }
            }
        }
        assertTrue(refused > 20, "refused calls: " + refused);
        assertEquals(before, projectP(document), "what P's admin sees after the refused calls");

        // And the document names every restriction: an operation that names no role refuses no member.
        for (Operation operation : operations) {
            if (!operation.roles(document).isEmpty()) {
                continue;
            }
            for (String id : pIds()) {
                String path = operation.pathWith(document, id);
                Response response = call(pMember.secret(), operation, path, Map.of());
                assertNotEquals(403, response.statusCode(), operation + " at " + path + " refused a member, but its"
                        + " security requirement names no role: " + response.asString());
            }
        }
    }

    /** P's own identifiers, each put in every path parameter in turn. */
    private List<String> pIds() {
        return List.of(p.project(), pDataset, pMember.id(), pReader.id(), "p-data");
    }

    /**
     * Everything P's admin can read, operation by operation and identifier by identifier: what an operation
     * that changed nothing leaves as it was. Waits until P's upload is in its event list, so the projection of
     * that event does not change it later.
     */
    private Map<String, String> projectP(JsonNode document) throws Exception {
        await().atMost(WAIT).untilAsserted(() -> as(p.secret()).when().get("/api/v1/events?after=0")
                .then().statusCode(200).body("data.size()", is(1)));
        Map<String, String> seen = new java.util.TreeMap<>();
        for (Operation operation : operations(document)) {
            if (!operation.method().equals("get")) {
                continue;
            }
            for (String id : pIds()) {
                String path = operation.pathWith(document, id);
                Response response = call(p.secret(), operation, path, Map.of());
                seen.put(path, response.statusCode() + " " + response.asString());
            }
        }
        return seen;
    }

    private static JsonNode document() throws Exception {
        return JSON.readTree(RestAssured.when().get("/q/openapi?format=json").then().statusCode(200)
                .extract().asString());
    }

    private List<Operation> operations() throws Exception {
        return operations(document());
    }

    private static List<Operation> operations(JsonNode document) {
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


    /** A problem document, or under /v1 OpenAI's error (what the official SDKs read). */
    private static void assertErrorShape(String path, Response response) {
        if (path.startsWith("/v1/")) {
            assertEquals("application/json", response.contentType().split(";")[0], path);
            assertTrue(response.jsonPath().getString("error.message") != null, path + ": " + response.asString());
            assertTrue(response.jsonPath().getString("error.type") != null, path + ": " + response.asString());
        } else {
            assertEquals("application/problem+json", response.contentType().split(";")[0], path);
        }
    }
}
