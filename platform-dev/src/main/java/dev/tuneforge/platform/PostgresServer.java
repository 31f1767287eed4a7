package dev.tuneforge.platform;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * PostgreSQL from zonky's embedded binaries (a real postmaster, as a daemonized child process),
 * with one database per service. A data directory that already holds a cluster is reused as it is, so
 * {@link #start()} after {@link #kill()} is a crash and a restart: the postmaster recovers from its WAL on the same
 * port, with every committed row.
 */
final class PostgresServer {

    static final String USER = "postgres";
    /** Local connections are trusted; the password only satisfies clients that insist on one. */
    static final String PASSWORD = "postgres";

    private final Path dataDir;
    private final Path logFile;
    private final int port;
    private final List<String> databases;
    private EmbeddedPostgres postgres;

    PostgresServer(Path dataDir, Path logFile, int port, List<String> databases) {
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.port = port;
        this.databases = databases;
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://" + Ports.HOST + ":" + port + "/" + database;
    }

    int port() {
        return port;
    }

    synchronized void start() {
        if (postgres != null) {
            return;
        }
        Ports.requireFree(port, "PostgreSQL");
        stopLeftoverPostmaster();
        try {
            Files.createDirectories(logFile.getParent());
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(dataDir)
                    // Never wipe: a persistent stack keeps its databases across restarts.
                    .setCleanDataDirectory(false)
                    // EmbeddedStack stops PostgreSQL itself, after the clients that still need it.
                    .setRegisterShutdownHook(false)
                    .setLocaleConfig("locale", "C")
                    .setServerConfig("listen_addresses", Ports.HOST)
                    // zonky turns it off; on (PostgreSQL's default) a commit is in the WAL before it returns, so a
                    // killed postmaster (the chaos tests) recovers every committed row, as a real server does
                    .setServerConfig("synchronous_commit", "on")
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setOutputRedirector(java.lang.ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .setErrorRedirector(java.lang.ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            PostgresBinaries.prepare(dataDir).ifPresent(builder::setOverrideWorkingDirectory);
            postgres = builder.start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("PostgreSQL did not start on port " + port + " with data directory "
                    + dataDir + ". Log: " + logFile + "\n---- last lines ----\n" + ChildProcess.logTail(logFile, 40), e);
        }
        postmasterPid().flatMap(ProcessHandle::of).ifPresent(handle -> ChildRegistry.register("PostgreSQL", handle));
        createDatabases();
    }

    synchronized boolean isRunning() {
        return postgres != null && postmasterPid().flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive).isPresent();
    }

    /**
     * A crash: SIGKILL to the postmaster and every process it forked (a backend left alive would hold the shared
     * memory, and a machine that crashes takes them all). The postmaster is stopped (SIGSTOP) first so that it forks
     * nothing more while its processes are listed. {@code postmaster.pid} stays behind, as after a real crash; the
     * next {@link #start()} finds its process gone and recovers.
     */
    synchronized void kill() {
        if (postgres == null) {
            return;
        }
        java.util.Optional<ProcessHandle> postmaster = postmasterPid().flatMap(ProcessHandle::of);
        postmaster.ifPresent(handle -> {
            signal("STOP", handle.pid());
            List<ProcessHandle> all = new java.util.ArrayList<>(handle.descendants().toList());
            all.add(handle);
            all.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle process : all) {
                try {
                    process.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("PostgreSQL process " + process.pid() + " did not die", e);
                }
            }
            ChildRegistry.unregister(handle);
        });
        // Zonky keeps a lock on the data directory until close(); its `pg_ctl stop` finds no server and fails, which
        // zonky only logs, and the next start takes the lock anew.
        try {
            postgres.close();
        } catch (IOException e) {
            System.err.println("tuneforge: could not release zonky's lock on " + dataDir + ": " + e);
        }
        postgres = null;
    }

    private static void signal(String signal, long pid) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException("could not send SIG" + signal + " to PostgreSQL (pid " + pid + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized void stop() {
        if (postgres == null) {
            return;
        }
        java.util.Optional<ProcessHandle> postmaster = postmasterPid().flatMap(ProcessHandle::of);
        try {
            postgres.close();
        } catch (IOException e) {
            System.err.println("tuneforge: could not stop PostgreSQL cleanly: " + e + " (log: " + logFile + ")");
        }
        postmaster.ifPresent(ChildRegistry::unregister);
        postgres = null;
    }

    private void createDatabases() {
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD);
             PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?");
             Statement create = connection.createStatement()) {
            for (String database : databases) {
                exists.setString(1, database);
                boolean present;
                try (var rows = exists.executeQuery()) {
                    present = rows.next();
                }
                if (!present) {
                    // Names come from a fixed list of service names, never from user input.
                    create.execute("CREATE DATABASE \"" + database + "\"");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the service databases " + databases
                    + " in PostgreSQL on port " + port + " (log: " + logFile + ")", e);
        }
    }

    /**
     * A postmaster left running by a JVM that died without cleanup still holds the data directory;
     * end it (fast shutdown) before starting a new one.
     */
    private void stopLeftoverPostmaster() {
        postmasterPid().flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().command().map(command -> command.endsWith("postgres")).orElse(false))
                .ifPresent(handle -> {
                    System.err.println("tuneforge: stopping leftover PostgreSQL (pid " + handle.pid() + ") of " + dataDir);
                    handle.destroy();
                    try {
                        handle.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        handle.destroyForcibly();
                    }
                });
    }

    private java.util.Optional<Long> postmasterPid() {
        Path pidFile = dataDir.resolve("postmaster.pid");
        try {
            if (!Files.isReadable(pidFile)) {
                return java.util.Optional.empty();
            }
            List<String> lines = Files.readAllLines(pidFile);
            return lines.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException | UncheckedIOException e) {
            return java.util.Optional.empty();
        }
    }
}
