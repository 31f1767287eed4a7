package dev.tuneforge.platform;

import dev.tuneforge.platform.ServiceProcess.Service;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/tuneforge up|down|status}: the whole platform on one machine. {@code up} starts the
 * persistent stack in a data directory, then the five services from their built jars, and runs until
 * SIGTERM or Ctrl-C, when it stops the services and then the stack. While it runs, a service that exits is
 * restarted ({@link ServiceSupervisor}), and {@code status} shows each service's restarts. State (datasets, jobs,
 * models) survives in the data directory.
 */
public final class LocalPlatform {

    static final String USAGE = """
            usage: LocalPlatform up     --data DIR [--repo DIR] [--kafka-port N] [--s3-port N] [--postgres-port N]
                   LocalPlatform down   --data DIR
                   LocalPlatform status --data DIR""";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final String PID_FILE = "tuneforge.pid";
    /** The gateway writes its first admin key here at its first start; `up` prints it once and deletes it. */
    public static final String ADMIN_KEY_FILE = "admin-key";
    private static final String ADMIN_KEY_FILE_PROPERTY = "tuneforge.admin-key-file";

    /** Held so the level sticks: the Kafka admin client logs its whole configuration at INFO. */
    private static final java.util.logging.Logger KAFKA_CLIENT_LOG = java.util.logging.Logger.getLogger("org.apache.kafka");

    private final PrintStream out;

    LocalPlatform(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        KAFKA_CLIENT_LOG.setLevel(java.util.logging.Level.WARNING);
        int code;
        try {
            code = new LocalPlatform(System.out).run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("tuneforge: " + e.getMessage() + "\n" + USAGE);
            code = 2;
        } catch (RuntimeException e) {
            System.err.println("tuneforge: " + e.getMessage());
            code = 1;
        }
        System.exit(code);
    }

    /** Runs a command; {@code up} returns only if it fails to come up. */
    int run(String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("no command given");
        }
        if (!List.of("up", "down", "status").contains(args[0])) {
            throw new IllegalArgumentException("unknown command '" + args[0] + "'");
        }
        Map<String, String> options = options(args);
        Path data = Path.of(require(options, "data")).toAbsolutePath().normalize();
        return switch (args[0]) {
            case "up" -> up(data, Path.of(options.getOrDefault("repo", ".")).toAbsolutePath().normalize(), ports(options));
            case "down" -> down(data);
            case "status" -> status(data);
            default -> throw new IllegalArgumentException("unknown command '" + args[0] + "'");
        };
    }

    private int up(Path data, Path repo, StackPorts ports) {
        Optional<ProcessHandle> running = runningInstance(data);
        if (running.isPresent()) {
            out.println("tuneforge is already running (pid " + running.get().pid() + ", data " + data
                    + "); `bin/tuneforge down` stops it.");
            return 1;
        }
        List<Path> missing = Service.ALL.stream().map(service -> service.jar(repo)).filter(jar -> !Files.isRegularFile(jar)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("service jars missing (build with `./mvnw -B install -DskipTests` in "
                    + repo + "): " + missing);
        }
        writePidFile(data);

        EmbeddedStack stack = EmbeddedStack.persistent(data, ports).stopOnJvmExit(false);
        List<ServiceProcess> services = new ArrayList<>();
        ServiceSupervisor supervisor = new ServiceSupervisor(data, out);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread shutdown = new Thread(() -> {
            supervisor.close(); // no restarts from here on
            List<ServiceProcess> current = supervisor.processes();
            if (!current.isEmpty()) { // the services as restarted, once the supervisor has them
                synchronized (services) {
                    services.clear();
                    services.addAll(current);
                }
            }
            stopAll(services, stack, data);
            stopped.countDown();
        }, "tuneforge-local-platform-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);

        try {
            out.println("tuneforge: starting Kafka, S3 and PostgreSQL in " + data);
            stack.start();
            out.println("  kafka      " + stack.kafkaBootstrapServers());
            out.println("  s3         " + stack.s3Endpoint() + " (bucket " + stack.bucket() + ")");
            out.println("  postgresql " + stack.jdbcUrl("<service>"));
            Path logs = data.resolve("logs");
            for (Service service : Service.ALL) {
                out.println("tuneforge: starting " + service.module() + " on port " + service.httpPort()
                        + " (log " + logs.resolve(service.module() + ".log") + ")");
                synchronized (services) {
                    services.add(ServiceProcess.start(service, repo, stack, logs, extraProperties(service, repo, data)));
                }
            }
            ServiceProcess.awaitAllReady(services, READY_TIMEOUT, progress -> out.println("tuneforge: " + progress));
            for (int i = 0; i < Service.ALL.size(); i++) {
                Service service = Service.ALL.get(i);
                supervisor.add(services.get(i),
                        () -> ServiceProcess.start(service, repo, stack, logs, extraProperties(service, repo, data)));
            }
            supervisor.start();
        } catch (RuntimeException e) {
            out.println("tuneforge: failed to start: " + e.getMessage());
            Runtime.getRuntime().removeShutdownHook(shutdown);
            stopAll(services, stack, data);
            return 1;
        }

        out.println();
        out.println("tuneforge is up: " + services.get(0).url());
        printAdminKeyOnce(data);
        out.println("logs in " + data.resolve("logs") + "; stop with Ctrl-C or `bin/tuneforge down`");
        awaitForever(stopped);
        return 0;
    }

    private void printAdminKeyOnce(Path data) {
        Path file = data.resolve(ADMIN_KEY_FILE);
        try {
            if (Files.isRegularFile(file)) {
                out.println("admin API key (shown only this once; the gateway keeps only its hash):");
                out.println("  " + Files.readString(file).strip());
                out.println("log in with: bin/tuneforge login --key <that key>");
                Files.delete(file);
            }
        } catch (IOException e) {
            out.println("tuneforge: could not read the admin key from " + file + ": " + e.getMessage());
        }
    }

    /** A slot of each runtime: jobs (and evaluations) that ask for torch run beside djl ones. */
    public static final String SLOTS = "cpu-0:djl,cpu-1:torch";

    /**
     * What only one service needs: the admin key file, where the worker build and work directories are (under
     * {@code data}), and for trainer-service and eval-service a djl and a torch slot ({@link #SLOTS}) with the torch
     * runtime's Python in the project's own environment ({@code worker/python/.venv}), made by
     * {@code bin/tuneforge python-env} the first time a torch worker is about to start. Public so that a
     * whole-platform test starts the services as {@code up} does.
     */
    public static Map<String, String> extraProperties(Service service, Path repo, Path data) {
        String python = repo.resolve("worker/python/.venv/bin/python").toString();
        String bootstrap = "bash " + shellQuoted(repo.resolve("bin/tuneforge").toString()) + " python-env";
        return switch (service.module()) {
            case "gateway" -> Map.of(ADMIN_KEY_FILE_PROPERTY, data.resolve(ADMIN_KEY_FILE).toString(),
                    "tuneforge.serving.djl-home", repo.resolve("worker/target").toString(),
                    "tuneforge.serving.work-dir", data.resolve("serving").toString());
            case "trainer-service" -> Map.of(
                    "tuneforge.trainer.worker.djl-home", repo.resolve("worker/target").toString(),
                    "tuneforge.trainer.work-dir", data.resolve("trainer").toString(),
                    "tuneforge.trainer.slots", SLOTS,
                    "tuneforge.trainer.worker.torch-python", python,
                    "tuneforge.trainer.worker.torch-bootstrap", bootstrap);
            case "eval-service" -> Map.of(
                    "tuneforge.eval.djl-home", repo.resolve("worker/target").toString(),
                    "tuneforge.eval.work-dir", data.resolve("eval").toString(),
                    "tuneforge.eval.slots", SLOTS,
                    "tuneforge.eval.torch-python", python,
                    "tuneforge.eval.torch-bootstrap", bootstrap);
            default -> Map.of();
        };
    }

    /** One word for {@code sh}, whatever the path holds. */
    static String shellQuoted(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void stopAll(List<ServiceProcess> services, EmbeddedStack stack, Path data) {
        List<ServiceProcess> toStop;
        synchronized (services) {
            toStop = List.copyOf(services);
        }
        System.out.println("tuneforge: stopping");
        // Services first, in parallel, so they still reach Kafka and the database while shutting down.
        toStop.stream().map(service -> Thread.ofPlatform().start(service::stop)).toList()
                .forEach(LocalPlatform::join);
        stack.stop();
        try {
            Files.deleteIfExists(data.resolve(PID_FILE));
        } catch (IOException e) {
            System.err.println("tuneforge: could not delete " + data.resolve(PID_FILE) + ": " + e);
        }
        System.out.println("tuneforge: stopped");
    }

    private int down(Path data) {
        Optional<ProcessHandle> running = runningInstance(data);
        if (running.isEmpty()) {
            out.println("tuneforge is not running (no live process in " + data.resolve(PID_FILE) + ")");
            return 0;
        }
        ProcessHandle process = running.get();
        out.println("tuneforge: stopping pid " + process.pid());
        process.destroy();
        try {
            process.onExit().get(120, TimeUnit.SECONDS);
            out.println("tuneforge: stopped");
            return 0;
        } catch (Exception e) {
            out.println("tuneforge: pid " + process.pid() + " did not stop within 120s; killing it."
                    + " Servers it leaves behind are ended by the next `up`.");
            process.destroyForcibly();
            return 1;
        }
    }

    private int status(Path data) {
        Optional<ProcessHandle> running = runningInstance(data);
        out.println(running.map(process -> "tuneforge is running (pid " + process.pid() + ", data " + data + ")")
                .orElse("tuneforge is not running (data " + data + ")"));
        Map<String, String> supervised = running.isPresent() ? ServiceSupervisor.readSummaries(data) : Map.of();
        for (Service service : Service.ALL) {
            boolean ready = ServiceProcess.isReady(service.httpPort());
            String summary = supervised.get(service.module());
            out.printf("  %-17s http://%s:%d  %s%s%n", service.module(), Ports.HOST, service.httpPort(),
                    ready ? "ready" : "not ready", summary == null ? "" : "  (" + summary + ")");
        }
        return running.isPresent() ? 0 : 3;
    }

    /** The live process named by the pid file, if it is still a JVM (a stale pid may be reused). */
    private static Optional<ProcessHandle> runningInstance(Path data) {
        Path pidFile = data.resolve(PID_FILE);
        try {
            if (!Files.isRegularFile(pidFile)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(process -> process.info().command().map(command -> command.endsWith("java")).orElse(true));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void writePidFile(Path data) {
        try {
            Files.createDirectories(data);
            Files.writeString(data.resolve(PID_FILE), ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + data.resolve(PID_FILE), e);
        }
    }

    private static StackPorts ports(Map<String, String> options) {
        StackPorts defaults = StackPorts.DEFAULTS;
        return new StackPorts(
                intOption(options, "kafka-port", defaults.kafka()),
                intOption(options, "kafka-controller-port", defaults.kafkaController()),
                intOption(options, "s3-port", defaults.s3()),
                intOption(options, "postgres-port", defaults.postgres()));
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    private static String require(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }

    private static int intOption(Map<String, String> options, String name, int fallback) {
        try {
            return options.containsKey(name) ? Integer.parseInt(options.get(name)) : fallback;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + options.get(name) + "'");
        }
    }

    private static void awaitForever(CountDownLatch stopped) {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
