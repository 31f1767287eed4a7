package dev.tuneforge.gateway.worker;

import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code worker serve --model DIR [--adapter DIR] --port 0} process (docs/WORKER_PROTOCOL.md): started,
 * ready once it prints its {@code serving} event (which names the port it bound), stopped with SIGTERM.
 */
final class ServeProcess {

    private final Process process;
    private final URI url;

    private ServeProcess(Process process, URI url) {
        this.process = process;
        this.url = url;
    }

    /** Starts the server and waits for {@code serving}; its stderr goes to {@code log}. */
    static ServeProcess start(WorkerCommand runtime, Path model, Path adapter, Path log, Duration timeout)
            throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(runtime.prefix());
        line.addAll(List.of("serve", "--model", model.toString(), "--port", "0"));
        if (adapter != null) {
            line.addAll(List.of("--adapter", adapter.toString()));
        }
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(line).directory(log.getParent().toFile());
        builder.environment().putAll(runtime.env());
        builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process process = builder.start();
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

    boolean alive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    void stop() {
        stop(process);
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
