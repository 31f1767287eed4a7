package dev.tuneforge.gateway.worker;

import dev.tuneforge.gateway.config.ServingConfig;
import dev.tuneforge.gateway.domain.ChatTarget;
import dev.tuneforge.launcher.WorkerCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool of {@code serve} processes with real processes ({@link FakeServe}: a real child process that speaks the
 * serving event and {@code /health}, and hangs or ignores SIGTERM on demand). Not a {@code @QuarkusTest}: what is
 * tested is the pool's bookkeeping of processes, which needs no S3 (the staging is this test's) and no app;
 * ChatTest drives the same pool with real {@code worker serve} processes through the API.
 */
class ServerPoolTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<ServerPool> pools = new ArrayList<>();
    private final ExecutorService requests = Executors.newCachedThreadPool();
    private final Staging staging = new Staging();

    /** tuneforge.serving.* for one pool. */
    record Config(String workDir, int maxServers, Duration queueTimeout, Duration healthTimeout,
                  Duration stopTimeout) implements ServingConfig {
        @Override
        public Optional<String> djlHome() {
            return Optional.empty();
        }

        @Override
        public Duration startTimeout() {
            return Duration.ofMinutes(1);
        }

        @Override
        public Map<String, String> remote() {
            return Map.of();
        }

        @Override
        public Optional<String> remoteServers() {
            return Optional.empty();
        }

        @Override
        public Duration remoteAdapterWait() {
            return Duration.ZERO;
        }

        @Override
        public int djlThreads() {
            return 1;
        }

        @Override
        public String djlMaxHeap() {
            return "32m";
        }
    }

    /**
     * Each target's model directory is {@code dir/<key>}. Staging runs in the slot a start holds, just before the
     * process starts, so how many processes live then (children of this JVM running FakeServe) plus the stagings
     * under way is how many the pool holds at that moment. A target may be held in staging until released.
     */
    final class Staging implements ModelStaging {
        final AtomicInteger inProgress = new AtomicInteger();
        final AtomicInteger mostHeld = new AtomicInteger();
        final AtomicInteger entered = new AtomicInteger();
        final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
        final Map<String, Thread> threads = new ConcurrentHashMap<>();

        @Override
        public Path adapter(ChatTarget target) throws IOException {
            Path adapter = Files.createDirectories(dir.resolve("artifacts").resolve(target.resolved()));
            Files.writeString(adapter.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\"}");
            return adapter;
        }

        @Override
        public void publish(ChatTarget target, String prefix) {
            throw new UnsupportedOperationException("no remote servers here");
        }

        @Override
        public Path model(ChatTarget target) {
            threads.put(target.serverKey(), Thread.currentThread());
            int held = inProgress.incrementAndGet() + (int) fakeServers().count();
            mostHeld.accumulateAndGet(held, Math::max);
            entered.incrementAndGet();
            try {
                CountDownLatch hold = holds.get(target.serverKey());
                // A download does not stop for an interrupt either.
                while (hold != null && hold.getCount() > 0) {
                    try {
                        hold.await();
                    } catch (InterruptedException e) {
                        // on with the download
                    }
                }
                Path model = dir.resolve(target.serverKey());
                Files.createDirectories(model);
                return model;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                inProgress.decrementAndGet();
            }
        }
    }

    @AfterEach
    void stopEverything() {
        pools.forEach(ServerPool::close);
        fakeServers().forEach(ProcessHandle::destroyForcibly);
        requests.shutdownNow();
    }

    @Test
    void serversStillStartingCountAgainstTheLimitAndARequestOverItWaitsThenIsToldToRetry() throws Exception {
        ServerPool pool = pool(2, Duration.ofSeconds(1), Duration.ofSeconds(10));
        CountDownLatch slowStarts = new CountDownLatch(1);
        List<String> keys = List.of("a", "b", "c", "d");
        keys.forEach(key -> staging.holds.put(key, slowStarts));

        List<Future<ServerPool.Lease>> leases = new ArrayList<>();
        for (String key : keys) {
            leases.add(requests.submit(() -> pool.acquire(target(key))));
        }
        await().atMost(WAIT).until(() -> staging.entered.get() >= 2);
        slowStarts.countDown();

        List<ServerPool.Lease> served = new ArrayList<>();
        List<ServersBusy> busy = new ArrayList<>();
        for (Future<ServerPool.Lease> lease : leases) {
            try {
                served.add(lease.get());
            } catch (java.util.concurrent.ExecutionException e) {
                busy.add(assertInstanceOf(ServersBusy.class, e.getCause()));
            }
        }
        assertEquals(2, served.size(), "two servers for four models at once");
        assertEquals(2, busy.size());
        busy.forEach(e -> assertTrue(e.retryAfterSeconds() > 0, e.getMessage()));
        assertTrue(busy.get(0).getMessage().contains("2 model servers"), busy.get(0).getMessage());
        assertEquals(2, staging.mostHeld.get(), "processes alive or starting at any time");
        assertEquals(2, fakeServers().count());

        // Once a request is done, its idle server makes room for the next model.
        served.forEach(ServerPool.Lease::close);
        try (ServerPool.Lease e = pool.acquire(target("e"))) {
            assertTrue(answer(e).statusCode() == 200);
        }
        assertEquals(2, staging.mostHeld.get(), "the idle server had stopped before the next one started");
        assertEquals(2, pool.keys().size());
    }

    @Test
    void aServerThatStopsAnsweringOrAnswersItsHealthCheckWithAnErrorIsDroppedAndReplaced() throws Exception {
        ServerPool pool = pool(2, Duration.ofSeconds(30), Duration.ofSeconds(10));
        for (String how : List.of("hung", "unhealthy")) {
            long before;
            try (ServerPool.Lease lease = pool.acquire(target(how))) {
                before = pool.pids().get(how);
                assertEquals(Long.toString(before), content(answer(lease).body()));
            }
            if (how.equals("hung")) {
                signal("STOP", before); // still a process, still a listening socket, no answer
            } else {
                Files.writeString(dir.resolve(how).resolve("health-" + before), "500");
            }

            try (ServerPool.Lease lease = pool.acquire(target(how))) {
                long after = pool.pids().get(how);
                assertNotEquals(before, after, how + ": a new server");
                assertEquals(Long.toString(after), content(answer(lease).body()), how + ": it answers");
            }
            await().atMost(WAIT).until(() -> ProcessHandle.of(before).map(p -> !p.isAlive()).orElse(true));
        }
        assertEquals(2, staging.mostHeld.get());
    }

    @Test
    void stoppingAServerThatIgnoresSigtermHoldsUpNoOtherRequest() throws Exception {
        ServerPool pool = pool(2, Duration.ofSeconds(60), Duration.ofMinutes(5));
        Files.createDirectories(dir.resolve("wedged"));
        Files.writeString(dir.resolve("wedged/ignore-term"), "");
        pool.acquire(target("wedged")).close();
        long wedged = pool.pids().get("wedged");
        pool.acquire(target("running")).close();

        // A third model: the least recently used idle server (wedged) is stopped to make room, and takes its time.
        Future<ServerPool.Lease> third = requests.submit(() -> pool.acquire(target("third")));
        await().atMost(WAIT).until(() -> Files.exists(dir.resolve("wedged/term-" + wedged)));

        try (ServerPool.Lease running = pool.acquire(target("running"))) {
            assertEquals(200, answer(running).statusCode());
            assertTrue(ProcessHandle.of(wedged).map(ProcessHandle::isAlive).orElse(false),
                    "served while the wedged server is still being stopped");
        }
        assertFalse(third.isDone(), "the third server waits for the wedged one's slot");
        ProcessHandle.of(wedged).ifPresent(ProcessHandle::destroyForcibly);
        try (ServerPool.Lease lease = third.get()) {
            assertEquals(200, answer(lease).statusCode());
        }
        assertEquals(2, staging.mostHeld.get());
    }

    @Test
    void closingThePoolStopsItsServersAndOneStillBeingStagedNeverStarts() throws Exception {
        ServerPool pool = pool(3, Duration.ofSeconds(30), Duration.ofSeconds(10));
        pool.acquire(target("idle")).close();
        ServerPool.Lease busy = pool.acquire(target("busy"));
        CountDownLatch download = new CountDownLatch(1);
        staging.holds.put("staging", download);
        Future<ServerPool.Lease> staged = requests.submit(() -> pool.acquire(target("staging")));
        await().atMost(WAIT).until(() -> staging.entered.get() == 3);

        pool.close();
        await().atMost(WAIT).until(() -> fakeServers().findAny().isEmpty());
        Exception refused = assertThrows(java.util.concurrent.ExecutionException.class, staged::get);
        assertInstanceOf(IOException.class, refused.getCause());
        download.countDown();
        await().atMost(WAIT).until(() -> !staging.threads.get("staging").isAlive());
        assertEquals(0, fakeServers().count(), "nothing started after the pool closed");
        assertThrows(IOException.class, () -> pool.acquire(target("later")));
        busy.close();
    }

    @Test
    void theVersionsOfABaseModelShareItsOneServerWhichReadsEachAdapterByItsId() throws Exception {
        ServerPool pool = pool(1, Duration.ofSeconds(1), Duration.ofSeconds(10));
        ChatTarget base = target("base/fake-base");
        try (ServerPool.Lease v1 = pool.acquire(adapterTarget("bot:1"));
             ServerPool.Lease v2 = pool.acquire(adapterTarget("bot:2"));
             ServerPool.Lease plain = pool.acquire(base)) {
            assertEquals(List.of("base/fake-base"), pool.keys(), "one server, counted once, at max-servers 1");
            assertEquals(v1.url(), v2.url());
            assertEquals(v1.url(), plain.url());
            assertEquals("p:bot:1:abc", v1.model());
            assertEquals("p:bot:2:abc", v2.model());
            assertEquals(null, plain.model(), "the base model: the server's own");
            Path adapters = Path.of(Files.readString(dir.resolve("base/fake-base").resolve("adapters")));
            for (String id : List.of("p:bot:1:abc", "p:bot:2:abc")) {
                assertTrue(Files.isRegularFile(adapters.resolve(id).resolve("adapter_config.json")), id);
            }
            try (var names = Files.list(adapters)) {
                assertEquals(2, names.count(), "no temporary name is left behind");
            }
        }
        assertEquals(1, fakeServers().count());
    }

    @Test
    void aBaseModelsNextServerStartsWithTheLinksOfTheAdaptersAskedForSinceNotThoseOfItsLastRun() throws Exception {
        ServerPool pool = pool(1, Duration.ofSeconds(5), Duration.ofSeconds(10));
        pool.acquire(adapterTarget("bot:1")).close();
        Path adapters = Path.of(Files.readString(dir.resolve("base/fake-base").resolve("adapters")));
        assertTrue(Files.isSymbolicLink(adapters.resolve("p:bot:1:abc")));

        pool.acquire(target("other")).close(); // the base model's idle server is stopped for this one's
        try (ServerPool.Lease v2 = pool.acquire(adapterTarget("bot:2"))) {
            assertEquals("p:bot:2:abc", v2.model());
            try (var names = Files.list(adapters)) {
                assertEquals(List.of("p:bot:2:abc"), names.map(name -> name.getFileName().toString()).toList(),
                        "version 1's link went with the server that read it");
            }
            assertTrue(Files.isRegularFile(adapters.resolve("p:bot:2:abc").resolve("adapter_config.json")));
            assertTrue(Files.isRegularFile(dir.resolve("artifacts/bot:1/adapter_config.json")),
                    "only the link is removed, not the staged adapter");
        }
        // Asked for again, version 1 is linked again.
        pool.acquire(adapterTarget("bot:1")).close();
        assertTrue(Files.isRegularFile(adapters.resolve("p:bot:1:abc").resolve("adapter_config.json")));
    }

    private static ChatTarget adapterTarget(String version) {
        return new ChatTarget(version, version, "base/fake-base", "fake-base", "projects/p/" + version + "/", "0",
                false, null, "p:" + version + ":abc");
    }

    private ServerPool pool(int max, Duration queueTimeout, Duration stopTimeout) {
        Config config = new Config(dir.resolve("work").toString(), max, queueTimeout, Duration.ofSeconds(2),
                stopTimeout);
        ServerPool pool = new ServerPool(config, staging, new WorkerCommand("fake", FakeServe.commandPrefix(), Map.of()));
        pools.add(pool);
        return pool;
    }

    private static ChatTarget target(String key) {
        return new ChatTarget(key, key, key, "fake-base", null, null, false);
    }

    /** This JVM's children that run FakeServe: the processes the pools started. */
    private static java.util.stream.Stream<ProcessHandle> fakeServers() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(args -> List.of(args).contains(FakeServe.class.getName()))
                        .orElse(false));
    }

    private static HttpResponse<String> answer(ServerPool.Lease lease) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(lease.url() + "/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private static String content(String completion) {
        return completion.replaceAll(".*\"content\":\"([0-9]+)\".*", "$1");
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        // The shell's own kill: no procps needed.
        assertEquals(0, new ProcessBuilder("sh", "-c", "kill -" + signal + " " + pid).inheritIO().start().waitFor());
    }
}
