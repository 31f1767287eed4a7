package dev.tuneforge.bench.observations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.ObservationsReceived;
import dev.tuneforge.platform.EphemeralPlatform;
import dev.tuneforge.platform.EmbeddedStack;
import dev.tuneforge.platform.test.TopicClient;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ingestion of observations through the gateway (issue #17 §2: ≥ 5k observations/s on this machine): the gateway as
 * {@code bin/tuneforge up} runs it (from its jar, on an ephemeral stack), one project and model, then the same
 * batches ({@code --batch} observations of about {@code --chars} characters of text each, {@code --clients} clients at
 * once) through four paths, one after another, each timed from the first request to the last answer:
 * <ol>
 * <li><b>floor</b>: the batches posted for a model the project does not have: the gateway reads, authenticates and
 *     parses each and answers 404, storing nothing — what HTTP, auth and JSON cost;</li>
 * <li><b>intake</b>: the batches posted for the model: checked, ids recorded, JSONL to S3, ObservationsReceived through
 *     the outbox (every answer must say all accepted);</li>
 * <li><b>re-sent</b>: the same batches again (every answer must say all duplicates, nothing stored);</li>
 * <li><b>raw S3</b>: each batch's JSONL put straight into the S3 server with the MinIO client, no gateway.</li>
 * </ol>
 * Prints observations/s for each and intake's ratio to the floor and to raw S3 puts, and checks that the topic got one
 * ObservationsReceived per batch whose counts add up to the observations sent.
 *
 * <p>Usage: {@code ObservationIntakeBench [--observations N] [--batch N] [--clients N] [--chars N]} with
 * {@code -Dtuneforge.repo=<repository root>}; run by {@code bench/observations.sh}.
 */
public final class ObservationIntakeBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "bench-model";

    private ObservationIntakeBench() {
    }

    public static void main(String[] args) throws Exception {
        // The classpath holds JBoss LogManager (the gateway's): set java.util.logging up here, on one thread, before
        // the stack starts its servers on several, whose first loggers otherwise deadlock in its initialisation.
        java.util.logging.LogManager.getLogManager();
        Map<String, Integer> options = options(args);
        int total = options.get("observations");
        int batch = options.get("batch");
        int clients = options.get("clients");
        int chars = options.get("chars");
        Path repo = Path.of(System.getProperty("tuneforge.repo", ".")).toAbsolutePath().normalize();
        System.out.printf("observation intake: %d observations in batches of %d, %d clients, ~%d characters of text"
                + " each; %d cores%n", total, batch, clients, chars, Runtime.getRuntime().availableProcessors());
        boolean clean;
        try (EphemeralPlatform platform = EphemeralPlatform.start(repo, repo.resolve("bench/target/observations"),
                List.of(), Duration.ofMinutes(3), p -> System.out.println("bench: " + p))) {
            clean = run(platform, total, batch, clients, chars);
        }
        System.out.println(clean ? "PASS" : "FAIL");
        System.exit(clean ? 0 : 1);
    }

    private static boolean run(EphemeralPlatform platform, int total, int batch, int clients, int chars)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String url = platform.gateway().url();
        String project = "obs-bench";
        call(http, url, platform.adminKey(), "POST", "/api/v1/projects", "{\"id\": \"" + project + "\"}", 201);
        String key = JSON.readTree(call(http, url, platform.adminKey(), "POST", "/api/v1/keys",
                "{\"project_id\": \"" + project + "\", \"role\": \"member\", \"name\": \"bench\"}", 201))
                .path("secret").asText();
        TopicClient topics = new TopicClient(platform.stack().kafkaBootstrapServers());
        topics.publish(new ModelRegistered(project, MODEL, 1, "job-1", "projects/" + project + "/jobs/job-1/output/",
                "sha", "candidate"), "registry-service");
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (status(http, url, key, "/api/v1/models/" + MODEL) != 200) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("the model never reached the gateway's read model");
            }
            Thread.sleep(200);
        }

        List<String> warmup = bodies("warm", 10 * clients, batch, chars);
        List<String> bodies = bodies("obs", total / batch, batch, chars);
        System.out.println("bench: warming up …");
        post(http, url, key, "/api/v1/models/" + MODEL + "/observations", warmup, clients, 200, null);
        post(http, url, key, "/api/v1/models/no-such-model/observations", warmup, clients, 404, null);

        System.out.println("bench: floor, intake, re-sent, raw S3 …");
        double floor = post(http, url, key, "/api/v1/models/no-such-model/observations", bodies, clients, 404, null);
        AtomicLong accepted = new AtomicLong();
        double intake = post(http, url, key, "/api/v1/models/" + MODEL + "/observations", bodies, clients, 200,
                answer -> accepted.addAndGet(answer.path("accepted").asLong()));
        AtomicLong duplicates = new AtomicLong();
        double resent = post(http, url, key, "/api/v1/models/" + MODEL + "/observations", bodies, clients, 200,
                answer -> duplicates.addAndGet(answer.path("duplicates").asLong()));
        double raw = rawPuts(platform.stack(), bodies, batch, clients);

        int sent = bodies.size() * batch;
        long announced = 0;
        int events = 0;
        until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        do {
            List<ObservationsReceived> received = topics.events(ObservationsReceived.class, MODEL).stream()
                    .filter(e -> e.projectId().equals(project) && e.objectKey().contains("/observations/")).toList();
            events = received.size();
            announced = received.stream().mapToLong(ObservationsReceived::count).sum();
        } while (announced < sent + (long) warmup.size() * batch && System.nanoTime() < until);
        long expected = sent + (long) warmup.size() * batch;

        System.out.println();
        System.out.println("| path | observations/s | vs floor | vs raw S3 puts |");
        System.out.println("|---|---:|---:|---:|");
        row("floor: 404 for an unknown model (HTTP, auth, JSON parse)", floor, floor, raw);
        row("intake: checked, ids recorded, JSONL to S3, event through the outbox", intake, floor, raw);
        row("re-sent: every one a duplicate, nothing stored", resent, floor, raw);
        row("raw S3 puts of the same JSONL (MinIO client, no gateway)", raw, floor, raw);
        System.out.println();
        boolean allAccepted = accepted.get() == sent;
        boolean allDuplicates = duplicates.get() == sent;
        boolean allAnnounced = announced == expected;
        System.out.printf("%s intake accepted %d of %d%n", allAccepted ? "✓" : "✗", accepted.get(), sent);
        System.out.printf("%s re-sent: %d of %d duplicates%n", allDuplicates ? "✓" : "✗", duplicates.get(), sent);
        System.out.printf("%s ObservationsReceived: %d events announcing %d observations (expected %d)%n",
                allAnnounced ? "✓" : "✗", events, announced, expected);
        return allAccepted && allDuplicates && allAnnounced;
    }

    private static void row(String path, double rate, double floor, double raw) {
        System.out.printf("| %s | %,.0f | %.2f | %.2f |%n", path, rate, rate / floor, rate / raw);
    }

    /** {@code count} request bodies of {@code batch} observations each, with ids unique across the run. */
    private static List<String> bodies(String prefix, int count, int batch, int chars) throws IOException {
        String prompt = "Summarise the ticket and answer in JSON. ".repeat(Math.max(1, chars / 2 / 41));
        String completion = "{\"summary\": \"" + "x".repeat(Math.max(1, chars / 2 - 16)) + "\"}";
        List<String> bodies = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode observations = body.putArray("observations");
            for (int i = 0; i < batch; i++) {
                ObjectNode o = observations.addObject();
                o.put("id", prefix + "-" + b + "-" + i);
                o.put("version", 1);
                o.put("time", "2026-01-31T12:00:00Z");
                o.putArray("messages").addObject().put("role", "user").put("content", prompt + i);
                o.put("completion", completion);
                o.put("latency_ms", 100 + i % 50);
                o.put("prompt_tokens", 40);
                o.put("completion_tokens", 30);
            }
            bodies.add(JSON.writeValueAsString(body));
        }
        return bodies;
    }

    /** Posts every body, {@code clients} at a time; observations per second from the first request to the last answer. */
    private static double post(HttpClient http, String url, String key, String path, List<String> bodies, int clients,
                               int expected, java.util.function.Consumer<JsonNode> answers) throws Exception {
        AtomicInteger next = new AtomicInteger();
        int observations = JSON.readTree(bodies.get(0)).path("observations").size() * bodies.size();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
                        String answer = call(http, url, key, "POST", path, bodies.get(i), expected);
                        if (answers != null) {
                            answers.accept(JSON.readTree(answer));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
        return observations / ((System.nanoTime() - start) / 1e9);
    }

    /** The bodies' observations as JSONL put straight into S3, one object per batch, {@code clients} at a time. */
    private static double rawPuts(EmbeddedStack stack, List<String> bodies, int batch, int clients) throws Exception {
        MinioClient s3 = MinioClient.builder().endpoint(stack.s3Endpoint())
                .credentials(stack.s3AccessKey(), stack.s3SecretKey()).region(stack.s3Region()).build();
        List<byte[]> objects = new ArrayList<>();
        for (String body : bodies) {
            StringBuilder jsonl = new StringBuilder();
            for (JsonNode o : JSON.readTree(body).path("observations")) {
                jsonl.append(JSON.writeValueAsString(o)).append('\n');
            }
            objects.add(jsonl.toString().getBytes(StandardCharsets.UTF_8));
        }
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < objects.size(); i = next.getAndIncrement()) {
                        byte[] bytes = objects.get(i);
                        s3.putObject(PutObjectArgs.builder().bucket(stack.bucket())
                                .object("bench/raw/" + i + ".jsonl")
                                .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                                .contentType("application/jsonl").build());
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
        return (double) objects.size() * batch / ((System.nanoTime() - start) / 1e9);
    }

    private static String call(HttpClient http, String url, String key, String method, String path, String body,
                               int expected) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode()
                    + " (expected " + expected + "): " + response.body());
        }
        return response.body();
    }

    private static int status(HttpClient http, String url, String key, String path)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key)
                .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static Map<String, Integer> options(String[] args) {
        Map<String, Integer> options = new java.util.HashMap<>(Map.of("observations", 50_000, "batch", 1000,
                "clients", 4, "chars", 400));
        for (int i = 0; i + 1 < args.length; i += 2) {
            String name = args[i].replaceFirst("^--", "");
            if (!options.containsKey(name)) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + options.keySet());
            }
            options.put(name, Integer.parseInt(args[i + 1]));
        }
        return options;
    }
}
