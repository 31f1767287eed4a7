package dev.tuneforge.platform;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * Keeps the services of {@code bin/tuneforge up} running. A service that exits while the platform is up — a crash,
 * a {@code kill -9}, an out-of-memory — is started again after a backoff that doubles with each quick failure
 * (from {@code initialBackoff} up to {@code maxBackoff}) and starts over once the service has stayed up for
 * {@code stableAfter}; the console says what happened each time. Nothing is lost by a restart: the services keep
 * their state in PostgreSQL, S3 and Kafka, and a restarted consumer continues from its committed offsets.
 *
 * <p>What it sees is written to {@link #STATUS_FILE} in the data directory after every change, so that
 * {@code bin/tuneforge status} (another process) can show each service's state and restarts.
 *
 * <p>A service that is running but stuck is restarted too: once ready, its {@code /q/health/live} is checked
 * every {@code livenessEvery}, and after {@value #LIVENESS_FAILURES} failed checks in a row (a consumer that gave up
 * after its transient-retry window reports not live) it is killed and restarted as a crashed one would be, as
 * Kubernetes' liveness probe does.
 *
 * <p>One thread watches all services every {@code poll}; {@link #close()} stops watching before the platform
 * stops its services, so a service being shut down is never restarted.
 */
public final class ServiceSupervisor implements AutoCloseable {

    /** Each service's state and restarts, as {@code <service>.<key>=<value>} properties. */
    public static final String STATUS_FILE = "services.status";

    /** What the supervisor knows of one service. */
    public enum State { STARTING, READY, RESTARTING, STOPPED }

    private final class Watched {
        final String name;
        final Supplier<ServiceProcess> starter;
        ServiceProcess process;
        State state = State.STARTING;
        int restarts;
        OptionalInt lastExit = OptionalInt.empty();
        Instant lastExitAt;
        Instant startedAt = Instant.now();
        Duration backoff = initialBackoff;
        Instant restartAt;
        Instant nextLivenessCheck = Instant.now();
        int livenessFailures;

        Watched(String name, Supplier<ServiceProcess> starter, ServiceProcess process) {
            this.name = name;
            this.starter = starter;
            this.process = process;
        }
    }

    private final Map<String, Watched> services = new LinkedHashMap<>();
    private final Path statusFile;
    private final PrintStream out;
    private final Duration poll;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration stableAfter;
    private final Duration livenessEvery;
    private volatile boolean closed;
    private Thread watcher;

    /** Consecutive failed liveness checks after which a running service is restarted. */
    static final int LIVENESS_FAILURES = 3;

    public ServiceSupervisor(Path dataDir, PrintStream out) {
        this(dataDir, out, Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(2),
                Duration.ofSeconds(10));
    }

    ServiceSupervisor(Path dataDir, PrintStream out, Duration poll, Duration initialBackoff, Duration maxBackoff,
                      Duration stableAfter, Duration livenessEvery) {
        this.statusFile = dataDir.resolve(STATUS_FILE);
        this.out = out;
        this.poll = poll;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.stableAfter = stableAfter;
        this.livenessEvery = livenessEvery;
    }

    /** Supervises a started service; {@code starter} starts it again after it exits. */
    public synchronized void add(ServiceProcess process, Supplier<ServiceProcess> starter) {
        services.put(process.name(), new Watched(process.name(), starter, process));
        writeStatus();
    }

    /** The services' current processes, e.g. to stop them. */
    public synchronized List<ServiceProcess> processes() {
        return services.values().stream().map(watched -> watched.process).filter(p -> p != null).toList();
    }

    /** Starts watching (the services have come up once). */
    public synchronized void start() {
        services.values().forEach(watched -> watched.state = watched.process.isReady() ? State.READY : State.STARTING);
        writeStatus();
        watcher = Thread.ofPlatform().daemon().name("tuneforge-supervisor").start(this::watch);
    }

    private void watch() {
        while (!closed) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                services.values().forEach(this::check);
            }
            Ports.sleep(poll);
        }
    }

    private void check(Watched watched) {
        Instant now = Instant.now();
        switch (watched.state) {
            case STARTING, READY -> {
                if (!watched.process.isAlive()) {
                    exited(watched, now);
                } else if (watched.state == State.STARTING && watched.process.isReady()) {
                    watched.state = State.READY;
                    if (watched.restarts > 0) {
                        out.println("tuneforge: " + watched.name + " is ready again (restart " + watched.restarts + ")");
                    }
                    writeStatus();
                } else if (watched.state == State.READY) {
                    if (Duration.between(watched.startedAt, now).compareTo(stableAfter) >= 0) {
                        watched.backoff = initialBackoff; // up long enough: the next failure is not a quick one
                    }
                    checkLiveness(watched, now);
                }
            }
            case RESTARTING -> {
                if (!now.isBefore(watched.restartAt)) {
                    restart(watched, now);
                }
            }
            case STOPPED -> { }
        }
    }

    private void checkLiveness(Watched watched, Instant now) {
        if (now.isBefore(watched.nextLivenessCheck)) {
            return;
        }
        watched.nextLivenessCheck = now.plus(livenessEvery);
        watched.livenessFailures = watched.process.isLive() ? 0 : watched.livenessFailures + 1;
        if (watched.livenessFailures >= LIVENESS_FAILURES) {
            out.println("tuneforge: " + watched.name + " is running but not live (" + LIVENESS_FAILURES
                    + " failed checks of /q/health/live); killing it to restart it");
            watched.process.kill();
            exited(watched, Instant.now());
        }
    }

    private void exited(Watched watched, Instant now) {
        watched.lastExit = watched.process.exitCode();
        watched.lastExitAt = now;
        watched.state = State.RESTARTING;
        watched.restartAt = now.plus(watched.backoff);
        out.println("tuneforge: " + watched.name + " exited" + watched.lastExit.stream().mapToObj(code -> " with code "
                + code + describe(code)).findFirst().orElse("") + "; restarting it in " + seconds(watched.backoff)
                + " (log " + watched.process.logFile() + ")");
        watched.backoff = min(watched.backoff.multipliedBy(2), maxBackoff);
        writeStatus();
    }

    private void restart(Watched watched, Instant now) {
        watched.restarts++;
        try {
            watched.process = watched.starter.get();
            watched.state = State.STARTING;
            watched.startedAt = now;
            watched.livenessFailures = 0;
            out.println("tuneforge: restarted " + watched.name + " (restart " + watched.restarts + ")");
        } catch (RuntimeException e) {
            watched.state = State.RESTARTING;
            watched.restartAt = now.plus(watched.backoff);
            out.println("tuneforge: could not restart " + watched.name + ": " + e.getMessage() + "; trying again in "
                    + seconds(watched.backoff));
            watched.backoff = min(watched.backoff.multipliedBy(2), maxBackoff);
        }
        writeStatus();
    }

    /** Stops watching; the services themselves are left to the caller to stop. */
    @Override
    public void close() {
        closed = true;
        Thread running = watcher;
        if (running != null && running != Thread.currentThread()) {
            try {
                running.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            services.values().forEach(watched -> watched.state = State.STOPPED);
            writeStatus();
        }
    }

    private void writeStatus() {
        Properties status = new Properties();
        for (Watched watched : services.values()) {
            status.setProperty(watched.name + ".state", watched.state.name().toLowerCase(java.util.Locale.ROOT));
            status.setProperty(watched.name + ".restarts", Integer.toString(watched.restarts));
            watched.lastExit.ifPresent(code -> status.setProperty(watched.name + ".last-exit", Integer.toString(code)));
            if (watched.lastExitAt != null) {
                status.setProperty(watched.name + ".last-exit-at", watched.lastExitAt.toString());
            }
        }
        try {
            Files.createDirectories(statusFile.getParent());
            Path tmp = statusFile.resolveSibling(STATUS_FILE + ".tmp");
            try (var writer = Files.newBufferedWriter(tmp)) {
                status.store(writer, "written by bin/tuneforge up; read by bin/tuneforge status");
            }
            Files.move(tmp, statusFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            out.println("tuneforge: could not write " + statusFile + ": " + e.getMessage());
        }
    }

    /** What {@code status} prints after a service's readiness: its restarts and last exit, or nothing. */
    public static Map<String, String> readSummaries(Path dataDir) {
        Path file = dataDir.resolve(STATUS_FILE);
        Map<String, String> summaries = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return summaries;
        }
        Properties status = new Properties();
        try (var reader = Files.newBufferedReader(file)) {
            status.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
        for (String key : status.stringPropertyNames()) {
            if (key.endsWith(".restarts")) {
                String name = key.substring(0, key.length() - ".restarts".length());
                List<String> parts = new ArrayList<>();
                parts.add(status.getProperty(name + ".state", "unknown"));
                int restarts = Integer.parseInt(status.getProperty(key));
                parts.add(restarts == 1 ? "restarted once" : "restarted " + restarts + " times");
                String lastExit = status.getProperty(name + ".last-exit");
                if (lastExit != null) {
                    parts.add("last exit " + lastExit + describe(Integer.parseInt(lastExit)) + " at "
                            + status.getProperty(name + ".last-exit-at", "?"));
                }
                summaries.put(name, String.join(", ", parts));
            }
        }
        return summaries;
    }

    private static String describe(int code) {
        return code > 128 ? " (signal " + (code - 128) + ")" : "";
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
