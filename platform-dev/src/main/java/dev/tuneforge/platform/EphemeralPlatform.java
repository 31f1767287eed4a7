package dev.tuneforge.platform;

import dev.tuneforge.platform.ServiceProcess.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Services of the platform as processes on one ephemeral stack, each on a free port and configured as
 * {@code bin/tuneforge up} configures it ({@link LocalPlatform#extraProperties}: the admin key file, the worker
 * build, work directories), for whatever drives the whole platform from outside without taking the ports of a
 * running {@code up}: the system tests and the load test ({@code bench/load.sh}). Everything it writes (work
 * directories, logs in {@code logs/}) is under one data directory, emptied first and kept afterwards, so the
 * logs of a run can be read after it.
 */
public final class EphemeralPlatform implements AutoCloseable {

    private final Path data;
    private final EmbeddedStack stack;
    private final List<ServiceProcess> services = new ArrayList<>();
    private String adminKey;

    private EphemeralPlatform(Path data, EmbeddedStack stack) {
        this.data = data;
        this.stack = stack;
    }

    /**
     * Starts the stack, then the gateway and {@code modules} (services' Maven modules, see {@link Service#ALL}), and
     * waits until every one is ready; what started is stopped again if one fails to.
     *
     * @param progress told every few seconds which services are still starting
     */
    public static EphemeralPlatform start(Path repo, Path data, List<String> modules, Duration readyTimeout,
                                          Consumer<String> progress) throws IOException {
        deleteRecursively(data);
        Path logs = Files.createDirectories(data.resolve("logs"));
        EphemeralPlatform platform = new EphemeralPlatform(data, EmbeddedStack.ephemeral());
        try {
            platform.stack.start();
            for (String module : Stream.concat(Stream.of("gateway"), modules.stream().filter(m -> !m.equals("gateway")))
                    .toList()) {
                Service service = Service.named(module);
                platform.services.add(ServiceProcess.start(service.onPort(Ports.freePort()), repo, platform.stack, logs,
                        LocalPlatform.extraProperties(service, repo, data)));
            }
            ServiceProcess.awaitAllReady(platform.services, readyTimeout, progress);
            platform.adminKey = Files.readString(data.resolve(LocalPlatform.ADMIN_KEY_FILE)).strip();
            return platform;
        } catch (IOException | RuntimeException e) {
            platform.close();
            throw e;
        }
    }

    /** Where this platform's files are. */
    public Path data() {
        return data;
    }

    public EmbeddedStack stack() {
        return stack;
    }

    public ServiceProcess gateway() {
        return services.getFirst();
    }

    public List<ServiceProcess> services() {
        return List.copyOf(services);
    }

    /** The platform admin key the gateway made at its first start. */
    public String adminKey() {
        return adminKey;
    }

    /** Stops the services, then the stack; the data directory stays. */
    @Override
    public void close() {
        services.forEach(ServiceProcess::stop);
        stack.stop();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
