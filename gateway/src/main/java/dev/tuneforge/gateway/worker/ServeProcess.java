package dev.tuneforge.gateway.worker;

import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.launcher.WorkerEnvironment;
import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code worker serve --model DIR [--adapters DIR] --port 0} process (docs/WORKER_PROTOCOL.md): started,
 * ready once it prints its {@code serving} event (which names the port it bound), fit to serve while its
 * {@code GET /health} answers 200, stopped with SIGTERM (SIGKILL after a grace period, or at once).
 */
final class ServeProcess {

    /** Who owns the process: told of it as soon as it is spawned, before it serves; may refuse it. */
    @FunctionalInterface
    interface Parent {
        /** @throws IOException the process must not run (it has been killed) */
        void adopt(Process process) throws IOException;
    }

    private final Process process;
    private final URI url;

    private ServeProcess(Process process, URI url) {
        this.process = process;
        this.url = url;
    }

    /**
     * Starts the server (with {@code adapters} not null, serving the adapters in that directory by id) and waits for
     * {@code serving}; its stderr goes to {@code log}. {@code parent} is told of the
     * process as soon as it exists, so that it can be killed while it starts; if it refuses it, nothing runs.
     */
    static ServeProcess start(WorkerCommand runtime, Path model, Path adapters, Path log, Duration timeout,
                              Parent parent) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(runtime.prefix());
        // --parent-pid: the server stops itself once the gateway is gone, even after a SIGKILL
        line.addAll(List.of("serve", "--model", model.toString(), "--port", "0", "--parent-pid",
                Long.toString(ProcessHandle.current().pid())));
        if (adapters != null) {
            line.addAll(List.of("--adapters", adapters.toString()));
        }
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(line).directory(log.getParent().toFile());
        // only what a worker needs, never the gateway's credentials (WorkerEnvironment, as trainer and eval do)
        builder.environment().clear();
        builder.environment().putAll(WorkerEnvironment.of(runtime));
        builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process process = builder.start();
        try {
            parent.adopt(process);
        } catch (IOException refused) {
            process.destroyForcibly();
            throw refused;
        }
        CompletableFuture<URI> serving = new CompletableFuture<>();
        Thread reader = new Thread(() -> pump(process, serving), "serve-events-" + process.pid());
        reader.setDaemon(true);
        reader.start();
        try {
            return new ServeProcess(process, serving.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            stop(process);
            throw new IOException(e.getCause().getMessage() + " (log: " + log + ")", e.getCause());
        } catch (TimeoutException e) {
            stop(process);
            throw new IOException("worker serve did not print 'serving' within " + timeout + " (log: " + log + ")");
        } catch (InterruptedException e) {
            stop(process);
            throw e;
        }
    }

    /** Reads events for as long as the process writes: {@code serving} or a failure completes {@code serving}. */
    private static void pump(Process process, CompletableFuture<URI> serving) {
        String failure = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                switch (EventLines.parse(line).orElse(null)) {
                    case WorkerEvent.Serving s when s.url() != null -> serving.complete(URI.create(s.url()));
                    case WorkerEvent.Failed f -> failure = "worker serve failed: " + f.describe();
                    case null, default -> { }
                }
            }
        } catch (IOException e) {
            // the process is gone; reported below
        }
        String exit;
        try {
            exit = new WorkerExit(process.waitFor()).describe();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exit = "worker serve is still running";
        }
        serving.completeExceptionally(new IOException(failure != null ? failure : exit + " before serving"));
    }

    /** The OpenAI-compatible API's base, {@code http://127.0.0.1:<port>/v1}. */
    URI url() {
        return url;
    }

    long pid() {
        return process.pid();
    }

    /**
     * Why this server is not fit to serve, or nothing: it must be running and answer {@code GET /health} with 200
     * within {@code timeout}. A hung JVM still accepts connections (the kernel does), so only an answer counts.
     */
    Optional<String> healthProblem(HttpClient http, Duration timeout) {
        if (!process.isAlive()) {
            return Optional.of("has exited (" + new WorkerExit(process.exitValue()).describe() + ")");
        }
        try {
            HttpResponse<Void> health = http.send(HttpRequest.newBuilder(url.resolve("/health")).timeout(timeout)
                    .GET().build(), HttpResponse.BodyHandlers.discarding());
            return health.statusCode() == 200 ? Optional.empty()
                    : Optional.of("answered its health check with " + health.statusCode());
        } catch (HttpTimeoutException e) {
            return Optional.of("did not answer its health check within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return Optional.of("failed its health check: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("was not checked (interrupted)");
        }
    }

    /** SIGTERM, and SIGKILL if it has not exited after {@code grace} (at once for zero); returns once it has exited. */
    void stop(Duration grace) {
        stop(process, grace);
    }

    private static void stop(Process process) {
        stop(process, Duration.ofSeconds(10));
    }

    private static void stop(Process process, Duration grace) {
        boolean interrupted = false;
        try {
            if (grace.isZero()) {
                process.destroyForcibly();
            } else {
                process.destroy();
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            }
            process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
