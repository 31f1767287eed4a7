package dev.tuneforge.worker.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.worker.Djl;
import dev.tuneforge.worker.adapter.Adapter;
import dev.tuneforge.worker.adapter.SoftPrompt;
import dev.tuneforge.worker.Main;
import dev.tuneforge.worker.eval.Generation;
import dev.tuneforge.worker.eval.Generator;
import dev.tuneforge.worker.eval.StopTokens;
import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import dev.tuneforge.worker.lora.LoraModel;
import dev.tuneforge.worker.model.LlamaModel;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.GenerationParams;
import dev.tuneforge.worker.protocol.ProtocolSchemaValidator;
import dev.tuneforge.worker.protocol.TrainSpec;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.train.StopSignal;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code worker serve} as a client sees it: started through {@link Main} on port 0 over a tiny model,
 * it announces its port, answers OpenAI's chat and completion requests (streamed or not) with what the
 * generator produces directly, rejects bad requests naming the field, serves a LoRA adapter and a soft prompt (also
 * many adapters of one base model in one server, chosen per request), and exits 143 when stopped.
 */
class ServeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final List<ChatMessage> CHAT = List.of(ChatMessage.system("Answer briefly."),
            ChatMessage.user("What is the capital of France?"));

    @TempDir
    static Path dir;

    private static Path base;
    private static Path adapter;
    private static RunningServer server;

    @BeforeAll
    static void startServer() throws Exception {
        base = TinyLlamaWriter.write(dir.resolve("base"), TinyLlamaWriter.Spec.small().withTieEmbeddings(false));
        adapter = dir.resolve("tuned-adapter");
        try (NDManager m = Djl.cpuManager(); LlamaModel model = LlamaModel.load(base, m)) {
            writeLora(model, m, adapter, List.of("all-linear"), 9);
            writeLora(model, m, dir.resolve("other-adapter"), List.of("q_proj", "v_proj"), 10);
            try (SoftPrompt prompt = SoftPrompt.attach(model,
                    new TrainSpec.PromptTuning(4, TrainSpec.PromptInit.RANDOM, null), null, 9)) {
                prompt.save(dir.resolve("prompt-adapter"), base.toString());
            }
        }
        server = RunningServer.start("--model", base.toString(), "--port", "0");
    }

    /** A LoRA adapter whose B is random, so that it changes the answer. */
    private static void writeLora(LlamaModel model, NDManager m, Path to, List<String> modules, long seed) {
        LoraModel lora = LoraModel.attach(model, new TrainSpec.Lora(4, 8, 0, modules, false), seed);
        lora.parameters().forEach((name, p) -> {
            if (name.contains("lora_B")) {
                p.set(m.randomNormal(0, 0.3f, p.getShape(), p.getDataType()).toFloatArray());
            }
        });
        lora.save(to, base.toString());
        lora.close();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.stopAndAssertExit143();
        }
    }

    @Test
    void healthAndModels() throws Exception {
        assertEquals(200, server.get("/health").statusCode());
        JsonNode models = JSON.readTree(server.get("/v1/models").body());
        assertEquals("list", models.get("object").asText());
        assertEquals("base", models.get("data").get(0).get("id").asText());
        assertEquals(404, server.get("/v1/embeddings").statusCode());
    }

    @Test
    void chatCompletionIsTheGeneratorsAnswerToTheChatTemplate() throws Exception {
        HttpResponse<String> response = server.post("/v1/chat/completions", chatRequest(0.0, null, false, 24));
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = JSON.readTree(response.body());
        assertEquals("chat.completion", body.get("object").asText());
        assertTrue(body.get("id").asText().startsWith("chatcmpl-"));
        JsonNode choice = body.get("choices").get(0);
        assertEquals("assistant", choice.get("message").get("role").asText());

        Expected expected = generateDirectly(base, null, true, GenerationParams.greedy(24));
        assertEquals(expected.generation().text(), choice.get("message").get("content").asText());
        assertEquals(expected.generation().finishReason().wireName(), choice.get("finish_reason").asText());
        JsonNode usage = body.get("usage");
        assertEquals(expected.promptTokens(), usage.get("prompt_tokens").asInt());
        assertEquals(expected.generation().tokens().length, usage.get("completion_tokens").asInt());
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
    }

    @Test
    void textCompletionContinuesThePrompt() throws Exception {
        String prompt = "LoRA keeps the base weights";
        HttpResponse<String> response = server.post("/v1/completions", JSON.createObjectNode()
                .put("model", "anything").put("prompt", prompt).put("max_tokens", 12).put("temperature", 0)
                .toString());
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = JSON.readTree(response.body());
        assertEquals("text_completion", body.get("object").asText());
        JsonNode choice = body.get("choices").get(0);
        Expected expected = generateDirectly(base, null, false, GenerationParams.greedy(12), prompt);
        assertEquals(expected.generation().text(), choice.get("text").asText());
        assertEquals(12, body.get("usage").get("completion_tokens").asInt());
        assertEquals("length", choice.get("finish_reason").asText());
    }

    @Test
    void streamedChatDeltasAddUpToTheAnswerForTheSameSeed() throws Exception {
        String whole = JSON.readTree(server.post("/v1/chat/completions", chatRequest(0.9, 42L, false, 40)).body())
                .get("choices").get(0).get("message").get("content").asText();
        String again = JSON.readTree(server.post("/v1/chat/completions", chatRequest(0.9, 42L, false, 40)).body())
                .get("choices").get(0).get("message").get("content").asText();
        assertEquals(whole, again, "the same seed gives the same answer");

        HttpResponse<String> response = server.post("/v1/chat/completions", chatRequest(0.9, 42L, true, 40));
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        List<JsonNode> chunks = events(response.body());
        assertEquals("assistant", chunks.getFirst().get("choices").get(0).get("delta").get("role").asText());
        StringBuilder streamed = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (JsonNode chunk : chunks) {
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            assertEquals(chunks.getFirst().get("id"), chunk.get("id"));
            if (chunk.get("choices").isEmpty()) {
                usage = chunk.get("usage");
                continue;
            }
            JsonNode choice = chunk.get("choices").get(0);
            streamed.append(choice.get("delta").path("content").asText(""));
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertEquals(whole, streamed.toString());
        assertNotNull(finish);
        assertNotNull(usage, "stream_options.include_usage adds a usage chunk");
        assertTrue(usage.get("completion_tokens").asInt() > 0);
    }

    @Test
    void streamedGreedyCompletionWithAStopStringEqualsTheUnstreamedOne() throws Exception {
        String prompt = "Evaluation compares the validation loss";
        String unstopped = JSON.readTree(server.post("/v1/completions", JSON.createObjectNode().put("prompt", prompt)
                .put("max_tokens", 30).put("temperature", 0).toString()).body())
                .get("choices").get(0).get("text").asText();
        int at = unstopped.length() / 2;
        while (!unstopped.substring(at, at + 2).chars().allMatch(c -> c > ' ' && c < 127)) {
            at++;
        }
        String stop = unstopped.substring(at, at + 2);
        var request = JSON.createObjectNode().put("prompt", prompt).put("max_tokens", 30).put("temperature", 0);
        request.putArray("stop").add(stop);
        JsonNode whole = JSON.readTree(server.post("/v1/completions", request.toString()).body()).get("choices").get(0);
        assertEquals(unstopped.substring(0, unstopped.indexOf(stop)), whole.get("text").asText());
        assertEquals("stop", whole.get("finish_reason").asText());

        request.put("stream", true);
        StringBuilder streamed = new StringBuilder();
        List<JsonNode> chunks = events(server.post("/v1/completions", request.toString()).body());
        chunks.forEach(c -> streamed.append(c.get("choices").get(0).get("text").asText()));
        assertEquals(whole.get("text").asText(), streamed.toString());
        assertEquals("stop", chunks.getLast().get("choices").get(0).get("finish_reason").asText());
    }

    @Test
    void badRequestsAre400sNamingTheField() throws Exception {
        assertError(server.post("/v1/chat/completions", "{\"messages\": [}"), 400, null);
        assertError(server.post("/v1/chat/completions", "{\"model\": \"x\"}"), 400, "messages");
        assertError(server.post("/v1/chat/completions", chatRequest(0.0, null, false, 5).put("temperature", "hot")
                .toString()), 400, "temperature");
        assertError(server.post("/v1/chat/completions", chatRequest(0.0, null, false, 5).put("n", 2).toString()),
                400, "n");
        assertError(server.post("/v1/chat/completions", chatRequest(0.0, null, false, 5).put("max_tokens", 0)
                .toString()), 400, "max_tokens");
        assertError(server.post("/v1/chat/completions", chatRequest(0.0, null, false, 5).put("top_p", 1.5)
                .toString()), 400, "top_p");
        assertError(server.post("/v1/completions", "{\"prompt\": 7}"), 400, "prompt");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"stop\": [\"\"]}"), 400, "stop");
        var tooLong = JSON.createObjectNode().put("prompt", "Fine-tuning adapts ".repeat(100));
        JsonNode overflow = assertError(server.post("/v1/completions", tooLong.toString()), 400, "prompt");
        assertEquals("context_length_exceeded", overflow.get("code").asText());
        assertEquals(405, server.get("/v1/chat/completions").statusCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tuned-adapter", "prompt-adapter"})
    void anAdapterIsServedAndChangesTheAnswer(String name) throws Exception {
        Path adapterDir = dir.resolve(name);
        RunningServer tuned = RunningServer.start("--model", base.toString(), "--adapter", adapterDir.toString(),
                "--port", "0", "--host", "127.0.0.1");
        try {
            assertEquals(name, JSON.readTree(tuned.get("/v1/models").body()).get("data").get(0).get("id")
                    .asText());
            JsonNode body = JSON.readTree(tuned.post("/v1/chat/completions", chatRequest(0.0, null, false, 24)).body());
            String answer = body.get("choices").get(0).get("message").get("content").asText();
            assertEquals(generateDirectly(base, adapterDir, true, GenerationParams.greedy(24)).generation().text(),
                    answer);
            assertNotEquals(generateDirectly(base, null, true, GenerationParams.greedy(24)).generation().text(), answer);
        } finally {
            tuned.stopAndAssertExit143();
        }
    }

    @Test
    void oneServerWithManyAdaptersAnswersEachAsAServerOfThatAdapterAlone() throws Exception {
        Path adapters = dir.resolve("adapters-many");
        copyAdapter("tuned-adapter", adapters, "bot:1");
        copyAdapter("other-adapter", adapters, "bot:2");
        copyAdapter("prompt-adapter", adapters, "soft:1");
        Map<String, String> alone = new LinkedHashMap<>();
        for (String id : List.of("bot:1", "bot:2", "soft:1")) {
            RunningServer single = RunningServer.start("--model", base.toString(), "--adapter",
                    adapters.resolve(id).toString(), "--port", "0");
            try {
                alone.put(id, answer(single, id));
            } finally {
                single.stopAndAssertExit143();
            }
        }
        String baseAnswer = answer(server, "base");
        assertEquals(3, new HashSet<>(List.of(alone.get("bot:1"), alone.get("bot:2"), baseAnswer)).size(),
                "each adapter changes the answer differently: " + alone + ", base: " + baseAnswer);

        RunningServer many = RunningServer.start("--model", base.toString(), "--adapters", adapters.toString(),
                "--port", "0");
        try {
            assertEquals(List.of("base"), modelIds(many));
            assertEquals(0, JSON.readTree(many.get("/health").body()).get("adapters_loaded").asInt());
            for (String id : List.of("bot:1", "bot:2", "soft:1", "base", "bot:2", "bot:1")) {
                assertEquals(id.equals("base") ? baseAnswer : alone.get(id), answer(many, id), id);
            }
            assertEquals(baseAnswer, answer(many, null), "a request naming no model gets the base model");
            assertEquals(List.of("base", "bot:1", "bot:2", "soft:1"), modelIds(many));
            assertEquals(3, JSON.readTree(many.get("/health").body()).get("adapters_loaded").asInt());

            for (String unknown : List.of("bot:9", "../tuned-adapter", "bot:1/../bot:2", ".staging-bot:3", "")) {
                JsonNode error = JSON.readTree(assertStatus(many.post("/v1/chat/completions",
                        chatRequest(0.0, null, false, 4).put("model", unknown)), 404).body()).get("error");
                assertEquals("model_not_found", error.get("code").asText(), unknown);
                assertEquals("model", error.get("param").asText());
                assertEquals("invalid_request_error", error.get("type").asText());
            }

            Files.createDirectories(adapters.resolve("ia3:1"));
            Files.writeString(adapters.resolve("ia3:1").resolve("adapter_config.json"),
                    "{\"peft_type\": \"IA3\"}");
            JsonNode misfit = JSON.readTree(assertStatus(many.post("/v1/chat/completions",
                    chatRequest(0.0, null, false, 4).put("model", "ia3:1")), 400).body()).get("error");
            assertTrue(misfit.get("message").asText().contains("ia3:1"), misfit.toString());
            assertEquals(alone.get("bot:1"), answer(many, "bot:1"), "the server goes on serving the others");

            // The gateway stages an adapter under a temporary name and renames it into place while the server runs.
            copyAdapter("other-adapter", adapters, ".staging-bot:3");
            Files.move(adapters.resolve(".staging-bot:3"), adapters.resolve("bot:3"),
                    StandardCopyOption.ATOMIC_MOVE);
            assertEquals(alone.get("bot:2"), answer(many, "bot:3"), "an adapter added after start is served");
            assertEquals("bot:3", modelIds(many).get(1));
        } finally {
            many.stopAndAssertExit143();
        }
    }

    @Test
    void beyondMaxAdaptersTheLeastRecentlyUsedIsEvictedAndLoadedAgainWhenNamed() throws Exception {
        Path adapters = dir.resolve("adapters-one");
        copyAdapter("tuned-adapter", adapters, "bot:1");
        copyAdapter("other-adapter", adapters, "bot:2");
        RunningServer one = RunningServer.start("--model", base.toString(), "--adapters", adapters.toString(),
                "--max-adapters", "1", "--port", "0");
        try {
            String first = answer(one, "bot:1");
            assertEquals(List.of("base", "bot:1"), modelIds(one));
            String second = answer(one, "bot:2");
            assertNotEquals(first, second);
            assertEquals(List.of("base", "bot:2"), modelIds(one));
            assertEquals(1, JSON.readTree(one.get("/health").body()).get("adapters_loaded").asInt());
            assertEquals(first, answer(one, "bot:1"), "an evicted adapter is loaded again and answers as before");
            assertEquals(List.of("base", "bot:1"), modelIds(one));
        } finally {
            one.stopAndAssertExit143();
        }
    }

    /** The greedy chat answer of {@code model} (null: none named), checking that the response names it. */
    private static String answer(RunningServer on, String model) throws Exception {
        var request = chatRequest(0.0, null, false, 24);
        if (model == null) {
            request.remove("model");
        } else {
            request.put("model", model);
        }
        JsonNode body = JSON.readTree(assertStatus(on.post("/v1/chat/completions", request), 200).body());
        if (model != null) {
            assertEquals(model, body.get("model").asText());
        }
        return body.get("choices").get(0).get("message").get("content").asText();
    }

    private static List<String> modelIds(RunningServer on) throws Exception {
        List<String> ids = new ArrayList<>();
        JSON.readTree(on.get("/v1/models").body()).get("data").forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    private static HttpResponse<String> assertStatus(HttpResponse<String> response, int status) {
        assertEquals(status, response.statusCode(), response.body());
        return response;
    }

    private static void copyAdapter(String from, Path adapters, String id) throws Exception {
        Path to = adapters.resolve(id);
        Files.createDirectories(to);
        try (var files = Files.list(dir.resolve(from))) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    @Test
    void aMissingModelDirectoryFailsAsABadSpec() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"serve", "--model", dir.resolve("nope").toString(), "--port", "0"},
                new PrintStream(out, true, StandardCharsets.UTF_8), StopSignal.manual());
        assertEquals(ExitCode.BAD_INPUT, ExitCode.of(code));
        WorkerEvent last = ProtocolSchemaValidator.validEvent(out.toString(StandardCharsets.UTF_8).lines().toList().getLast());
        assertTrue(assertInstanceOf(WorkerEvent.Failed.class, last).message().contains("--model"));
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode chatRequest(double temperature, Long seed,
                                                                               boolean stream, int maxTokens) {
        var request = JSON.createObjectNode().put("model", "base").put("temperature", temperature)
                .put("max_tokens", maxTokens).put("stream", stream);
        if (seed != null) {
            request.put("seed", seed);
        }
        if (stream) {
            request.putObject("stream_options").put("include_usage", true);
        }
        var messages = request.putArray("messages");
        CHAT.forEach(m -> messages.addObject().put("role", m.role()).put("content", m.content()));
        return request;
    }

    private static JsonNode assertError(HttpResponse<String> response, int status, String param) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertNotNull(error, response.body());
        assertEquals("invalid_request_error", error.get("type").asText());
        assertFalse(error.get("message").asText().isBlank());
        if (param == null) {
            assertTrue(error.get("param").isNull());
        } else {
            assertEquals(param, error.get("param").asText());
            assertTrue(error.get("message").asText().contains(param), error.get("message").asText());
        }
        assertTrue(error.has("code"));
        return error;
    }

    /** The JSON chunks of a server-sent event stream, which must end with {@code data: [DONE]}. */
    private static List<JsonNode> events(String body) throws Exception {
        List<String> data = body.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertEquals("[DONE]", data.getLast());
        List<JsonNode> chunks = new ArrayList<>();
        for (String d : data.subList(0, data.size() - 1)) {
            chunks.add(JSON.readTree(d));
        }
        return chunks;
    }

    private record Expected(Generation generation, int promptTokens) { }

    private static Expected generateDirectly(Path model, Path adapterDir, boolean chat, GenerationParams params) {
        return generateDirectly(model, adapterDir, chat, params, null);
    }

    /** What the generator gives for the same request in-process: the server must answer exactly this. */
    private static Expected generateDirectly(Path model, Path adapterDir, boolean chat, GenerationParams params,
                                             String prompt) {
        try (NDManager m = Djl.cpuManager(); HfTokenizer tokenizer = HfTokenizer.load(model);
             LlamaModel llama = LlamaModel.load(model, m)) {
            Adapter lora = adapterDir == null ? null : Adapter.load(llama, adapterDir);
            long[] ids = chat ? tokenizer.encodeChat(CHAT, true) : tokenizer.encode(prompt, true);
            Generator generator = new Generator(llama, StopTokens.of(model, tokenizer), 0,
                    t -> tokenizer.decode(t, true));
            Generation g = generator.generate(List.of(ids), params).getFirst();
            if (lora != null) {
                lora.close();
            }
            return new Expected(g, ids.length);
        }
    }

    /** {@code worker serve} running in-process through {@link Main#run}, as a launcher would run it. */
    private record RunningServer(int port, StopSignal stop, CompletableFuture<Integer> exit,
                                 BlockingQueue<WorkerEvent> events) {

        static RunningServer start(String... options) throws Exception {
            BlockingQueue<WorkerEvent> events = new LinkedBlockingQueue<>();
            OutputStream lines = new OutputStream() {
                private final ByteArrayOutputStream line = new ByteArrayOutputStream();

                @Override
                public synchronized void write(int b) {
                    if (b == '\n') {
                        events.add(ProtocolSchemaValidator.validEvent(line.toString(StandardCharsets.UTF_8)));
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
            };
            String[] args = new String[options.length + 1];
            args[0] = "serve";
            System.arraycopy(options, 0, args, 1, options.length);
            StopSignal stop = StopSignal.manual();
            // Its own thread: the common pool may have a single thread, which another server holds.
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread main = new Thread(() -> exit.complete(
                    Main.run(args, new PrintStream(lines, true, StandardCharsets.UTF_8), stop)), "worker-serve");
            main.setDaemon(true);
            main.start();
            WorkerEvent first = events.poll(60, TimeUnit.SECONDS);
            WorkerEvent.Serving serving = assertInstanceOf(WorkerEvent.Serving.class, first, String.valueOf(first));
            assertTrue(serving.port() > 0);
            assertEquals("http://127.0.0.1:" + serving.port() + "/v1", serving.url());
            return new RunningServer(serving.port(), stop, exit, events);
        }

        HttpResponse<String> get(String path) throws Exception {
            return CLIENT.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String path, Object body) throws Exception {
            return CLIENT.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        private URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        void stopAndAssertExit143() throws Exception {
            stop.request();
            assertEquals(ExitCode.TERMINATED, ExitCode.of(exit.get(30, TimeUnit.SECONDS)));
            WorkerEvent.Stopped stopped = assertInstanceOf(WorkerEvent.Stopped.class, events.poll(5, TimeUnit.SECONDS));
            assertEquals("SIGTERM", stopped.reason());
            assertNull(stopped.checkpoint());
        }
    }
}
