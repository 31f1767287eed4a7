package dev.tuneforge.platform;

import dev.tuneforge.events.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * A single-node Kafka broker in KRaft mode (broker and controller in one process), run as a child
 * JVM from the {@code kafka_2.13} jars. The storage directory is formatted once; later starts reuse
 * it, so a persistent stack keeps its records and a restarted broker recovers its log.
 */
final class KafkaBroker {

    private static final String STORAGE_TOOL = "kafka.tools.StorageTool";
    private static final String BROKER_MAIN = "kafka.Kafka";
    /** A small heap and the C1 compiler only: a dev broker must start fast on two shared cores. */
    private static final List<String> JVM_ARGS = List.of(
            "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true");

    private final Path dir;
    private final Path logFile;
    private final int port;
    private final int controllerPort;
    private final String classpath;
    private ChildProcess process;

    KafkaBroker(Path dir, Path logFile, int port, int controllerPort) {
        this.dir = dir;
        this.logFile = logFile;
        this.port = port;
        this.controllerPort = controllerPort;
        this.classpath = RuntimeClasspath.load("kafka");
    }

    String bootstrapServers() {
        return Ports.HOST + ":" + port;
    }

    int port() {
        return port;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        Ports.requireFree(port, "Kafka");
        Ports.requireFree(controllerPort, "Kafka controller");
        Path config = writeConfig();
        if (!Files.exists(dataDir().resolve("meta.properties"))) {
            format(config);
        }
        List<String> jvmArgs = new java.util.ArrayList<>(JVM_ARGS);
        jvmArgs.add("-Dlog4j2.configurationFile=" + writeLogConfig());
        process = ChildProcess.startJava("Kafka broker", classpath, jvmArgs, BROKER_MAIN,
                List.of(config.toString()), dir, logFile);
        Ports.awaitListening(process, port, Duration.ofSeconds(90));
        createTopics();
    }

    /** Clean shutdown (SIGTERM). */
    synchronized void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(30));
            process = null;
        }
    }

    /** A crash (SIGKILL): the broker recovers its log on the next start. */
    synchronized void kill() {
        if (process != null) {
            process.kill();
            process = null;
        }
    }

    synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    private Path dataDir() {
        return dir.resolve("data");
    }

    private void format(Path config) {
        String clusterId = Uuid.randomUuid().toString();
        ChildProcess tool = ChildProcess.start("Kafka storage format", List.of(
                        ChildProcess.javaExecutable(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                        "-Dlog4j2.configurationFile=" + writeLogConfig(),
                        "-cp", classpath, STORAGE_TOOL, "format", "-t", clusterId, "-c", config.toString()),
                dir, logFile);
        tool.awaitSuccess(Duration.ofSeconds(90));
    }

    private Path writeConfig() {
        String listeners = "PLAINTEXT://" + Ports.HOST + ":" + port + ",CONTROLLER://" + Ports.HOST + ":" + controllerPort;
        String properties = String.join("\n",
                "# Written by tuneforge platform-dev on every start; edits are overwritten.",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@" + Ports.HOST + ":" + controllerPort,
                "listeners=" + listeners,
                "advertised.listeners=PLAINTEXT://" + Ports.HOST + ":" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dataDir(),
                // One node: every internal topic has a single replica.
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=5",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=5",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "default.replication.factor=1",
                "min.insync.replicas=1",
                // Consumers in tests join one at a time; waiting for more only slows them down.
                "group.initial.rebalance.delay.ms=0",
                // A local platform keeps its history: nothing expires, segments stay small.
                "log.retention.ms=-1",
                "log.segment.bytes=16777216",
                "num.network.threads=2",
                "num.io.threads=4",
                "");
        try {
            Files.createDirectories(dataDir());
            Path config = dir.resolve("server.properties");
            Files.writeString(config, properties);
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the Kafka configuration in " + dir, e);
        }
    }

    private Path writeLogConfig() {
        String config = String.join("\n",
                "status = warn",
                "appender.out.type = Console",
                "appender.out.name = OUT",
                "appender.out.layout.type = PatternLayout",
                "appender.out.layout.pattern = [%d] %p %m (%c)%n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.out.ref = OUT",
                // Per-partition state changes and request logs drown everything else.
                "logger.state.name = state.change.logger",
                "logger.state.level = WARN",
                "logger.request.name = kafka.request.logger",
                "logger.request.level = WARN",
                "");
        try {
            Path file = dir.resolve("log4j2.properties");
            Files.writeString(file, config);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the Kafka log configuration in " + dir, e);
        }
    }

    /** Creates every platform topic that does not exist yet; the broker may still be settling, so retry. */
    private void createTopics() {
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        Instant deadline = Instant.now().plusSeconds(60);
        try (Admin admin = Admin.create(config)) {
            while (true) {
                try {
                    createMissingTopics(admin);
                    return;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (!process.isAlive()) {
                        throw process.failure("exited while the platform topics were being created");
                    }
                    if (Instant.now().isAfter(deadline)) {
                        throw process.failure("did not accept the platform topics within 60s (" + e + ")");
                    }
                    Ports.sleep(Duration.ofMillis(500));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating Kafka topics", e);
        }
    }

    private static void createMissingTopics(Admin admin)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        Set<String> existing = admin.listTopics().names().get(20, TimeUnit.SECONDS);
        List<NewTopic> missing = Topics.all().stream()
                .filter(topic -> !existing.contains(topic))
                .map(topic -> new NewTopic(topic, partitionsOf(topic), (short) 1))
                .toList();
        if (missing.isEmpty()) {
            return;
        }
        // If another client creates one meanwhile, this fails with TopicExistsException and the
        // caller's next attempt finds the topic listed.
        admin.createTopics(missing).all().get(20, TimeUnit.SECONDS);
    }

    static int partitionsOf(String topic) {
        return Topics.MAIN.contains(topic) ? Topics.PARTITIONS : Topics.DLQ_PARTITIONS;
    }
}
