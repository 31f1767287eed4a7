package dev.tuneforge.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code serve --adapters DIR} (docs/WORKER_PROTOCOL.md, "Many adapters in one server") as a client sees it: one
 * server per runtime over the fixture and a directory of two LoRA adapters of that runtime's LoRA run (its final
 * adapter and its step-4 checkpoint, so no extra training), chosen per request by {@code model}. Each adapter must
 * answer a greedy request exactly as a server of that adapter alone does; an unknown id is a 404
 * {@code model_not_found}; {@code /v1/models} and {@code /health} show what is loaded. The ids hold '.' and ':',
 * which PEFT adapter names cannot, so a runtime must map them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiAdapterServeTest {

    private static final String FINAL = "json-bot";
    private static final String STEP_4 = "json-bot.step:4";
    private static final String CHAT = """
            {"max_tokens": 8, "temperature": 0, "messages": [
              {"role": "system", "content": "Answer with JSON only."},
              {"role": "user", "content": "Give me a JSON object with name Ada and age 36"}]}""";

    private final Map<Runtime, ServeProcess> servers = new EnumMap<>(Runtime.class);
    private final Map<Runtime, Path> libraries = new EnumMap<>(Runtime.class);

    /** {@code adapters/<id>} per adapter: PEFT's two files of the run's output, as the gateway stages them. */
    private Path library(Runtime runtime) {
        return libraries.computeIfAbsent(runtime, r -> {
            WorkerRun.Outcome lora = Suite.lora(r);
            Path out = Path.of(lora.last(WorkerEvent.Finished.class).outputs().get("adapter"));
            Path library = Conformance.workspace("serve-adapters", r.wireName(), "adapters");
            stage(out, library.resolve(FINAL));
            stage(out.resolveSibling("checkpoint-" + Suite.LORA_EVERY), library.resolve(STEP_4));
            return library;
        });
    }

    private ServeProcess server(Runtime runtime) {
        return servers.computeIfAbsent(runtime, r -> ServeProcess.startWithAdapters(r, Suite.fixtureModel(),
                library(r), Conformance.workspace("serve-adapters", r.wireName(), "server")));
    }

    @AfterAll
    void stopServers() {
        servers.values().forEach(ServeProcess::close);
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void eachAdapterAnswersExactlyAsAServerOfThatAdapterAlone(Runtime runtime) throws Exception {
        Map<String, String> alone = new LinkedHashMap<>();
        for (String id : List.of(FINAL, STEP_4)) {
            try (ServeProcess single = ServeProcess.start(runtime, Suite.fixtureModel(), library(runtime).resolve(id),
                    Conformance.workspace("serve-adapters", runtime.wireName(), "alone-" + alone.size()))) {
                alone.put(id, answer(single, null).get("choices").get(0).get("message").get("content").asText());
            }
        }
        assertNotEquals(alone.get(FINAL), alone.get(STEP_4), "two different adapters, two different answers");

        ServeProcess server = server(runtime);
        assertEquals(Suite.fixtureModel().getFileName().toString(), server.serving().model(),
                "the base model's id is its directory's name");
        for (String id : List.of(STEP_4, FINAL, STEP_4)) {
            JsonNode body = answer(server, id);
            assertEquals(id, body.get("model").asText(), body.toString());
            assertEquals(alone.get(id), body.get("choices").get(0).get("message").get("content").asText(),
                    id + " in a server of two adapters");
        }
        JsonNode base = answer(server, null);
        assertEquals(server.serving().model(), base.get("model").asText(), "no model: the base model");
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void anUnknownOrClimbingModelIsA404ModelNotFound(Runtime runtime) throws IOException {
        ServeProcess server = server(runtime);
        for (String id : List.of("no-such-adapter", "../" + FINAL)) {
            HttpResponse<String> response = server.post("/v1/chat/completions", request(id));
            assertEquals(404, response.statusCode(), id + ": " + response.body());
            JsonNode error = Layout.JSON.readTree(response.body()).get("error");
            assertEquals("invalid_request_error", error.get("type").asText(), error.toString());
            assertEquals("model_not_found", error.get("code").asText(), error.toString());
            assertEquals("model", error.get("param").asText(), error.toString());
        }
    }

    @Order(3)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Runtime.class)
    void modelsListTheBaseModelThenTheLoadedAdaptersMostRecentlyUsedFirstAndHealthCountsThem(Runtime runtime)
            throws Exception {
        ServeProcess server = server(runtime);
        answer(server, FINAL);
        List<String> ids = new ArrayList<>();
        ok(server.get("/v1/models")).get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertEquals(List.of(server.serving().model(), FINAL, STEP_4), ids);
        assertEquals(Layout.JSON.readTree("{\"status\": \"ok\", \"adapters_loaded\": 2}"), ok(server.get("/health")));

        WorkerExit exit = server.terminate();
        assertEquals(ExitCode.TERMINATED, exit.code(), exit.describe() + "\n" + server.describe());
        assertEquals(WorkerEvent.Stopped.class, server.events().getLast().getClass(), server.describe());
    }

    private static String request(String model) throws IOException {
        ObjectNode request = (ObjectNode) Layout.JSON.readTree(CHAT);
        if (model != null) {
            request.put("model", model);
        }
        return request.toString();
    }

    private static JsonNode answer(ServeProcess server, String model) throws IOException {
        return ok(server.post("/v1/chat/completions", request(model)));
    }

    private static JsonNode ok(HttpResponse<String> response) throws IOException {
        assertEquals(200, response.statusCode(), response.body());
        return Layout.JSON.readTree(response.body());
    }

    private static void stage(Path adapter, Path to) {
        try {
            Files.createDirectories(to);
            for (String file : List.of("adapter_config.json", "adapter_model.safetensors")) {
                Files.copy(adapter.resolve(file), to.resolve(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
