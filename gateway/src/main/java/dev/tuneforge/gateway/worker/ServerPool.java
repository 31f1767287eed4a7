package dev.tuneforge.gateway.worker;

import dev.tuneforge.gateway.config.ServingConfig;
import dev.tuneforge.gateway.domain.ChatTarget;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.launcher.WorkerCommand;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The local {@code worker serve} processes behind chat: one per base model, started with {@code --adapters DIR} and
 * serving every adapter version on that base model by its {@link ChatTarget#adapterId() id} (a version's adapter is
 * staged into {@code DIR} before its first request: linked under a temporary name, then renamed into place; the links
 * are removed when the base model's server starts again), and one
 * per full-model version. A base model's server counts once however many versions it serves. What holds:
 * <ul>
 * <li><b>At most {@code tuneforge.serving.max-servers} processes</b>, counting those being staged or started and
 *     those being stopped: a request for a model without a server takes a slot before anything is staged, and a
 *     slot comes back only when its process has exited. With every slot taken, the least recently used idle server
 *     is stopped and its successor starts once it has exited; with none idle (all answering requests, starting or
 *     stopping) the request waits up to {@code queue-timeout} for one and then fails with {@link ServersBusy}
 *     (503 with {@code Retry-After}: the client comes back, rather than a queue of unbounded length here).</li>
 * <li><b>A lease is a server that answers</b>: before it is handed out, its {@code GET /health} must answer 200
 *     within {@code health-timeout}. One that has exited, errs or hangs (a wedged JVM still accepts connections)
 *     is killed and replaced, once per request; requests still in flight on it fail, and their clients see 502.</li>
 * <li><b>Stopping never holds up a request</b>: the pool's lock guards only its bookkeeping; processes are stopped
 *     on a thread of their own (SIGTERM, {@code stop-timeout}, then SIGKILL), and only the request that takes over
 *     a stopping server's slot waits for it.</li>
 * <li><b>No process outlives the pool</b>: every process is known from the moment it is spawned, so closing (at
 *     the gateway's shutdown) kills those still starting too, and nothing is started after it.</li>
 * </ul>
 * Requests for a model whose server is starting wait for that start rather than starting another. Staging (the
 * files from S3) is {@link ModelStaging}'s.
 */
@ApplicationScoped
public class ServerPool {

    /** A server in use by one request; {@link #close()} when the response is done. */
    public interface Lease extends AutoCloseable {
        URI url();

        /** The {@code model} a forwarded request names: the adapter's id, or null for the server's own model. */
        String model();

        /**
         * How long a 404 {@code model_not_found} is asked again: a remote server may not have the adapter yet; a local
         * one has it before the request is sent (zero).
         */
        Duration adapterWait();

        @Override
        void close();
    }

    private static final Logger LOG = Logger.getLogger(ServerPool.class);
    /** What a busy answer tells the client: about the time a small model takes for one answer on a CPU. */
    private static final long RETRY_AFTER_SECONDS = 5;
    /** The prefix of an adapter link's temporary name, before it is renamed to the adapter's id. */
    private static final String STAGING = ".staging-";

    private final ServingConfig config;
    private final ModelStaging staging;
    private final Path workDir;
    private final HttpClient health;
    private final ExecutorService starter = daemonThreads("serve-start");
    private final ExecutorService stopper = daemonThreads("serve-stop");
    // Guarded by this. Access order: the first entry is the least recently used. Each entry holds a slot.
    private final LinkedHashMap<String, Entry> servers = new LinkedHashMap<>(16, 0.75f, true);
    // Guarded by this: processes being stopped whose slot no successor has taken over; each holds a slot.
    private int stopping;
    // Guarded by this: every process spawned that has not exited.
    private final Set<Process> children = new HashSet<>();
    private boolean closed;
    private WorkerCommand command;

    @Inject
    public ServerPool(ServingConfig config, DirectorySync sync, ObjectStore store) {
        this(config, new S3ModelStaging(sync, store, Path.of(config.workDir()).toAbsolutePath()), null);
    }

    /** @param command what runs {@code serve}; null: the djl worker of {@code tuneforge.serving.djl-home} */
    ServerPool(ServingConfig config, ModelStaging staging, WorkerCommand command) {
        this.config = config;
        this.staging = staging;
        this.command = command;
        this.workDir = Path.of(config.workDir()).toAbsolutePath();
        this.health = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.healthTimeout()).build();
    }

    /** One server's slot: its start (or its failure) and the requests using it. */
    private static final class Entry {
        final String key;
        final CompletableFuture<ServeProcess> server = new CompletableFuture<>();
        int inFlight;

        Entry(String key) {
            this.key = key;
        }

        boolean idle() {
            return inFlight == 0 && server.isDone() && !server.isCompletedExceptionally();
        }
    }

    /**
     * A running, answering server for {@code target}, started (and its files staged) if there is none.
     *
     * @throws ServersBusy every slot stayed taken for {@code queue-timeout}
     * @throws IOException the server could not be started, or did not answer twice
     */
    public Lease acquire(ChatTarget target) throws IOException {
        String remote = target.fullModel() ? null : config.remoteUrl(target.baseModel()).orElse(null);
        if (remote != null) {
            return remote(target, remote);
        }
        if (target.adapterId() != null) {
            stageAdapter(target);
        }
        for (int attempt = 0; ; attempt++) {
            Entry entry = enter(target, System.nanoTime() + config.queueTimeout().toNanos());
            ServeProcess server;
            try {
                server = entry.server.join();
                if (target.adapterId() != null) {
                    stageAdapter(target); // again if the server's start removed the link (removeLinks)
                }
            } catch (CompletionException | CancellationException e) {
                leave(entry);
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
            } catch (IOException e) {
                leave(entry);
                throw e;
            }
            Optional<String> problem = server.healthProblem(health, config.healthTimeout());
            if (problem.isEmpty()) {
                return lease(entry, server, target.adapterId());
            }
            LOG.warnf("the server of %s %s: killing it", entry.key, problem.get());
            drop(entry, server);
            leave(entry);
            if (attempt > 0) {
                throw new IOException("the server for " + target.requested() + " " + problem.get());
            }
        }
    }

    /**
     * Puts the version's adapter into its base model's adapters directory, unless it is there: the staged copy is
     * linked under a temporary name that is not an id, then renamed to its id, so the server never reads a partial
     * one. Done before the request takes a slot: a download holds up no other model's request.
     */
    private void stageAdapter(ChatTarget target) throws IOException {
        Path adapters = adaptersDir(target.serverKey());
        Path staged = adapters.resolve(target.adapterId());
        if (Files.exists(staged)) {
            return;
        }
        Path source = staging.adapter(target);
        Files.createDirectories(adapters);
        Path temporary = adapters.resolve(STAGING + UUID.randomUUID());
        Files.createSymbolicLink(temporary, source);
        Files.move(temporary, staged, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A lease on the remote server of the target's base model: no process of the pool, no slot. The adapter is copied
     * (in S3, server-side) to {@link #remoteAdapters where the server's sidecar} mirrors it from, unless it is there;
     * the server may still lack it for a while, which {@link Lease#adapterWait()} allows for.
     */
    private Lease remote(ChatTarget target, String base) throws IOException {
        if (target.adapterId() != null) {
            staging.publish(target, remoteAdapters(target.baseModel()) + target.adapterId() + "/");
        }
        URI url = URI.create(base.replaceAll("/+$", "") + "/v1");
        String model = target.adapterId();
        Duration wait = config.remoteAdapterWait();
        return new Lease() {
            @Override
            public URI url() {
                return url;
            }

            @Override
            public String model() {
                return model;
            }

            @Override
            public Duration adapterWait() {
                return wait;
            }

            @Override
            public void close() {
            }
        };
    }

    /** The S3 prefix a remote server of {@code baseModel} mirrors into its {@code --adapters} directory. */
    public static String remoteAdapters(String baseModel) {
        return "serving/" + baseModel + "/adapters/";
    }

    /** The directory a base model's server reads its adapters from. */
    private Path adaptersDir(String serverKey) {
        return workDir.resolve("adapters").resolve(S3ModelStaging.hash(serverKey));
    }

    private Lease lease(Entry entry, ServeProcess server, String model) {
        return new Lease() {
            private boolean closed;

            @Override
            public URI url() {
                return server.url();
            }

            @Override
            public String model() {
                return model;
            }

            @Override
            public Duration adapterWait() {
                return Duration.ZERO;
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    leave(entry);
                }
            }
        };
    }

    /** Joins the server of {@code target}, or takes a slot for one, waiting until {@code deadline} for a slot. */
    private synchronized Entry enter(ChatTarget target, long deadline) throws IOException {
        while (true) {
            if (closed) {
                throw new IOException("the gateway is shutting down");
            }
            Entry entry = servers.get(target.serverKey());
            if (entry == null && servers.size() + stopping < config.maxServers()) {
                entry = start(target, CompletableFuture.completedFuture(null));
            } else if (entry == null) {
                Entry victim = servers.values().stream().filter(Entry::idle).findFirst().orElse(null);
                if (victim != null) {
                    servers.remove(victim.key);
                    LOG.infof("stopping the server of %s (least recently used idle one of %d) for %s", victim.key,
                            config.maxServers(), target.serverKey());
                    // Its slot passes to the new server, which starts once it has exited.
                    entry = start(target, stop(victim.server.join(), false));
                }
            }
            if (entry != null) {
                entry.inFlight++;
                return entry;
            }
            long wait = deadline - System.nanoTime();
            if (wait <= 0) {
                throw new ServersBusy("all " + config.maxServers() + " model servers are busy, starting or stopping"
                        + " (waited " + config.queueTimeout().toSeconds() + " s); retry in " + RETRY_AFTER_SECONDS
                        + " s", RETRY_AFTER_SECONDS);
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for a model server", e);
            }
        }
    }

    private synchronized void leave(Entry entry) {
        entry.inFlight--;
        if (entry.inFlight == 0) {
            notifyAll(); // an idle server is a slot for a waiting request
        }
    }

    /** Takes {@code entry}'s slot away from a server that does not answer: it is killed, the slot back when it has exited. */
    private synchronized void drop(Entry entry, ServeProcess server) {
        if (closed || servers.get(entry.key) != entry) {
            return; // another request found it first
        }
        servers.remove(entry.key);
        stopping++;
        stop(server, true).whenComplete((ignored, e) -> {
            synchronized (this) {
                stopping--;
                notifyAll();
            }
        });
    }

    /** A new entry holding a slot; its server starts on a starter thread once {@code after} is done. */
    private Entry start(ChatTarget target, CompletableFuture<Void> after) {
        Entry entry = new Entry(target.serverKey());
        servers.put(entry.key, entry);
        after.whenCompleteAsync((ignored, e) -> launch(entry, target), starter);
        return entry;
    }

    private void launch(Entry entry, ChatTarget target) {
        try {
            Path model = staging.model(target);
            Path adapters = target.fullModel() ? null : Files.createDirectories(adaptersDir(target.serverKey()));
            if (adapters != null) {
                removeLinks(adapters);
            }
            synchronized (this) {
                if (closed) {
                    throw new IOException("the gateway is shutting down");
                }
            }
            Path log = workDir.resolve("logs").resolve(S3ModelStaging.hash(target.serverKey()) + ".log");
            LOG.infof("starting worker serve for %s (model %s%s)", target.serverKey(), model,
                    adapters == null ? "" : ", adapters " + adapters);
            entry.server.complete(ServeProcess.start(command(), model, adapters, log, config.startTimeout(),
                    this::adopt));
        } catch (Exception | Error e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                if (servers.get(entry.key) == entry) {
                    servers.remove(entry.key); // the slot is free: the process, if any, is gone
                }
                notifyAll();
            }
            entry.server.completeExceptionally(e);
        }
    }

    /**
     * Removes the adapter links a base model's earlier server read, before its next one starts: the new process has
     * no adapter loaded, and without this the links of every version ever asked for (archived or deleted ones
     * among them) would stay for as long as the gateway runs. A request links its adapter again once the server is
     * up ({@link #acquire}); a temporary name being renamed into place right now is left alone.
     */
    private static void removeLinks(Path adapters) throws IOException {
        try (DirectoryStream<Path> links = Files.newDirectoryStream(adapters)) {
            for (Path link : links) {
                if (Files.isSymbolicLink(link) && !link.getFileName().toString().startsWith(STAGING)) {
                    Files.deleteIfExists(link);
                }
            }
        }
    }

    /** Told of each process as it is spawned; refuses (and kills) it once the pool is closed. */
    private synchronized void adopt(Process process) throws IOException {
        if (closed) {
            process.destroyForcibly();
            throw new IOException("the gateway is shutting down");
        }
        children.add(process);
        process.onExit().thenRun(() -> {
            synchronized (this) {
                children.remove(process);
            }
        });
    }

    /** Stops {@code server} on a stopper thread: SIGTERM and stop-timeout, or SIGKILL at once when {@code kill}. */
    private CompletableFuture<Void> stop(ServeProcess server, boolean kill) {
        return CompletableFuture.runAsync(() -> server.stop(kill ? Duration.ZERO : config.stopTimeout()), stopper);
    }

    /** The keys of the running or starting servers, least recently used first (for tests and metrics). */
    public synchronized List<String> keys() {
        return List.copyOf(servers.keySet());
    }

    /** The process id of each running server, by key (for tests and operators). */
    public synchronized Map<String, Long> pids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        servers.forEach((key, entry) -> {
            ServeProcess server = entry.server.getNow(null);
            if (server != null) {
                pids.put(key, server.pid());
            }
        });
        return pids;
    }

    private synchronized WorkerCommand command() {
        if (command == null) {
            command = WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                    Path.of(config.djlHome().orElse("worker/target")).toAbsolutePath(), config.djlThreads(),
                    config.djlMaxHeap());
        }
        return command;
    }

    void onStop(@Observes ShutdownEvent event) {
        close();
    }

    /**
     * Stops every process, those still starting included (SIGTERM, then SIGKILL after stop-timeout), and waits for
     * them; requests waiting for a server fail, and nothing starts after this.
     */
    void close() {
        List<Process> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            IOException shutdown = new IOException("the gateway is shutting down");
            servers.values().forEach(entry -> entry.server.completeExceptionally(shutdown));
            servers.clear();
            all = List.copyOf(children);
            notifyAll();
        }
        starter.shutdownNow();
        all.forEach(Process::destroy);
        long deadline = System.nanoTime() + config.stopTimeout().toNanos();
        for (Process process : all) {
            try {
                if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        stopper.shutdownNow();
        health.close();
        LOG.infof("stopped %d model server(s)", all.size());
    }

    private static ExecutorService daemonThreads(String name) {
        return Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
    }
}
