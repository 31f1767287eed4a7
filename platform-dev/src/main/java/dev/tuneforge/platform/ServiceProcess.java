package dev.tuneforge.platform;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A tuneforge service (a Quarkus fast-jar) run as a child process against a stack: its configuration
 * goes in as {@code -D} system properties, its output into a log file, and it counts as ready when
 * {@code /q/health/ready} answers 200. Used by LocalPlatform and by the system tests.
 */
public final class ServiceProcess {

    /** A service of the platform: its Maven module, HTTP port on a local machine, and database. */
    public record Service(String module, int httpPort, String database) {

        public static final List<Service> ALL = List.of(
                new Service("gateway", 8080, "gateway"),
                new Service("dataset-service", 8081, "dataset"),
                new Service("trainer-service", 8082, "trainer"),
                new Service("eval-service", 8083, "eval"),
                new Service("registry-service", 8084, "registry"));

        public static Service named(String module) {
            return ALL.stream().filter(service -> service.module.equals(module)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown service '" + module + "'; one of "
                            + ALL.stream().map(Service::module).toList()));
        }

        /** Where {@code ./mvnw install} puts the service's runnable jar. */
        public Path jar(Path repo) {
            return repo.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        }

        public Service onPort(int port) {
            return new Service(module, port, database);
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final int httpPort;
    private final ChildProcess process;

    private ServiceProcess(String name, int httpPort, ChildProcess process) {
        this.name = name;
        this.httpPort = httpPort;
        this.process = process;
    }

    /**
     * Starts one platform service from its module in {@code repo}, configured for {@code stack}; logs
     * to {@code <logDir>/<module>.log}. Does not wait: call {@link #awaitReady}.
     */
    public static ServiceProcess start(Service service, Path repo, EmbeddedStack stack, Path logDir,
                                       Map<String, String> extraProperties) {
        Map<String, String> properties = new java.util.LinkedHashMap<>(stack.serviceConfig(service.database()));
        properties.putAll(extraProperties);
        return start(service.module(), service.jar(repo), service.httpPort(), properties,
                logDir.resolve(service.module() + ".log"), List.of());
    }

    /** Starts any executable jar as a service on {@code httpPort}, with the given system properties. */
    public static ServiceProcess start(String name, Path jar, int httpPort, Map<String, String> properties,
                                       Path logFile, List<String> jvmArgs) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("cannot start " + name + ": " + jar + " does not exist. Build it with"
                    + " `./mvnw -B install -DskipTests` in the repository root.");
        }
        Ports.requireFree(httpPort, name + " HTTP");
        List<String> command = new ArrayList<>();
        command.add(ChildProcess.javaExecutable());
        command.addAll(jvmArgs);
        command.add("-Dquarkus.http.port=" + httpPort);
        command.add("-Dquarkus.http.host=" + Ports.HOST);
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        Path workDir = logFile.toAbsolutePath().getParent();
        return new ServiceProcess(name, httpPort, ChildProcess.start(name, command, workDir, logFile));
    }

    public String name() {
        return name;
    }

    public String url() {
        return "http://" + Ports.HOST + ":" + httpPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public Path logFile() {
        return process.logFile();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code once the service has ended. */
    public java.util.OptionalInt exitCode() {
        return process.exitCode();
    }

    public boolean isReady() {
        return isReady(httpPort);
    }

    /** True when a service answers 200 on {@code /q/health/ready} at this port. */
    public static boolean isReady(int httpPort) {
        return answers200(httpPort, "/q/health/ready");
    }

    /**
     * True when the service answers 200 on {@code /q/health/live}: it may not be ready (a dependency is down) but
     * it is not stuck (a consumer that gave up after its retry window reports not live, as Kubernetes' liveness
     * probe would see it).
     */
    public boolean isLive() {
        return answers200(httpPort, "/q/health/live");
    }

    private static boolean answers200(int httpPort, String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + Ports.HOST + ":" + httpPort + path))
                .timeout(Duration.ofSeconds(3)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public void awaitReady(Duration timeout) {
        awaitAllReady(List.of(this), timeout, waiting -> { });
    }

    /**
     * Waits until every service is ready; fails as soon as one exits, naming it and its log.
     *
     * @param progress told every few seconds which services are still starting
     */
    public static void awaitAllReady(List<ServiceProcess> services, Duration timeout, Consumer<String> progress) {
        Instant start = Instant.now();
        Instant nextReport = start.plusSeconds(5);
        List<ServiceProcess> waiting = new ArrayList<>(services);
        while (true) {
            for (ServiceProcess service : List.copyOf(waiting)) {
                if (!service.process.isAlive()) {
                    throw service.process.failure("exited before it was ready (" + service.url() + "/q/health/ready)");
                }
                if (service.isReady()) {
                    waiting.remove(service);
                }
            }
            if (waiting.isEmpty()) {
                return;
            }
            Duration elapsed = Duration.between(start, Instant.now());
            if (elapsed.compareTo(timeout) > 0) {
                ServiceProcess first = waiting.get(0);
                throw first.process.failure("was not ready at " + first.url() + "/q/health/ready within "
                        + timeout.toSeconds() + "s (still waiting for " + names(waiting) + ")");
            }
            if (Instant.now().isAfter(nextReport)) {
                progress.accept("waiting for " + names(waiting) + " (" + elapsed.toSeconds() + "s)");
                nextReport = Instant.now().plusSeconds(5);
            }
            Ports.sleep(Duration.ofMillis(500));
        }
    }

    /** SIGTERM: Quarkus shuts down gracefully (finishes requests, commits offsets). */
    public void stop() {
        process.stop(Duration.ofSeconds(30));
    }

    /** SIGKILL, as a crash would. */
    public void kill() {
        process.kill();
    }

    private static String names(List<ServiceProcess> services) {
        return String.join(", ", services.stream().map(ServiceProcess::name).toList());
    }

    @Override
    public String toString() {
        return name + " at " + url() + " (" + process + ")";
    }
}
