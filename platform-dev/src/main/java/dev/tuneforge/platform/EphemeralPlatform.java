package dev.tuneforge.platform;

import dev.tuneforge.platform.ServiceProcess.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Services of the platform as processes on one ephemeral stack, each on a free port and configured as
 * {@code bin/tuneforge up} configures it ({@link LocalPlatform#extraProperties}: the admin key file, the worker
 * build, work directories), for whatever drives the whole platform from outside without taking the ports of a
 * running {@code up}: the system tests and the load test ({@code bench/load.sh}). Everything it writes (work
 * directories, logs in {@code logs/}) is under one data directory, emptied first and kept afterwards, so the
 * logs of a run can be read after it. A supervised platform ({@link Options#supervised}) starts a service that
 * exits again, on its port, with a {@link ServiceSupervisor} as {@code up} does (the chaos test kills services).
 */
public final class EphemeralPlatform implements AutoCloseable {

    private final Path data;
    private final EmbeddedStack stack;
    private final List<ServiceProcess> services = new ArrayList<>();
    private ServiceSupervisor supervisor;
    private String adminKey;

    /**
     * How the services start, beyond what {@code up} gives them.
     *
     * @param properties per module, properties over {@link LocalPlatform#extraProperties}
     * @param supervised whether a service that exits is started again
     */
    public record Options(Map<String, Map<String, String>> properties, boolean supervised) {
        public static final Options AS_UP = new Options(Map.of(), false);
    }

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
        return start(repo, data, modules, Options.AS_UP, readyTimeout, progress);
    }

    /** {@link #start(Path, Path, List, Duration, Consumer)} with {@code options}. */
    public static EphemeralPlatform start(Path repo, Path data, List<String> modules, Options options,
                                          Duration readyTimeout, Consumer<String> progress) throws IOException {
        deleteRecursively(data);
        Path logs = Files.createDirectories(data.resolve("logs"));
        EphemeralPlatform platform = new EphemeralPlatform(data, EmbeddedStack.ephemeral());
        try {
            platform.stack.start();
            List<Supplier<ServiceProcess>> starters = new ArrayList<>();
            for (String module : Stream.concat(Stream.of("gateway"), modules.stream().filter(m -> !m.equals("gateway")))
                    .toList()) {
                Service service = Service.named(module).onPort(Ports.freePort());
                Map<String, String> properties = new HashMap<>(LocalPlatform.extraProperties(service, repo, data));
                properties.putAll(options.properties().getOrDefault(module, Map.of()));
                Supplier<ServiceProcess> starter = () -> ServiceProcess.start(service, repo, platform.stack, logs,
                        properties);
                starters.add(starter);
                platform.services.add(starter.get());
            }
            ServiceProcess.awaitAllReady(platform.services, readyTimeout, progress);
            if (options.supervised()) {
                platform.supervisor = new ServiceSupervisor(data, System.out);
                for (int i = 0; i < platform.services.size(); i++) {
                    platform.supervisor.add(platform.services.get(i), starters.get(i));
                }
                platform.supervisor.start();
            }
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
        return services.getFirst(); // the first process: its URL stays the service's after a restart
    }

    /** The services' processes now: a supervised service has a new one after each restart. */
    public List<ServiceProcess> services() {
        return supervisor == null ? List.copyOf(services) : supervisor.processes();
    }

    /** The process that runs {@code module} now. */
    public ServiceProcess service(String module) {
        return services().stream().filter(p -> p.name().equals(module)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(module + " is not a service of this platform"));
    }

    /** The platform admin key the gateway made at its first start. */
    public String adminKey() {
        return adminKey;
    }

    /** Stops the services, then the stack; the data directory stays. */
    @Override
    public void close() {
        if (supervisor != null) {
            supervisor.close(); // before the services stop, so that none is started again
            services.clear();
            services.addAll(supervisor.processes());
        }
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
