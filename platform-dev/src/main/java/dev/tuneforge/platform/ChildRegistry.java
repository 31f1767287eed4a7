package dev.tuneforge.platform;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Records every child process of the stack in a directory shared by all JVMs of this user, so that a
 * JVM killed without running its shutdown hooks (SIGKILL, a surefire timeout) leaves nothing behind
 * for long: the next stack to start ends the children of dead owners. Java children also watch their
 * parent themselves ({@link ParentWatchdog}), but PostgreSQL daemonizes and only this catches it.
 *
 * <p>Each entry holds the owner's and the child's pid and start time; a pid whose start time differs
 * was reused by an unrelated process and is left alone.
 */
final class ChildRegistry {

    private static final Path DIR = Path.of(System.getProperty("java.io.tmpdir"), "tuneforge-children");
    private static final ProcessHandle SELF = ProcessHandle.current();

    private ChildRegistry() {
    }

    static void register(String name, ProcessHandle child) {
        try {
            Files.createDirectories(DIR);
            Files.write(entry(child), List.of(
                    Long.toString(SELF.pid()), startMillis(SELF), Long.toString(child.pid()), startMillis(child), name));
        } catch (IOException e) {
            // Orphan cleanup is a safety net; failing to record must not stop the stack.
            System.err.println("tuneforge: could not record child " + name + " in " + DIR + ": " + e);
        }
    }

    static void unregister(ProcessHandle child) {
        try {
            Files.deleteIfExists(entry(child));
        } catch (IOException e) {
            System.err.println("tuneforge: could not remove " + entry(child) + ": " + e);
        }
    }

    /** Ends the children whose owning JVM has died. */
    static void reapOrphans() {
        if (!Files.isDirectory(DIR)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(DIR, "*.child")) {
            for (Path entry : entries) {
                reapIfOrphan(entry);
            }
        } catch (IOException e) {
            System.err.println("tuneforge: could not scan " + DIR + " for orphaned children: " + e);
        }
    }

    private static void reapIfOrphan(Path entry) {
        try {
            List<String> lines = Files.readAllLines(entry);
            if (lines.size() < 5) {
                Files.deleteIfExists(entry);
                return;
            }
            if (isSameProcessAlive(Long.parseLong(lines.get(0)), lines.get(1))) {
                return;
            }
            Optional<ProcessHandle> child = ProcessHandle.of(Long.parseLong(lines.get(2)))
                    .filter(handle -> startMillis(handle).equals(lines.get(3)));
            if (child.isPresent() && child.get().isAlive()) {
                System.err.println("tuneforge: ending orphaned " + lines.get(4) + " (pid " + lines.get(2)
                        + ") left by dead JVM " + lines.get(0));
                child.get().destroy();
                try {
                    child.get().onExit().get(15, TimeUnit.SECONDS);
                } catch (Exception e) {
                    child.get().destroyForcibly();
                }
            }
            Files.deleteIfExists(entry);
        } catch (IOException | RuntimeException e) {
            System.err.println("tuneforge: could not check " + entry + ": " + e);
        }
    }

    private static boolean isSameProcessAlive(long pid, String startMillis) {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .map(handle -> startMillis(handle).equals(startMillis))
                .orElse(false);
    }

    private static String startMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli).map(String::valueOf).orElse("?");
    }

    private static Path entry(ProcessHandle child) {
        return DIR.resolve(SELF.pid() + "-" + child.pid() + ".child");
    }
}
