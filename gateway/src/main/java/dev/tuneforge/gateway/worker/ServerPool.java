package dev.tuneforge.gateway.worker;

import dev.tuneforge.gateway.config.ServingConfig;
import dev.tuneforge.gateway.domain.ChatTarget;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.launcher.WorkerCommand;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small pool of local {@code worker serve} processes, one per served model version (or base model), at
 * most {@code tuneforge.serving.max-servers}: a request for a model without a server stages its files from
 * S3 into a local cache (base model by name and manifest digest, adapter or full model by its key and
 * digest), starts a server and waits for it; the least recently used idle server stops to make room.
 * Requests for a model whose server is starting wait for that start rather than starting another.
 */
@ApplicationScoped
public class ServerPool {

    /** A server in use by one request; {@link #close()} when the response is done. */
    public interface Lease extends AutoCloseable {
        URI url();

        @Override
        void close();
    }

    private static final Logger LOG = Logger.getLogger(ServerPool.class);

    private final ServingConfig config;
    private final ModelStaging staging;
    private final Path workDir;
    // Access order: the first entry is the least recently used.
    private final LinkedHashMap<String, Entry> servers = new LinkedHashMap<>(16, 0.75f, true);
    private final ExecutorService starter = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "serve-start");
        thread.setDaemon(true);
        return thread;
    });
    private WorkerCommand command;

    @Inject
    public ServerPool(ServingConfig config, DirectorySync sync) {
        this(config, new S3ModelStaging(sync, Path.of(config.workDir()).toAbsolutePath()), null);
    }

    /** @param command what runs {@code serve}; null: the djl worker of {@code tuneforge.serving.djl-home} */
    ServerPool(ServingConfig config, ModelStaging staging, WorkerCommand command) {
        this.config = config;
        this.staging = staging;
        this.command = command;
        this.workDir = Path.of(config.workDir()).toAbsolutePath();
    }

    private static final class Entry {
        final String key;
        final CompletableFuture<ServeProcess> server;
        int inFlight;

        Entry(String key, CompletableFuture<ServeProcess> server) {
            this.key = key;
            this.server = server;
        }
    }

    /** A running server for {@code target}, started (and its files staged) if there is none. */
    public Lease acquire(ChatTarget target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Entry entry = enter(target);
            ServeProcess server;
            try {
                server = entry.server.join();
            } catch (CompletionException e) {
                leave(entry, true);
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
            }
            if (server.alive()) {
                return new Lease() {
                    @Override
                    public URI url() {
                        return server.url();
                    }

                    @Override
                    public void close() {
                        leave(entry, false);
                    }
                };
            }
            // It died (a crash, out of memory): start it again, once.
            leave(entry, true);
            if (attempt > 0) {
                throw new IOException("the server for " + target.requested() + " stopped unexpectedly");
            }
        }
    }

    private synchronized Entry enter(ChatTarget target) {
        Entry entry = servers.get(target.serverKey());
        if (entry == null) {
            entry = new Entry(target.serverKey(), CompletableFuture.supplyAsync(() -> start(target), starter));
            servers.put(target.serverKey(), entry);
            evictIdle();
        }
        entry.inFlight++;
        return entry;
    }

    private synchronized void leave(Entry entry, boolean discard) {
        entry.inFlight--;
        if (discard && servers.get(entry.key) == entry) {
            servers.remove(entry.key);
            entry.server.thenAccept(ServeProcess::stop);
        }
        evictIdle();
    }

    /** Stops least recently used idle servers while there are more than allowed. */
    private void evictIdle() {
        List<Entry> idle = new ArrayList<>();
        for (Entry e : servers.values()) {
            if (e.inFlight == 0 && e.server.isDone()) {
                idle.add(e);
            }
        }
        int excess = servers.size() - config.maxServers();
        for (int i = 0; i < excess && i < idle.size(); i++) {
            Entry victim = idle.get(i);
            servers.remove(victim.key);
            LOG.infof("stopping the server of %s (least recently used of %d)", victim.key, config.maxServers());
            victim.server.thenAccept(ServeProcess::stop);
        }
    }

    /** The keys of the running or starting servers, least recently used first (for tests and metrics). */
    public synchronized List<String> keys() {
        return List.copyOf(servers.keySet());
    }

    private ServeProcess start(ChatTarget target) {
        try {
            ModelStaging.Staged files = staging.stage(target);
            Path log = workDir.resolve("logs").resolve(S3ModelStaging.hash(target.serverKey()) + ".log");
            LOG.infof("starting worker serve for %s (model %s%s)", target.serverKey(), files.model(),
                    files.adapter() == null ? "" : ", adapter " + files.adapter());
            return ServeProcess.start(command(), files.model(), files.adapter(), log, config.startTimeout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting a server", e);
        }
    }

    private synchronized WorkerCommand command() {
        if (command == null) {
            command = WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                    Path.of(config.djlHome().orElse("worker/target")).toAbsolutePath(), config.djlThreads(),
                    config.djlMaxHeap());
        }
        return command;
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

    void onStop(@Observes ShutdownEvent event) {
        close();
    }

    void close() {
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(servers.values());
            servers.clear();
        }
        all.forEach(e -> e.server.thenAccept(ServeProcess::stop));
        starter.shutdownNow();
    }
}
