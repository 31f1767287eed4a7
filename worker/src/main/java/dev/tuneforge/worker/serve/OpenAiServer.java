package dev.tuneforge.worker.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tuneforge.worker.eval.Generation;
import dev.tuneforge.worker.eval.Generator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An OpenAI-compatible HTTP API over a {@link ServedModel} (with {@code --adapters}, its adapters chosen by each
 * request's {@code model}), on the JDK's built-in server:
 * {@code GET /health}, {@code GET /v1/models}, {@code POST /v1/chat/completions} and
 * {@code POST /v1/completions}, the last two streamed as server-sent events when asked.
 *
 * <p>Generations run one at a time under a fair lock: the model computes on one device, a second
 * generation in parallel would only halve the speed of both, and local use needs no more. Requests
 * that wait for the lock still get their answer; health checks never wait.
 */
public final class OpenAiServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    /** Threads that accept requests; one generates while the others queue or answer health checks. */
    private static final int THREADS = 4;

    private final ServedModel served;
    private final HttpServer http;
    private final ExecutorService executor;
    private final ReentrantLock generation = new ReentrantLock(true);
    private volatile boolean closing;

    private OpenAiServer(ServedModel served, HttpServer http, ExecutorService executor) {
        this.served = served;
        this.http = http;
        this.executor = executor;
    }

    /** Binds {@code host:port} (port 0: any free port) and starts answering. */
    public static OpenAiServer start(ServedModel served, String host, int port) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 0);
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, runnable -> {
            Thread t = new Thread(runnable, "serve-http");
            t.setDaemon(true);
            return t;
        });
        OpenAiServer server = new OpenAiServer(served, http, executor);
        http.createContext("/", server::handle);
        http.setExecutor(executor);
        http.start();
        return server;
    }

    /** The bound port. */
    public int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiError e) {
                send(exchange, e.status(), e.toJson());
            } catch (UncheckedIOException e) {
                throw e;
            } catch (RuntimeException e) {
                e.printStackTrace(System.err);
                send(exchange, 500, ApiError.internal(e.toString()).toJson());
            }
        } catch (IOException | UncheckedIOException e) {
            // The client went away; nothing to answer.
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        switch (path) {
            case "/health" -> {
                requireMethod(exchange, "GET");
                ObjectNode health = JSON.createObjectNode().put("status", "ok");
                Integer adaptersLoaded = served.adaptersLoaded();
                if (adaptersLoaded != null) {
                    health.put("adapters_loaded", adaptersLoaded);
                }
                send(exchange, 200, health);
            }
            case "/v1/models" -> {
                requireMethod(exchange, "GET");
                send(exchange, 200, OpenAiResponses.models(served.ids()));
            }
            case "/v1/chat/completions" -> complete(exchange, true);
            case "/v1/completions" -> complete(exchange, false);
            default -> throw ApiError.notFound("no such endpoint: " + exchange.getRequestMethod() + " " + path);
        }
    }

    private static void requireMethod(HttpExchange exchange, String method) {
        if (!exchange.getRequestMethod().equals(method)) {
            throw ApiError.methodNotAllowed(exchange.getRequestURI().getPath() + " takes " + method + ", not "
                    + exchange.getRequestMethod());
        }
    }

    private void complete(HttpExchange exchange, boolean chat) throws IOException {
        requireMethod(exchange, "POST");
        JsonNode body = readJson(exchange);
        String model = served.resolve(requestedModel(body));
        generation.lock();
        try {
            if (closing) {
                throw ApiError.internal("the server is shutting down");
            }
            int contextLength = served.activate(model);
            CompletionRequest request = CompletionRequest.parse(body, chat, served.tokenizer(), contextLength);
            OpenAiResponses responses = new OpenAiResponses(chat, model, request.promptIds().length);
            if (request.stream()) {
                stream(exchange, request, responses);
            } else {
                Generation g = generate(request, (row, piece) -> { });
                send(exchange, 200, responses.completion(g));
            }
        } finally {
            generation.unlock();
        }
    }

    /**
     * Answers with server-sent events: a chunk per settled piece of text, a last chunk with the finish
     * reason (then usage, if asked), and {@code data: [DONE]}. Once the status line is out, an error can
     * only be reported in the stream.
     */
    private void stream(HttpExchange exchange, CompletionRequest request, OpenAiResponses responses)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        try {
            if (request.chat()) {
                event(out, responses.roleChunk());
            }
            Generation g = generate(request, (row, piece) -> event(out, responses.textChunk(piece)));
            event(out, responses.finishChunk(g));
            if (request.includeUsage()) {
                event(out, responses.usageChunk(g));
            }
        } catch (ApiError e) {
            event(out, e.toJson());
        } catch (RuntimeException e) {
            if (e instanceof UncheckedIOException) {
                throw e;
            }
            e.printStackTrace(System.err);
            event(out, ApiError.internal(e.toString()).toJson());
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Generates for the request; a server that is closing ends the generation at its next piece of text. */
    private Generation generate(CompletionRequest request, Generator.TextListener listener) {
        return served.generator().generate(List.of(request.promptIds()), request.params(), (row, piece) -> {
            if (closing) {
                throw ApiError.internal("the server is shutting down");
            }
            listener.onText(row, piece);
        }).getFirst();
    }

    private static void event(OutputStream out, JsonNode data) {
        try {
            out.write(("data: " + JSON.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The request's {@code model}, or null when it names none; one that is not a string names no model served. */
    private static String requestedModel(JsonNode body) {
        JsonNode model = body.path("model");
        if (model.isMissingNode() || model.isNull()) {
            return null;
        }
        return model.isTextual() ? model.asText() : model.toString();
    }

    private static JsonNode readJson(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            if (body.length == 0) {
                throw ApiError.invalid(null, "the request body is empty; send a JSON object");
            }
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * Stops accepting requests, ends a generation in progress at its next token, and waits for it, so
     * the model can be closed safely afterwards.
     */
    @Override
    public void close() {
        closing = true;
        http.stop(0);
        generation.lock();
        generation.unlock();
        executor.shutdown();
    }
}
