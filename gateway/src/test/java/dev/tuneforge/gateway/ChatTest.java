package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.gateway.domain.ChatTarget;
import dev.tuneforge.gateway.domain.ChatTargets;
import dev.tuneforge.gateway.worker.ServerPool;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.safetensors.DType;
import dev.tuneforge.worker.safetensors.SafetensorsWriter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
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
import java.util.Random;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chat through the gateway: {@code /v1/chat/completions} names a registered model (its champion, a version,
 * an alias) or a base model; the gateway stages it from S3, starts a real {@code worker serve} (from
 * ../worker/target) and proxies the request, streamed or not; each chat becomes an observation.
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "gateway"))
@QuarkusTestResource(RemoteServe.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the first counts the servers from an empty pool
class ChatTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    DirectorySync sync;
    @Inject
    ObjectStore store;
    @Inject
    ServerPool servers;
    @Inject
    ChatTargets targets;
    @TestHTTPResource("/")
    URL url;
    @ConfigProperty(name = "tuneforge.serving.djl-home")
    String djlHome;

    @Test
    @Order(1)
    void theChampionAVersionAnAliasAndABaseModelAnswerStreamedOrNot() throws Exception {
        Chatting chatting = newProjectWith("chatty", 1);
        TopicClient topics = chatting.topics();
        String project = chatting.project();
        Gateway.Key member = chatting.member();
        Path adapter = chatting.adapter();
        topics.publish(new ModelPromoted(project, "chatty", 1, "champion", null), "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/chatty")
                .then().statusCode(200).body("champion", is(1)));

        // The champion, not streamed.
        as(member.secret()).contentType("application/json").body(chat("chatty", false))
                .when().post("/v1/chat/completions").then().statusCode(200)
                .body("object", is("chat.completion")).body("model", is("chatty"))
                .body("system_fingerprint", is("chatty:1")).body("choices[0].message.role", is("assistant"))
                .body("choices[0].finish_reason", org.hamcrest.Matchers.anyOf(is("stop"), is("length")))
                .body("usage.completion_tokens", org.hamcrest.Matchers.lessThanOrEqualTo(4));
        String baseServer = ChatTarget.baseServerKey(BaseModels.TINY);
        assertEquals(List.of(baseServer), servers.keys(), "a version is served by its base model's server");
        long pid = servers.pids().get(baseServer);

        // An alias, streamed: the worker's events passed through, each naming the model asked for.
        String stream = as(member.secret()).contentType("application/json").body(chat("chatty@champion", true))
                .when().post("/v1/chat/completions").then().statusCode(200)
                .contentType(startsWith("text/event-stream")).extract().asString();
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : stream.split("\n")) {
            if (line.startsWith("data: {")) {
                chunks.add(JSON.readTree(line.substring(6)));
            }
        }
        assertFalse(chunks.isEmpty(), stream);
        chunks.forEach(chunk -> {
            assertEquals("chat.completion.chunk", chunk.path("object").asText(), stream);
            assertEquals("chatty@champion", chunk.path("model").asText(), stream);
            assertEquals("chatty:1", chunk.path("system_fingerprint").asText(), stream);
        });
        assertEquals("assistant", chunks.get(0).path("choices").path(0).path("delta").path("role").asText());
        assertTrue(stream.strip().endsWith("data: [DONE]"), stream);
        assertEquals(List.of(baseServer), servers.keys(), "the same version, the same server");

        // Both chats with version 1 are observations of chatty version 1 (the recorder writes them on its own thread):
        // what was asked, and what was answered, whole or streamed.
        String streamed = String.join("", chunks.stream()
                .map(c -> c.path("choices").path(0).path("delta").path("content").asText("")).toList());
        List<JsonNode> observed = await().atMost(WAIT).until(() -> observations(topics, project, "chatty"),
                lines -> lines.size() == 2);
        observed.forEach(line -> {
            assertEquals(1, line.path("version").asInt(), line.toString());
            assertEquals("gateway", line.path("source").asText(), line.toString());
            assertEquals("Say hi", line.path("messages").path(0).path("content").asText(), line.toString());
        });
        assertTrue(observed.stream().anyMatch(line -> line.path("completion").asText().equals(streamed)
                && line.path("id").asText().equals(chunks.get(0).path("id").asText())), observed.toString());

        // A base model of the catalogue.
        as(member.secret()).contentType("application/json").body(chat(BaseModels.TINY, false))
                .when().post("/v1/chat/completions").then().statusCode(200).body("model", is(BaseModels.TINY))
                .body("system_fingerprint", is(BaseModels.TINY));

        // Promotion moves what the name means: the next request is served by version 2 (its fingerprint says so), and
        // by the same server, which serves the base model and both versions.
        register(topics, project, member, "chatty", 2, adapter);
        topics.publish(new ModelPromoted(project, "chatty", 2, "champion", 1), "registry-service");
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/models/chatty")
                .then().statusCode(200).body("champion", is(2)));
        as(member.secret()).contentType("application/json").body(chat("chatty", false))
                .when().post("/v1/chat/completions").then().statusCode(200).body("model", is("chatty"))
                .body("system_fingerprint", is("chatty:2"));
        as(member.secret()).contentType("application/json").body(chat("chatty:1", false))
                .when().post("/v1/chat/completions").then().statusCode(200).body("model", is("chatty:1"))
                .body("system_fingerprint", is("chatty:1"));
        assertEquals(Map.of(baseServer, pid), servers.pids(), "one process for the base model and its two versions");

        // What may be asked for.
        as(member.secret()).when().get("/v1/models").then().statusCode(200).body("object", is("list"))
                .body("data.id", hasItems("chatty", "chatty@champion", "chatty:1", "chatty:2", BaseModels.TINY));

        // Errors in OpenAI's shape.
        as(member.secret()).contentType("application/json").body(chat("no-such-model", false))
                .when().post("/v1/chat/completions").then().statusCode(404)
                .body("error.type", is("invalid_request_error")).body("error.code", is("model_not_found"))
                .body("error.param", is("model"));
        as(member.secret()).contentType("application/json").body(chat("chatty:9", false))
                .when().post("/v1/chat/completions").then().statusCode(404).body("error.code", is("model_not_found"));
        as(member.secret()).contentType("application/json").body(Map.of("messages", List.of()))
                .when().post("/v1/chat/completions").then().statusCode(400).body("error.param", is("model"));
        as(member.secret()).contentType("application/json").body("{not json")
                .when().post("/v1/chat/completions").then().statusCode(400)
                .body("error.type", is("invalid_request_error"));
        as(member.secret()).contentType("application/json").body(Map.of("model", "chatty", "messages", "hi"))
                .when().post("/v1/chat/completions").then().statusCode(400)
                .body("error.type", is("invalid_request_error"));
        // Another project's model is unknown.
        Gateway.Key other = Gateway.newKey(Gateway.newProject(), "member");
        as(other.secret()).contentType("application/json").body(chat("chatty", false))
                .when().post("/v1/chat/completions").then().statusCode(404);
    }

    /**
     * The pool's limits with real servers: while both slots (tuneforge.serving.max-servers, 2) serve requests (the base
     * model's and a full-model version's: each full model has a server of its own), a request for a third model waits
     * queue-timeout and is told to come back (503, Retry-After, OpenAI's shape);
     * a server that stops answering (SIGSTOP: its socket still accepts, nothing answers) is found by its health
     * check at the next request, killed and replaced, and the request is answered by the new one.
     */
    @Test
    @Order(2)
    void aThirdModelWhileBothServersAreBusyIsToldToRetryAndAHungServerIsReplaced() throws Exception {
        Chatting chatting = newProjectWith("pooled", 2, "full");
        String project = chatting.project();
        Gateway.Key member = chatting.member();
        ChatTarget base = targets.resolve(project, BaseModels.TINY);
        ChatTarget first = targets.resolve(project, "pooled:1");

        try (ServerPool.Lease busy = servers.acquire(base); ServerPool.Lease alsoBusy = servers.acquire(first)) {
            as(member.secret()).contentType("application/json").body(chat("pooled:2", false))
                    .when().post("/v1/chat/completions").then().statusCode(503)
                    .header("Retry-After", matchesPattern("[1-9][0-9]*"))
                    .body("error.type", is("server_error")).body("error.code", is("servers_busy"))
                    .body("error.message", containsString("busy"));
        }
        assertEquals(2, servers.keys().size());

        long hung = servers.pids().get(first.serverKey());
        assertEquals(0, new ProcessBuilder("sh", "-c", "kill -STOP " + hung).start().waitFor());
        // A bound, so that a request stuck on the hung server fails the test instead of hanging it.
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base() + "v1/chat/completions"))
                    .timeout(Duration.ofMinutes(3)).header("Authorization", "Bearer " + member.secret())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(chat("pooled:1", false))))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("pooled:1", JSON.readTree(answer.body()).path("system_fingerprint").asText());
        }
        assertNotEquals(hung, servers.pids().get(first.serverKey()), "a new server");
        await().atMost(WAIT).until(() -> ProcessHandle.of(hung).map(p -> !p.isAlive()).orElse(true));
    }

    /**
     * #19: a base model served elsewhere (tuneforge.serving.remote."tiny-remote-test", {@link RemoteServe}; here a
     * second local {@code worker serve --adapters} stands in for the GPU Deployment): chat with its version goes there,
     * not to a process of the pool. The gateway copies the adapter in S3 to serving/<base>/adapters/<id>/; until the
     * Deployment's sidecar (here: this test, after the copy appeared) has mirrored it, the server answers 404
     * model_not_found, which the gateway asks again; then the client gets the version's answer, named as it asked.
     * A version the sidecar never mirrors is, once the wait is over, a model that does not exist to the client.
     */
    @Test
    @Order(3)
    void aVersionOfARemotelyServedBaseModelIsAnsweredByThatServerOnceItsSidecarHasTheAdapter() throws Exception {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        Path adapter = tinyAdapter(TinyLlamaWriter.Spec.small(), Files.createTempDirectory("adapter-"));
        register(topics, project, member, "far", 1, adapter, RemoteServe.BASE_MODEL, "lora");
        register(topics, project, member, "far", 2, adapter, RemoteServe.BASE_MODEL, "lora");
        Path adapters = Files.createTempDirectory("remote-adapters-");
        try (RemoteServe.Server remote = RemoteServe.start(djlHome, BaseModels.write(TinyLlamaWriter.Spec.small()),
                adapters);
             HttpClient http = HttpClient.newHttpClient()) {
            var answer = http.sendAsync(HttpRequest.newBuilder(URI.create(base() + "v1/chat/completions"))
                    .timeout(Duration.ofMinutes(3)).header("Authorization", "Bearer " + member.secret())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(chat("far:1", false))))
                    .build(), HttpResponse.BodyHandlers.ofString());

            String published = ServerPool.remoteAdapters(RemoteServe.BASE_MODEL);
            String manifest = await().atMost(WAIT).until(() -> store.list(published).stream()
                    .filter(key -> key.endsWith("/manifest.json")).findFirst().orElse(null), key -> key != null);
            String id = manifest.substring(published.length(), manifest.length() - "/manifest.json".length());
            assertTrue(id.startsWith(project + ":far:1:"), id);
            assertFalse(answer.isDone(), "no answer while the server lacks the adapter");

            // The sidecar: the prefix downloaded under a temporary name, then renamed to the adapter's id.
            Path staging = adapters.resolve(".staging-" + id.hashCode());
            sync.download(published + id + "/", staging);
            Files.move(staging, adapters.resolve(id));

            HttpResponse<String> served = answer.get(2, java.util.concurrent.TimeUnit.MINUTES);
            assertEquals(200, served.statusCode(), served.body());
            JsonNode body = JSON.readTree(served.body());
            assertEquals("far:1", body.path("model").asText());
            assertEquals("far:1", body.path("system_fingerprint").asText());
            assertFalse(servers.keys().contains(ChatTarget.baseServerKey(RemoteServe.BASE_MODEL)),
                    "no local server for a remotely served base model");
            assertTrue(remote.modelIds().contains(id), remote.modelIds().toString());

            // A version whose adapter the sidecar never mirrors: once the wait is over, the server's last 404 (which
            // names the internal adapter id, the project's id in it) reaches the client as OpenAI's, naming its model.
            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(base() + "v1/chat/completions"))
                    .timeout(Duration.ofMinutes(3)).header("Authorization", "Bearer " + member.secret())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(chat("far:2", false))))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, missing.statusCode(), missing.body());
            JsonNode error = JSON.readTree(missing.body()).path("error");
            assertEquals("model_not_found", error.path("code").asText(), missing.body());
            assertEquals("invalid_request_error", error.path("type").asText(), missing.body());
            assertEquals("The model 'far:2' does not exist or you do not have access to it",
                    error.path("message").asText());
            assertFalse(missing.body().contains(project), missing.body());
        }
    }

    /** A project whose member key chats with versions of a model, each the same tiny adapter (or full model). */
    private record Chatting(TopicClient topics, String project, Gateway.Key member, Path adapter) {
    }

    /** A new project with versions 1 to {@code versions} of {@code model} registered, LoRA adapters. */
    private Chatting newProjectWith(String model, int versions) throws IOException {
        return newProjectWith(model, versions, "lora");
    }

    /** A new project with versions 1 to {@code versions} of {@code model} registered, trained with {@code method}. */
    private Chatting newProjectWith(String model, int versions, String method) throws IOException {
        BaseModels.ensureTiny();
        TopicClient topics = new TopicClient(bootstrap);
        String project = Gateway.newProject();
        Gateway.Key member = Gateway.newKey(project, "member");
        Path artifact = method.equals("full") ? BaseModels.write(TinyLlamaWriter.Spec.small())
                : tinyAdapter(TinyLlamaWriter.Spec.small(), Files.createTempDirectory("adapter-"));
        for (int version = 1; version <= versions; version++) {
            register(topics, project, member, model, version, artifact, BaseModels.TINY, method);
        }
        return new Chatting(topics, project, member, artifact);
    }

    /** The observation lines of {@code model} in {@code project}, from the objects its ObservationsReceived name. */
    private List<JsonNode> observations(TopicClient topics, String project, String model) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (ObservationsReceived batch : topics.events(ObservationsReceived.class, model)) {
            if (batch.projectId().equals(project)) {
                try (var in = store.get(batch.objectKey())) {
                    for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                        lines.add(JSON.readTree(line));
                    }
                }
            }
        }
        return lines;
    }

    private String base() {
        return url.toString().endsWith("/") ? url.toString() : url + "/";
    }

    /**
     * Found by fuzzing the chat request parser (ChatRequestFuzzTest): a model name no model can have, here one with a
     * NUL character, reached the read model's query, which PostgreSQL refuses (text cannot hold NUL), and the client
     * got a 500. Now it is not found, in OpenAI's shape, before any lookup; so is a body with more after its object.
     */
    @Test
    void aModelNoModelCanBeCalledIsNotFoundAndABodyWithTrailingBytesIsRefused() {
        Gateway.Key member = Gateway.newKey(Gateway.newProject(), "member");
        as(member.secret()).contentType("application/json")
                .body("{\"model\":\"chatty\\u0000\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .when().post("/v1/chat/completions").then().statusCode(404)
                .body("error.type", is("invalid_request_error")).body("error.code", is("model_not_found"))
                .body("error.param", is("model"));
        as(member.secret()).contentType("application/json")
                .body("{\"model\":\"chatty\",\"messages\":[]} {\"model\":\"other\"}")
                .when().post("/v1/chat/completions").then().statusCode(400)
                .body("error.type", is("invalid_request_error"));
    }

    private static Map<String, Object> chat(String model, boolean stream) {
        return Map.of("model", model, "messages", List.of(Map.of("role", "user", "content", "Say hi")),
                "max_tokens", 4, "temperature", 0, "stream", stream);
    }

    /** A version of {@code model} whose artifact is {@code adapter}, trained (as far as the read model knows) by a job. */
    private void register(TopicClient topics, String project, Gateway.Key member, String model, int version,
                          Path adapter) {
        register(topics, project, member, model, version, adapter, BaseModels.TINY, "lora");
    }

    /** A version of {@code model} on {@code baseModel} whose artifact is {@code artifact}, trained by a job. */
    private void register(TopicClient topics, String project, Gateway.Key member, String model, int version,
                          Path artifact, String baseModel, String method) {
        String job = "job-" + model + "-" + version + "-" + project;
        String key = "projects/" + project + "/jobs/" + job + "/output/" + (method.equals("full") ? "model/" : "adapter/");
        String digest = sync.upload(artifact, key);
        topics.publish(new TrainingRequested(project, job, baseModel, "ds", 1, method, Map.of(), model,
                member.id(), null, 0), "gateway");
        topics.publish(new ModelRegistered(project, model, version, job, key, digest, "candidate"), "registry-service");
        // The job's request (commands topic) names the base model; it is projected apart from the registry topic.
        await().atMost(WAIT).untilAsserted(() -> as(member.secret()).when().get("/api/v1/jobs/" + job)
                .then().statusCode(200).body("base_model", is(baseModel)));
    }

    /** A PEFT LoRA adapter (r 2 on q_proj and v_proj) for the tiny Llama of {@code spec}, with small random weights. */
    static Path tinyAdapter(TinyLlamaWriter.Spec spec, Path dir) throws IOException {
        int r = 2;
        Random random = new Random(7);
        SafetensorsWriter weights = new SafetensorsWriter();
        for (int layer = 0; layer < spec.layers(); layer++) {
            for (String module : List.of("q_proj", "v_proj")) {
                int out = (module.equals("q_proj") ? spec.heads() : spec.kvHeads()) * spec.headDim();
                String name = "base_model.model.model.layers." + layer + ".self_attn." + module;
                weights.add(name + ".lora_A.weight", DType.F32, new long[] {r, spec.hiddenSize()},
                        values(random, r * spec.hiddenSize()));
                weights.add(name + ".lora_B.weight", DType.F32, new long[] {out, r}, values(random, out * r));
            }
        }
        weights.write(dir.resolve("adapter_model.safetensors"));
        Files.writeString(dir.resolve("adapter_config.json"), """
                {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 2, "lora_alpha": 4, "lora_dropout": 0.0,
                 "target_modules": ["q_proj", "v_proj"], "use_rslora": false, "bias": "none",
                 "base_model_name_or_path": "tiny"}""");
        return dir;
    }

    private static float[] values(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextGaussian() * 0.02);
        }
        return values;
    }
}
