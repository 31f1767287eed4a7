package dev.tuneforge.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The torch runtime's Python on this node, made the first time a local worker needs it: when {@code python} is a
 * path that does not exist yet and a bootstrap command is configured ({@code bin/tuneforge python-env} under
 * {@code bin/tuneforge up}), the command runs, its output going to {@code log}, and the worker starts once it is done.
 * One bootstrap at a time per interpreter: within this JVM (two slots starting together) and across the processes of
 * this node (trainer-service and eval-service), through a lock file in the temporary directory; whoever waited finds
 * the interpreter made and runs nothing. A python given as a bare name ({@code python3}) is the PATH's, never made.
 *
 * @param python    the interpreter the torch runtime runs with
 * @param bootstrap a shell command line ({@code sh -c}) that makes it, if any
 */
public record PythonEnvironment(String python, Optional<String> bootstrap) {

    /** A bootstrap that hangs (an index that never answers) fails the attempt instead of holding its slot forever. */
    static final Duration BOOTSTRAP_TIMEOUT = Duration.ofMinutes(30);

    private static final Object LOCK = new Object();

    /**
     * Makes the interpreter if it is missing, then returns.
     *
     * @param settings the prefix of the service's {@code torch-python} and {@code torch-bootstrap} keys, for messages
     * @throws IOException when it is missing and cannot be made: no bootstrap configured, or the bootstrap failed,
     *                     timed out or did not make it; the message says which
     */
    public void ensure(String settings, Consumer<String> log) throws IOException {
        if (present()) {
            return;
        }
        if (bootstrap.isEmpty()) {
            throw new IOException("the torch runtime's python " + python + " does not exist (set " + settings
                    + ".torch-python to an interpreter with tuneforge_worker installed, or " + settings
                    + ".torch-bootstrap to a command that makes it)");
        }
        synchronized (LOCK) {
            Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "tuneforge-python-env-" + hash(python) + ".lock");
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                if (present()) {
                    return; // made by whoever held the lock before us
                }
                run(bootstrap.get(), log);
                if (!present()) {
                    throw new IOException("making the torch runtime's environment with `" + bootstrap.get()
                            + "` succeeded but " + python + " still does not exist");
                }
            }
        }
    }

    /** A bare command name is looked up on the PATH when the worker starts: nothing to make here. */
    private boolean present() {
        return !python.contains("/") || Files.isExecutable(Path.of(python));
    }

    private static void run(String command, Consumer<String> log) throws IOException {
        log.accept("the torch runtime's environment is missing; making it: " + command);
        Process process = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        Thread pump = Thread.ofPlatform().daemon().name("python-env-output").start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    log.accept("python-env: " + line);
                }
            } catch (IOException e) {
                // the process is gone; its exit status says how
            }
        });
        try {
            if (!process.waitFor(BOOTSTRAP_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException("making the torch runtime's environment with `" + command + "` took longer than "
                        + BOOTSTRAP_TIMEOUT.toMinutes() + " minutes; stopped it (its output is in the service log)");
            }
            pump.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the torch runtime's environment", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException("making the torch runtime's environment with `" + command + "` failed: it exited with "
                    + process.exitValue() + " (its output is in the service log)");
        }
        log.accept("the torch runtime's environment is ready");
    }

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
