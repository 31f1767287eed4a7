package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code serve} as a client of the OpenAI API sees it: one server per runtime (the fixture with the runtime's own
 * LoRA adapter), asked over HTTP, then stopped with SIGTERM by the last test. Greedy requests, so a streamed answer
 * can be compared with the same request's unstreamed one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeTest {

    private static final String CHAT = """
            {"model": "any", "max_tokens": 8, "temperature": 0, "messages": [
              {"role": "system", "content": "Answer with JSON only."},
              {"role": "user", "content": "Give me a JSON object with name Ada and age 36"}]}""";
    private static final String COMPLETION = """
            {"model": "any", "max_tokens": 8, "temperature": 0, "prompt": "Fine-tuning adapts a model"}""";

    private final Map<Runtime, ServeProcess> servers = new EnumMap<>(Runtime.class);

    private ServeProcess server(Runtime runtime) {
        return servers.computeIfAbsent(runtime, r -> {
            Path adapter = Path.of(Suite.lora(r).last(WorkerEvent.Finished.class).outputs().get("adapter"));
            return ServeProcess.start(r, Suite.fixtureModel(), adapter, Conformance.workspace("serve", r.wireName()));
        });
    }

    @AfterAll
    void stopServers() {
        servers.values().forEach(ServeProcess::close);
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void servePrintsServingWithTheBoundPortAndAnswersHealthAndModels(Runtime runtime) throws IOException {
        ServeProcess server = server(runtime);
        WorkerEvent.Serving serving = server.serving();
        assertEquals("127.0.0.1", serving.host());
        assertTrue(serving.port() > 0, "the bound port, not 0");
        assertEquals("http://127.0.0.1:" + serving.port() + "/v1", serving.url());
        assertEquals("adapter", serving.model(), "named after the adapter's directory");

        HttpResponse<String> health = server.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals(Layout.JSON.readTree("{\"status\": \"ok\"}"), Layout.JSON.readTree(health.body()));
        JsonNode models = ok(server.get("/v1/models"));
        assertEquals("list", models.get("object").asText());
        assertEquals(1, models.get("data").size(), models.toString());
        JsonNode model = models.get("data").get(0);
        assertEquals(serving.model(), model.get("id").asText());
        assertEquals("model", model.get("object").asText());
        assertTrue(model.has("created") && model.has("owned_by"), model.toString());
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void chatCompletionsAnswerInOpenAisShape(Runtime runtime) throws IOException {
        ServeProcess server = server(runtime);
        JsonNode body = ok(server.post("/v1/chat/completions", CHAT));

        JsonNode choice = onlyChoice(body, "chat.completion", server);
        assertTrue(body.get("id").asText().startsWith("chatcmpl-"), body.toString());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertTrue(choice.get("message").get("content").isTextual(), body.toString());
        assertTrue(choice.get("logprobs").isNull(), body.toString());
        assertUsage(body, choice);
    }

    @Order(3)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void completionsAnswerInOpenAisShape(Runtime runtime) throws IOException {
        ServeProcess server = server(runtime);
        JsonNode body = ok(server.post("/v1/completions", COMPLETION));

        JsonNode choice = onlyChoice(body, "text_completion", server);
        assertTrue(choice.get("text").isTextual(), body.toString());
        assertUsage(body, choice);
    }

    @Order(4)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void streamedChatPiecesJoinToTheTextOfTheSameRequestWithoutStream(Runtime runtime) throws IOException {
        ServeProcess server = server(runtime);
        JsonNode whole = ok(server.post("/v1/chat/completions", CHAT)).get("choices").get(0);
        List<JsonNode> chunks = stream(server, "/v1/chat/completions", CHAT);

        chunks.forEach(c -> assertEquals("chat.completion.chunk", c.get("object").asText(), c.toString()));
        assertEquals(Layout.JSON.readTree("{\"role\": \"assistant\", \"content\": \"\"}"),
                chunks.getFirst().get("choices").get(0).get("delta"), "the first delta names the role");
        JsonNode last = chunks.getLast().get("choices").get(0);
        assertEquals(0, last.get("delta").size(), "the last delta is empty: " + last);
        assertEquals(whole.get("finish_reason"), last.get("finish_reason"));
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks.subList(1, chunks.size() - 1)) {
            JsonNode choice = chunk.get("choices").get(0);
            assertEquals(Set.of("content"), Layout.keys(choice.get("delta")), chunk.toString());
            assertTrue(choice.get("finish_reason").isNull(), chunk.toString());
            text.append(choice.get("delta").get("content").asText());
        }
        assertEquals(whole.get("message").get("content").asText(), text.toString());
    }

    @Order(5)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void streamedCompletionPiecesJoinToTheTextOfTheSameRequestWithoutStream(Runtime runtime) throws IOException {
        ServeProcess server = server(runtime);
        JsonNode whole = ok(server.post("/v1/completions", COMPLETION)).get("choices").get(0);
        List<JsonNode> chunks = stream(server, "/v1/completions", COMPLETION);

        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            assertEquals("text_completion", chunk.get("object").asText(), chunk.toString());
            text.append(chunk.get("choices").get(0).get("text").asText());
        }
        assertEquals(whole.get("text").asText(), text.toString());
        assertEquals(whole.get("finish_reason"), chunks.getLast().get("choices").get(0).get("finish_reason"));
    }

    @Order(6)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void sigtermStopsTheServerWithAStoppedEventAndExit143(Runtime runtime) throws InterruptedException {
        ServeProcess server = server(runtime);
        server.serving();
        WorkerExit exit = server.terminate();

        assertEquals(ExitCode.TERMINATED, exit.code(), exit.describe() + "\n" + server.describe());
        List<WorkerEvent> events = server.events();
        assertEquals(2, events.size(), server.describe());
        assertInstanceOf(WorkerEvent.Serving.class, events.getFirst());
        WorkerEvent.Stopped stopped = assertInstanceOf(WorkerEvent.Stopped.class, events.getLast());
        assertEquals(0, stopped.step());
        assertNull(stopped.checkpoint());
    }

    @Order(7)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void aServerStopsOnItsOwnOnceItsParentIsGone(Runtime runtime) throws Exception {
        Process parent = new ProcessBuilder("sleep", "600").start(); // stands in for a gateway killed with SIGKILL
        Path adapter = Path.of(Suite.lora(runtime).last(WorkerEvent.Finished.class).outputs().get("adapter"));
        ServeProcess server = ServeProcess.start(runtime, Suite.fixtureModel(), adapter,
                Conformance.workspace("serve-orphan", runtime.wireName()), "--parent-pid", Long.toString(parent.pid()));
        try {
            server.serving();
            parent.destroyForcibly().waitFor();
            WorkerExit exit = server.awaitExit(60);

            assertEquals(ExitCode.TERMINATED, exit.code(), exit.describe() + "\n" + server.describe());
            WorkerEvent.Stopped stopped = assertInstanceOf(WorkerEvent.Stopped.class, server.events().getLast());
            assertEquals("parent " + parent.pid() + " exited", stopped.reason());
        } finally {
            server.close();
            parent.destroyForcibly();
        }
    }

    /** A response's envelope: its object, id, time and the served model's name; its one choice. */
    private static JsonNode onlyChoice(JsonNode body, String object, ServeProcess server) {
        assertEquals(object, body.get("object").asText(), body.toString());
        assertTrue(body.get("id").isTextual(), body.toString());
        assertTrue(body.get("created").isIntegralNumber(), body.toString());
        assertEquals(server.serving().model(), body.get("model").asText());
        assertEquals(1, body.get("choices").size(), body.toString());
        JsonNode choice = body.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        return choice;
    }

    /** usage counts the prompt and the generated tokens; a budget of 8 ends with length or before it with stop. */
    private static void assertUsage(JsonNode body, JsonNode choice) {
        JsonNode usage = body.get("usage");
        int prompt = usage.get("prompt_tokens").asInt();
        int completion = usage.get("completion_tokens").asInt();
        assertTrue(prompt > 0, usage.toString());
        assertEquals(prompt + completion, usage.get("total_tokens").asInt(), usage.toString());
        String finish = choice.get("finish_reason").asText();
        assertTrue(finish.equals("stop") && completion < 8 || finish.equals("length") && completion == 8,
                body.toString());
    }

    private static JsonNode ok(HttpResponse<String> response) throws IOException {
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                response.headers().toString());
        return Layout.JSON.readTree(response.body());
    }

    /** The request with {@code stream: true}: its {@code data:} events up to {@code [DONE]}, which must end it. */
    private static List<JsonNode> stream(ServeProcess server, String path, String request) throws IOException {
        ObjectNode streamed = (ObjectNode) Layout.JSON.readTree(request);
        streamed.put("stream", true);
        HttpResponse<String> response = server.post(path, streamed.toString());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"),
                response.headers().toString());
        List<String> events = new ArrayList<>(List.of(response.body().strip().split("\n\n")));
        assertEquals("data: [DONE]", events.removeLast(), response.body());
        List<JsonNode> chunks = new ArrayList<>();
        for (String event : events) {
            assertTrue(event.startsWith("data: "), response.body());
            chunks.add(Layout.JSON.readTree(event.substring("data: ".length())));
        }
        assertTrue(chunks.size() >= 2, response.body());
        return chunks;
    }
}
