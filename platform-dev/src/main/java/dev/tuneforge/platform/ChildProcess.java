package dev.tuneforge.platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server or service run as a child process, its output appended to a log file. Every child is
 * recorded in the {@link ChildRegistry} so a later run can end it if this JVM dies without cleanup.
 */
public final class ChildProcess {

    private static final String WATCHDOG_CLASS_FILE = ParentWatchdog.class.getName().replace('.', '/') + ".class";

    private final String name;
    private final Process process;
    private final Path logFile;

    private ChildProcess(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * Starts {@code mainClass} in a new JVM with the given classpath, wrapped in {@link ParentWatchdog}
     * so it ends when this JVM does. {@code workDir} also receives the watchdog's class file.
     */
    public static ChildProcess startJava(String name, String classpath, List<String> jvmArgs, String mainClass,
                                         List<String> args, Path workDir, Path logFile) {
        Path watchdogDir = installWatchdog(workDir.resolve("watchdog-classes"));
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(watchdogDir + java.io.File.pathSeparator + classpath);
        command.add(ParentWatchdog.class.getName());
        command.add(mainClass);
        command.addAll(args);
        return start(name, command, workDir, logFile);
    }

    /** Starts a command; its stdin stays an open pipe for as long as this JVM lives. */
    public static ChildProcess start(String name, List<String> command, Path workDir, Path logFile) {
        try {
            Files.createDirectories(logFile.getParent());
            Files.createDirectories(workDir);
            Files.writeString(logFile, "---- tuneforge: starting " + name + ": " + redacted(command) + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            ChildRegistry.register(name, process.toHandle());
            return new ChildProcess(name, process, logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name + " (" + command.get(0) + "); log: " + logFile, e);
        }
    }

    /** The command line as the log shows it: the values of {@code -Dkey=value} credentials replaced by {@code ***}. */
    static String redacted(List<String> command) {
        return String.join(" ", command.stream().map(arg -> {
            int equals = arg.indexOf('=');
            return arg.startsWith("-D") && equals > 0 && isCredential(arg.substring(2, equals))
                    ? arg.substring(0, equals + 1) + "***" : arg;
        }).toList());
    }

    /** Whether a property holds a credential: a password, a secret, a token, an access key or an admin key. */
    static boolean isCredential(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("token") || k.endsWith("access-key")
                || k.endsWith("admin-key");
    }

    /** The JVM running this code; children use the same one. */
    public static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code once the child has ended (it is then forgotten by the registry that ends children). */
    public java.util.OptionalInt exitCode() {
        if (process.isAlive()) {
            return java.util.OptionalInt.empty();
        }
        ChildRegistry.unregister(process.toHandle());
        return java.util.OptionalInt.of(process.exitValue());
    }

    /** Waits for a short-lived child (a tool, not a server) and fails with its log if it fails. */
    public void awaitSuccess(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                throw failure("did not finish within " + timeout.toSeconds() + "s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        } finally {
            if (!process.isAlive()) {
                ChildRegistry.unregister(process.toHandle());
            }
        }
        if (process.exitValue() != 0) {
            throw failure("failed with exit code " + process.exitValue());
        }
    }

    /** SIGTERM, so the child shuts down cleanly; SIGKILL if it takes longer than {@code grace}. */
    public void stop(Duration grace) {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    System.err.println("tuneforge: " + name + " (pid " + pid() + ") did not stop within "
                            + grace.toSeconds() + "s, killing it");
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }
        ChildRegistry.unregister(process.toHandle());
    }

    /** SIGKILL: what a crash looks like to the clients. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ChildRegistry.unregister(process.toHandle());
    }

    /** An exception naming the child, its pid and log, with the log's last lines. */
    public IllegalStateException failure(String what) {
        return new IllegalStateException(name + " (pid " + pid() + ") " + what + ". Log: " + logFile
                + "\n---- last lines of " + logFile.getFileName() + " ----\n" + logTail(logFile, 40));
    }

    static String logTail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(could not read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static Path installWatchdog(Path classesDir) {
        Path target = classesDir.resolve(WATCHDOG_CLASS_FILE);
        try (InputStream in = ParentWatchdog.class.getClassLoader().getResourceAsStream(WATCHDOG_CLASS_FILE)) {
            if (in == null) {
                throw new IllegalStateException("class file " + WATCHDOG_CLASS_FILE + " not found on the classpath");
            }
            Files.createDirectories(target.getParent());
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return classesDir;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + target, e);
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ", log " + logFile + ")";
    }
}
