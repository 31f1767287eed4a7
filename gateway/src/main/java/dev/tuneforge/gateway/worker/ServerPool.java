package dev.tuneforge.gateway.worker;

import dev.tuneforge.gateway.config.ServingConfig;
import dev.tuneforge.gateway.domain.ChatTarget;
import dev.tuneforge.kit.storage.DirectorySync;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.launcher.WorkerCommand;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

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
    private final DirectorySync sync;
    private final Path workDir;
    // Access order: the first entry is the least recently used.
    private final LinkedHashMap<String, Entry> servers = new LinkedHashMap<>(16, 0.75f, true);
    private final ExecutorService starter = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "serve-start");
        thread.setDaemon(true);
        return thread;
    });
    // Staging is slow: it has its own lock, so requests for running servers never wait for it.
    private final Object stagingLock = new Object();
    private WorkerCommand runtime;

    public ServerPool(ServingConfig config, DirectorySync sync) {
        this.config = config;
        this.sync = sync;
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
            Path base = stageBaseModel(target.baseModel());
            Path model = base;
            Path adapter = null;
            if (target.artifactKey() != null) {
                Path artifact = stage(target.artifactKey(), workDir.resolve("cache/artifacts")
                        .resolve(hash(target.artifactKey() + "@" + target.artifactSha256())));
                if (target.fullModel()) {
                    withTokenizer(artifact, base);
                    model = artifact;
                } else {
                    adapter = artifact;
                }
            }
            Path log = workDir.resolve("logs").resolve(hash(target.serverKey()) + ".log");
            LOG.infof("starting worker serve for %s (model %s%s)", target.serverKey(), model,
                    adapter == null ? "" : ", adapter " + adapter);
            return ServeProcess.start(runtime(), model, adapter, log, config.startTimeout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting a server", e);
        }
    }

    private Path stageBaseModel(String name) throws IOException {
        String prefix = ObjectKeys.baseModel(name);
        String digest = sync.digestOf(prefix);
        if (digest == null) {
            throw new IOException("base model '" + name + "' is not in the catalogue");
        }
        return stage(prefix, workDir.resolve("cache/base-models").resolve(name + "@" + digest.substring(0, 16)));
    }

    /** Downloads (with the manifest's digests checked) unless a complete copy is there already. */
    private Path stage(String prefix, Path dir) {
        synchronized (stagingLock) {
            if (!Files.isDirectory(dir)) {
                sync.download(prefix, dir);
            }
            return dir;
        }
    }

    /** A full model written by training may lack the tokenizer; the base model's is the same. */
    private static void withTokenizer(Path model, Path base) throws IOException {
        try (Stream<Path> files = Files.list(base)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if ((name.startsWith("tokenizer") || name.startsWith("chat_template")
                        || name.equals("special_tokens_map.json")) && !Files.exists(model.resolve(name))) {
                    Files.copy(file, model.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private synchronized WorkerCommand runtime() {
        if (runtime == null) {
            runtime = WorkerCommand.djl(Path.of(System.getProperty("java.home")),
                    Path.of(config.djlHome().orElse("worker/target")).toAbsolutePath(), config.djlThreads(),
                    config.djlMaxHeap());
        }
        return runtime;
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(servers.values());
            servers.clear();
        }
        all.forEach(e -> e.server.thenAccept(ServeProcess::stop));
        starter.shutdownNow();
    }
}
