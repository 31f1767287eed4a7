package dev.tuneforge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.launcher.WorkerCommand;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A base model the gateway's tests serve "remotely" (#19: {@code tuneforge.serving.remote-servers}, the form the
 * Kubernetes ConfigMap sets as {@code TUNEFORGE_SERVING_REMOTE_SERVERS}): this resource reserves a port and points
 * {@value #BASE_MODEL} at it (after another base model's entry, which no test uses); a test starts a real
 * {@code worker serve --adapters} there ({@link #start}), standing in for the GPU serve Deployment. Every test gets the setting (so no Quarkus
 * restart), and only a version of {@value #BASE_MODEL} reaches it.
 */
public class RemoteServe implements QuarkusTestResourceLifecycleManager {

    static final String BASE_MODEL = "tiny-remote-test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile int port;

    @Override
    public Map<String, String> start() {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("tuneforge.serving.remote-servers",
                "elsewhere=http://serve-elsewhere:8000, " + BASE_MODEL + "=http://127.0.0.1:" + port,
                // Long enough for a test to mirror an adapter once its copy is in S3, short enough to wait out.
                "tuneforge.serving.remote-adapter-wait", "20s");
    }

    @Override
    public void stop() {
    }

    /** The stand-in server, stopped on close. */
    record Server(Process process) implements AutoCloseable {

        /** The ids its {@code /v1/models} lists. */
        List<String> modelIds() throws IOException, InterruptedException {
            try (HttpClient http = HttpClient.newHttpClient()) {
                String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models"))
                        .build(), HttpResponse.BodyHandlers.ofString()).body();
                List<String> ids = new ArrayList<>();
                JSON.readTree(body).path("data").forEach(model -> ids.add(model.path("id").asText()));
                return ids;
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** Starts {@code worker serve --model model --adapters adapters} on the reserved port; returns once it serves. */
    static Server start(String djlHome, Path model, Path adapters) throws Exception {
        WorkerCommand djl = WorkerCommand.djl(Path.of(System.getProperty("java.home")), Path.of(djlHome), 1, "1g");
        List<String> line = new ArrayList<>(djl.prefix());
        line.addAll(List.of("serve", "--model", model.toString(), "--adapters", adapters.toString(), "--port",
                Integer.toString(port), "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        ProcessBuilder builder = new ProcessBuilder(line).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(djl.env());
        Server server = new Server(builder.start());
        CompletableFuture<JsonNode> serving = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(server.process().getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String event = out.readLine(); event != null; event = out.readLine()) {
                    JsonNode node = JSON.readTree(event);
                    if (node.path("event").asText().equals("serving")) {
                        return node;
                    }
                }
                throw new IllegalStateException("worker serve exited before serving");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            serving.get(2, TimeUnit.MINUTES);
        } catch (Exception e) {
            server.close();
            throw e;
        }
        return server;
    }
}
