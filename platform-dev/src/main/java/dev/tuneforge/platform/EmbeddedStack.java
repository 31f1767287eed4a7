package dev.tuneforge.platform;

import io.minio.MinioClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * The platform's infrastructure on one machine: a Kafka broker (KRaft), an S3-compatible server and
 * PostgreSQL, all real servers on 127.0.0.1.
 *
 * <ul>
 *   <li>{@link #ephemeral()}: free ports and a temporary directory deleted on {@link #stop()}; for tests.
 *   <li>{@link #persistent(Path, StackPorts)}: fixed ports and a data directory ({@code kafka/},
 *       {@code s3/}, {@code postgres/}, {@code logs/}) that survives restarts; for {@code bin/tuneforge up}.
 * </ul>
 *
 * A shutdown hook stops the servers when the JVM exits; children of a JVM that was killed outright
 * are ended by the next stack that starts (see {@link ChildRegistry}).
 */
public final class EmbeddedStack implements AutoCloseable {

    public static final String BUCKET = "tuneforge";
    public static final String REGION = "us-east-1";
    public static final String S3_ACCESS_KEY = "tuneforge";
    public static final String S3_SECRET_KEY = "tuneforge-secret";
    /** One database per service. */
    public static final List<String> DATABASES = List.of("gateway", "dataset", "trainer", "eval", "registry");

    private final Path dataDir;
    private final boolean ephemeral;
    private final StackPorts ports;
    private final KafkaBroker kafka;
    private final S3Server s3;
    private final PostgresServer postgres;
    private FileChannel lockChannel;
    private FileLock lock;
    private Thread shutdownHook;
    private boolean stopOnJvmExit = true;
    private volatile boolean running;

    private EmbeddedStack(Path dataDir, boolean ephemeral, StackPorts ports) {
        this.dataDir = dataDir.toAbsolutePath();
        this.ephemeral = ephemeral;
        this.ports = ports;
        Path logs = this.dataDir.resolve("logs");
        this.kafka = new KafkaBroker(this.dataDir.resolve("kafka"), logs.resolve("kafka.log"),
                ports.kafka(), ports.kafkaController());
        this.s3 = new S3Server(this.dataDir.resolve("s3"), logs.resolve("s3proxy.log"), ports.s3(),
                S3_ACCESS_KEY, S3_SECRET_KEY, BUCKET, REGION);
        this.postgres = new PostgresServer(this.dataDir.resolve("postgres"), logs.resolve("postgres.log"),
                ports.postgres(), DATABASES);
    }

    /** A throwaway stack on free ports in a new temporary directory. Call {@link #start()}. */
    public static EmbeddedStack ephemeral() {
        try {
            Path dir = Files.createTempDirectory("tuneforge-stack-");
            // PostgreSQL may run as another user (see PostgresBinaries) and must traverse this directory.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new EmbeddedStack(dir, true, StackPorts.random());
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary directory for the stack", e);
        }
    }

    /** A stack keeping its state in {@code dataDir}, on the default ports. Call {@link #start()}. */
    public static EmbeddedStack persistent(Path dataDir) {
        return persistent(dataDir, StackPorts.DEFAULTS);
    }

    public static EmbeddedStack persistent(Path dataDir, StackPorts ports) {
        return new EmbeddedStack(dataDir, false, ports);
    }

    /**
     * Whether {@link #start()} registers a shutdown hook that stops the stack (default true). A caller
     * that must stop other things first (LocalPlatform stops the services) turns it off and stops the
     * stack from its own hook.
     */
    public synchronized EmbeddedStack stopOnJvmExit(boolean stop) {
        this.stopOnJvmExit = stop;
        return this;
    }

    /** Starts the three servers (in parallel) and creates topics, bucket and databases as needed. */
    public synchronized EmbeddedStack start() {
        if (running) {
            return this;
        }
        ChildRegistry.reapOrphans();
        lockDataDirectory();
        if (stopOnJvmExit) {
            shutdownHook = new Thread(this::stopFromHook, "tuneforge-stack-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        try {
            runInParallel(kafka::start, s3::start, postgres::start);
        } catch (RuntimeException e) {
            stopServers();
            releaseDataDirectory();
            removeShutdownHook();
            throw new IllegalStateException("the tuneforge stack did not start (data and logs kept in " + dataDir
                    + "): " + e.getMessage(), e);
        }
        running = true;
        return this;
    }

    /** Stops every server; an ephemeral stack also deletes its directory. Safe to call twice. */
    public synchronized void stop() {
        stopServers();
        releaseDataDirectory();
        removeShutdownHook();
        running = false;
        if (ephemeral) {
            deleteTree(dataDir);
        }
    }

    @Override
    public void close() {
        stop();
    }

    public boolean isRunning() {
        return running;
    }

    public boolean isEphemeral() {
        return ephemeral;
    }

    public Path dataDirectory() {
        return dataDir;
    }

    /** Where the servers' logs are: {@code kafka.log}, {@code s3proxy.log}, {@code postgres.log}. */
    public Path logDirectory() {
        return dataDir.resolve("logs");
    }

    public StackPorts ports() {
        return ports;
    }

    // ---- Kafka

    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** Stops the broker cleanly (SIGTERM); clients see it go away. */
    public void stopKafka() {
        kafka.stop();
    }

    /** Kills the broker (SIGKILL), as a crash would. */
    public void killKafka() {
        kafka.kill();
    }

    /** Starts the broker again on the same ports and log directory. */
    public void startKafka() {
        kafka.start();
    }

    public void restartKafka() {
        kafka.stop();
        kafka.start();
    }

    public boolean isKafkaRunning() {
        return kafka.isRunning();
    }

    // ---- PostgreSQL

    /** @param database a service database ({@link #DATABASES}) or {@code postgres} */
    public String jdbcUrl(String database) {
        return postgres.jdbcUrl(database);
    }

    public String dbUsername() {
        return PostgresServer.USER;
    }

    public String dbPassword() {
        return PostgresServer.PASSWORD;
    }

    /** Kills PostgreSQL (SIGKILL to the postmaster and all its processes), as a crash would. */
    public void killPostgres() {
        postgres.kill();
    }

    /** Starts PostgreSQL again on the same port and data directory; it recovers what was committed. */
    public void startPostgres() {
        postgres.start();
    }

    public boolean isPostgresRunning() {
        return postgres.isRunning();
    }

    // ---- S3

    public String s3Endpoint() {
        return s3.endpoint();
    }

    public String s3AccessKey() {
        return S3_ACCESS_KEY;
    }

    public String s3SecretKey() {
        return S3_SECRET_KEY;
    }

    public String bucket() {
        return BUCKET;
    }

    public String s3Region() {
        return REGION;
    }

    /** Kills the S3 server (SIGKILL), as a crash would. */
    public void killS3() {
        s3.kill();
    }

    /** Starts the S3 server again on the same port and directory, with the objects it had. */
    public void startS3() {
        s3.start();
    }

    public boolean isS3Running() {
        return s3.isRunning();
    }

    /** A MinIO client for this stack's S3 server. */
    public MinioClient s3Client() {
        return s3.client();
    }

    /** The configuration a service needs to use this stack; see {@link ServiceConfig}. */
    public Map<String, String> serviceConfig(String database) {
        return ServiceConfig.of(this, database);
    }

    @Override
    public String toString() {
        return "EmbeddedStack[" + (ephemeral ? "ephemeral" : "persistent") + ", kafka " + kafkaBootstrapServers()
                + ", s3 " + s3Endpoint() + ", postgres port " + ports.postgres() + ", data " + dataDir + "]";
    }

    private void stopFromHook() {
        shutdownHook = null; // removing a hook while hooks run is not allowed
        stop();
    }

    private void stopServers() {
        runInParallel(kafka::stop, s3::stop, postgres::stop);
    }

    /** Runs all tasks to completion; throws the first failure with the others suppressed. */
    private static void runInParallel(Runnable... tasks) {
        List<Throwable> failures = new ArrayList<>();
        // Not the common pool: on a two-core machine it has a single thread.
        try (ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory())) {
            List<CompletableFuture<Void>> futures = Stream.of(tasks)
                    .map(task -> CompletableFuture.runAsync(task, executor)).toList();
            for (CompletableFuture<Void> future : futures) {
                try {
                    future.join();
                } catch (CompletionException e) {
                    failures.add(e.getCause());
                }
            }
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0) instanceof RuntimeException runtime
                    ? runtime : new IllegalStateException(failures.get(0));
            failures.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }

    private void lockDataDirectory() {
        try {
            Files.createDirectories(dataDir);
            lockChannel = FileChannel.open(dataDir.resolve("stack.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            throw new UncheckedIOException("could not lock data directory " + dataDir, e);
        }
        if (lock == null) {
            releaseDataDirectory();
            throw new IllegalStateException("data directory " + dataDir + " is in use by another tuneforge stack"
                    + " (bin/tuneforge down stops a local one)");
        }
    }

    private void releaseDataDirectory() {
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            System.err.println("tuneforge: could not release the lock on " + dataDir + ": " + e);
        }
        lock = null;
        lockChannel = null;
    }

    private void removeShutdownHook() {
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // The JVM is already shutting down.
            }
            shutdownHook = null;
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            System.err.println("tuneforge: could not delete " + root + ": " + e);
        }
    }
}
