package dev.tuneforge.conformance;

import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.ProtocolSchemaValidator;
import dev.tuneforge.worker.protocol.WorkerEvent;
import dev.tuneforge.worker.protocol.WorkerExit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code serve --model DIR --adapter DIR --port 0} (or {@code --adapters DIR}) of a runtime, started with the runtime's command line as the
 * gateway starts it, stdout kept line by line, stderr in the work directory's {@code worker.log}.
 */
final class ServeProcess implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(180);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

    private final Runtime runtime;
    private final Process process;
    private final Path workdir;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final CompletableFuture<WorkerEvent.Serving> serving = new CompletableFuture<>();
    private final Thread reader;

    private ServeProcess(Runtime runtime, Process process, Path workdir) {
        this.runtime = runtime;
        this.process = process;
        this.workdir = workdir;
        this.reader = new Thread(this::pump, "serve-" + runtime);
        reader.setDaemon(true);
        reader.start();
    }

    static ServeProcess start(Runtime runtime, Path model, Path adapter, Path workdir, String... options) {
        return start(runtime, workdir, List.of("--model", model.toString(), "--adapter", adapter.toString()), options);
    }

    /** {@code serve --model DIR --adapters DIR --port 0}: the base model and the adapters in that directory. */
    static ServeProcess startWithAdapters(Runtime runtime, Path model, Path adapters, Path workdir, String... options) {
        return start(runtime, workdir, List.of("--model", model.toString(), "--adapters", adapters.toString()), options);
    }

    private static ServeProcess start(Runtime runtime, Path workdir, List<String> models, String... options) {
        WorkerCommand command = runtime.command();
        List<String> line = new ArrayList<>(command.prefix());
        line.add("serve");
        line.addAll(models);
        line.addAll(List.of("--port", "0"));
        line.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(line).directory(workdir.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(workdir.resolve("worker.log").toFile()));
        builder.environment().putAll(command.env());
        try {
            return new ServeProcess(runtime, builder.start(), workdir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void pump() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
                if (EventLines.parse(line).orElse(null) instanceof WorkerEvent.Serving s) {
                    serving.complete(s);
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        serving.completeExceptionally(new IllegalStateException("serve ended before printing serving"));
    }

    /** The {@code serving} event, once the server listens. */
    WorkerEvent.Serving serving() {
        try {
            return serving.get(STARTUP.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError(runtime + " serve: " + e.getMessage() + "\n" + describe(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(url(path)).GET());
    }

    HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(url(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private URI url(String path) {
        WorkerEvent.Serving s = serving();
        return URI.create("http://" + s.host() + ":" + s.port() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(runtime + " serve: " + e + "\n" + describe(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM, then how it exited; every line it printed is then in {@link #events()}. */
    WorkerExit terminate() throws InterruptedException {
        process.toHandle().destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(runtime + " serve did not stop within 60 s of SIGTERM\n" + describe());
        }
        reader.join(10_000);
        return new WorkerExit(process.exitValue());
    }

    /** How it exited, once it has ended on its own (within {@code seconds}). */
    WorkerExit awaitExit(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(runtime + " serve did not exit within " + seconds + " s\n" + describe());
        }
        reader.join(10_000);
        return new WorkerExit(process.exitValue());
    }

    /** Every line it printed, each held to the events schema. */
    List<WorkerEvent> events() {
        return lines.stream().map(ProtocolSchemaValidator::validEvent).toList();
    }

    String describe() {
        return runtime + " serve in " + workdir + ":\n  " + String.join("\n  ", lines) + "\n--- end of worker.log ---\n"
                + WorkerRun.logTail(workdir);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
